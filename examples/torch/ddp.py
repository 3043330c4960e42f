#!/usr/bin/python3
"""A small model trained for a few steps with DistributedDataParallel over gloo, one process per
emulated GPU:

    scalelab run tiny -- python3 examples/torch/ddp.py

Each rank trains on its own seeded batches; DDP all-reduces the gradients over the fabric, so
after every step the parameters must be identical on every rank. The run checks that at the end
(rank 0's parameters against everyone's, bit for bit) and exits 1 when they differ."""
import argparse
import sys

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

import dist_init


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--timeout", type=float, default=60, help="seconds any collective may take before every rank fails")
    args = p.parse_args()

    rank, world = dist_init.init(args.timeout)
    torch.manual_seed(0)  # the same initial model everywhere (DDP also broadcasts rank 0's)
    model = torch.nn.Sequential(torch.nn.Linear(32, args.hidden), torch.nn.ReLU(), torch.nn.Linear(args.hidden, 1))
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.05)
    data = torch.Generator().manual_seed(1000 + rank)  # each rank its own shard of the data
    target_weights = torch.linspace(-1, 1, 32)
    for step in range(args.steps):
        x = torch.randn(args.batch, 32, generator=data)
        y = (x @ target_weights).unsqueeze(1)
        loss = torch.nn.functional.mse_loss(ddp(x), y)
        optimizer.zero_grad()
        loss.backward()  # gradients all-reduced across every rank here
        optimizer.step()
        mean_loss = loss.detach().clone()
        dist.all_reduce(mean_loss)
        if rank == 0:
            print(f"step {step} loss {float(mean_loss) / world:.5f}", flush=True)

    flat = torch.cat([q.detach().reshape(-1) for q in model.parameters()])
    reference = flat.clone()
    dist.broadcast(reference, src=0)
    differing = int((flat != reference).sum())
    agree = torch.tensor([1 if differing == 0 else 0])
    dist.all_reduce(agree)
    dist.destroy_process_group()
    if differing:
        print(f"rank {rank}: {differing} of {flat.numel()} parameters differ from rank 0's", file=sys.stderr)
        return 1
    if rank == 0:
        ok = int(agree) == world
        print(f"parameters identical on {int(agree)} of {world} ranks ({flat.numel()} each)", flush=True)
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
