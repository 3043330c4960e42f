"""The rows of examples/torch/allreduce_bench.py in a `scalelab run` log, for bench/torch.sh (import)
and bench/collectives.sh (`torch_rows.py LOG` prints "SIZE BUSBW_GBPS WRONG" per row).

Only rank 0 prints the table, and `run` prefixes each of its lines with "[rank 0 gpu0] "."""
import sys

PREFIX = "[rank 0 gpu0] "


def rows(log: str) -> dict[int, dict]:
    """size in bytes -> {"busbw": GB/s, "wrong": #wrong elements}"""
    out = {}
    for line in open(log):
        if not line.startswith(PREFIX):
            continue
        f = line[len(PREFIX):].split()  # size count type redop time algbw busbw #wrong
        if len(f) == 8 and f[3] == "sum":
            out[int(f[0])] = {"busbw": float(f[6]), "wrong": int(f[7])}
    return out


if __name__ == "__main__":
    for size, row in sorted(rows(sys.argv[1]).items()):
        print(size, row["busbw"], row["wrong"])
