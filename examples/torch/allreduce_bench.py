#!/usr/bin/python3
"""torch.distributed all_reduce (gloo, float32 sum) timed per size, in nccl-tests' columns.

    scalelab run tiny -- python3 examples/torch/allreduce_bench.py -b 1M -e 16M -f 4

busbw = algbw * 2(n-1)/n, as nccl-tests reports it for all_reduce. Every rank fills its
tensor with rank+1, so each element of the sum must be n(n+1)/2: #wrong counts the elements
that are not (and any wrong element makes the run exit 1). --duration repeats the sweep until
that many seconds have passed (a workload for failure drills)."""
import argparse
import sys
import time

import torch
import torch.distributed as dist

import dist_init

UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_size(text: str) -> int:
    text = text.strip().upper().removesuffix("B")
    unit = text[-1] if text and text[-1] in UNITS else ""
    return int(float(text[: len(text) - len(unit)]) * UNITS[unit])


def sizes(begin: int, end: int, factor: int) -> list[int]:
    out, size = [], begin
    while size <= end:
        out.append(size)
        size *= factor
    return out


def measure(size: int, iters: int, warmup: int, rank: int, world: int) -> tuple[float, int]:
    count = max(1, size // 4)
    tensor = torch.empty(count, dtype=torch.float32)
    expected = world * (world + 1) / 2
    for _ in range(warmup):
        tensor.fill_(rank + 1)
        dist.all_reduce(tensor)
    dist.barrier()
    elapsed = 0.0
    wrong = 0
    for _ in range(iters):
        tensor.fill_(rank + 1)  # outside the timed part: only the collective is measured
        start = time.perf_counter()
        dist.all_reduce(tensor)
        elapsed += time.perf_counter() - start
        wrong += int((tensor != expected).sum())
    # The slowest rank's time is the collective's time, as nccl-tests reports.
    slowest = torch.tensor([elapsed / iters], dtype=torch.float64)
    dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
    total_wrong = torch.tensor([wrong], dtype=torch.int64)
    dist.all_reduce(total_wrong)
    return float(slowest), int(total_wrong)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-b", "--minbytes", default="1M")
    p.add_argument("-e", "--maxbytes", default="16M")
    p.add_argument("-f", "--stepfactor", type=int, default=4)
    p.add_argument("-n", "--iters", type=int, default=5)
    p.add_argument("-w", "--warmup_iters", type=int, default=1)
    p.add_argument("--timeout", type=float, default=30, help="seconds any collective may take before every rank fails")
    p.add_argument("--duration", type=float, default=0, help="repeat the sweep until this many seconds have passed")
    args = p.parse_args()

    rank, world = dist_init.init(args.timeout)
    factor = 2 * (world - 1) / world
    if rank == 0:
        print(f"#{'size':>12} {'count':>12} {'type':>6} {'redop':>6} {'time(us)':>10} {'algbw(GB/s)':>12} {'busbw(GB/s)':>12} {'#wrong':>7}",
              flush=True)
    started = time.monotonic()
    failed = False
    busbw_sum, rows = 0.0, 0
    while True:
        for size in sizes(parse_size(args.minbytes), parse_size(args.maxbytes), args.stepfactor):
            seconds, wrong = measure(size, args.iters, args.warmup_iters, rank, world)
            algbw = size / seconds / 1e9
            busbw_sum, rows = busbw_sum + algbw * factor, rows + 1
            failed |= wrong > 0
            if rank == 0:
                print(f" {size:>12} {max(1, size // 4):>12} {'float':>6} {'sum':>6} {seconds * 1e6:>10.1f} {algbw:>12.4f} "
                      f"{algbw * factor:>12.4f} {wrong:>7}", flush=True)
        if time.monotonic() - started >= args.duration:
            break
    if rank == 0:
        print(f"# Avg bus bandwidth    : {busbw_sum / rows:.4f}", flush=True)
    dist.destroy_process_group()
    if failed:
        print(f"rank {rank}: all_reduce results were wrong", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
