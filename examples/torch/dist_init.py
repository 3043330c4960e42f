"""torch.distributed set-up shared by the examples: gloo over the environment `scalelab run` gives
every rank (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, GLOO_SOCKET_IFNAME), with a deadline.

gloo's default timeout is 30 minutes: a lost peer or link would hang every rank that long, so
every collective here fails after `timeout_s` instead."""
import datetime
import os
import socket
import sys

import torch.distributed as dist

REQUIRED = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def init(timeout_s: float) -> tuple[int, int]:
    missing = [name for name in REQUIRED if name not in os.environ]
    if missing:
        sys.exit(f"{os.path.basename(sys.argv[0])}: {', '.join(missing)} not set; "
                 "start it once per GPU with `scalelab run CLUSTER -- python3 ...` (or torchrun)")
    dist.init_process_group("gloo", init_method="env://", timeout=datetime.timedelta(seconds=timeout_s))
    rank, world = dist.get_rank(), dist.get_world_size()
    if rank == 0:
        print(f"# gloo: world {world}, master {os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}, "
              f"interface {os.environ.get('GLOO_SOCKET_IFNAME', '(default)')}, timeout {timeout_s:g} s", flush=True)
    print(f"# rank {rank} on {socket.gethostname()} ({socket.gethostbyname(socket.gethostname())})", flush=True)
    return rank, world
