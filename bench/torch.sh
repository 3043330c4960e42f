#!/usr/bin/env bash
# scalelab's own agents against PyTorch's gloo backend, in the same run, on the same cluster and
# sizes: topologies/tiny.json (2 hosts x 2 GPUs, 400 Gb/s rails at dilation 1000 = 400 Mb/s).
#
# Both are started the way a user would: `scalelab bench CLUSTER all_reduce` and
# `scalelab run CLUSTER -- python3 examples/torch/allreduce_bench.py`, with no extra flags (gloo
# finds its interface and rank 0 from the environment `run` sets). Prints each size's busbw for
# both, the share of the rail each reaches, and scalelab / torch. gloo uses one interface, the
# rail NIC, for every peer; the agents also use the scale-up link inside a host, so their
# hierarchical all_reduce (the default here) crosses the rails with half the bytes and beats the
# rail rate in busbw; their ring is bounded by the rail as gloo is, the like-for-like figure.
#
# Environment: BUILD (build dir, default build), SIZES ("1M 4M 16M"), ALGOS (agent --algo values,
# "auto ring"), ITERS (5), WARMUP (1),
# NAME (cluster name, default torchbench-<pid>), PYTHON (/usr/bin/python3: Debian's torch lives
# in its dist-packages, not in another python3 on PATH).
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
sizes=${SIZES:-1M 4M 16M}
algos=${ALGOS:-auto ring}
iters=${ITERS:-5}
warmup=${WARMUP:-1}
name=${NAME:-torchbench-$$}
python=${PYTHON:-/usr/bin/python3}

[ -x "$sl" ] || { echo "bench: build scalelab first ($build)" >&2; exit 1; }
"$python" -c 'import torch.distributed as d; assert d.is_gloo_available()' 2>/dev/null ||
  { echo "bench: $python cannot import torch with gloo (apt-get install python3-torch)" >&2; exit 1; }

bench_tmpdir torch

# tiny.json under a unique name (// comments dropped for json.load).
"$python" - "$root/topologies/tiny.json" "$tmp/topology.json" "$name" <<'PY'
import json, re, sys
src, dst, name = sys.argv[1:]
text = re.sub(r'(?m)^((?:[^"\n]|"(?:[^"\\\n]|\\.)*")*?)//.*$', r'\1', open(src).read())
t = json.loads(text)
t['name'] = name
json.dump(t, open(dst, 'w'), indent=2)
PY
bench_up "$name" "$tmp/topology.json"
read -r nranks link_GBps < <("$python" -c 'import json,sys
c = json.load(open(sys.argv[1]))
print(len(c["ranks"]), c["tiers"]["scale_out"]["emulated_bandwidth_bps"] / 8e9)' "$cluster_file")
printf 'cluster %s: tiny.json, %s GPUs, rail %.4f GB/s emulated\n' "$name" "$nranks" "$link_GBps"

# Both get the same sizes as one sweep each: every size in $sizes, smallest to largest.
min=$(echo $sizes | tr ' ' '\n' | head -1)
max=$(echo $sizes | tr ' ' '\n' | tail -1)
count=$(echo $sizes | wc -w)
factor=4
[ "$count" -gt 1 ] && factor=$("$python" -c 'import sys
u = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
v = [int(s[:-1]) * u[s[-1]] if s[-1] in u else int(s) for s in sys.argv[2:]]
print(round((v[-1] / v[0]) ** (1 / (len(v) - 1))))' x $sizes)

for algo in $algos; do
  "$sl" bench "$name" all_reduce -b "$min" -e "$max" -f "$factor" -n "$iters" -w "$warmup" --algo "$algo" \
    --json "$tmp/agents-$algo.json" >"$tmp/agents-$algo.log" 2>&1 ||
    { cat "$tmp/agents-$algo.log" >&2; echo "bench: scalelab bench --algo $algo failed" >&2; exit 1; }
done
started=$(date +%s.%N)
"$sl" run "$name" --timeout 300 -- "$python" "$root/examples/torch/allreduce_bench.py" -b "$min" -e "$max" -f "$factor" \
  -n "$iters" -w "$warmup" --timeout 60 >"$tmp/torch.log" 2>&1 ||
  { cat "$tmp/torch.log" >&2; echo "bench: torch allreduce_bench failed" >&2; exit 1; }
torch_s=$(echo "$(date +%s.%N) - $started" | bc -l)

PYTHONPATH=$root/bench "$python" - "$tmp/torch.log" "$link_GBps" "$torch_s" $(for a in $algos; do echo "$tmp/agents-$a.json"; done) <<'PY'
import json, sys
import torch_rows
torch_log, link, torch_s, agents_jsons = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
torch = torch_rows.rows(torch_log)
print(f"torch gloo: whole run incl. import {torch_s:.1f} s; rail {link:.4f} GB/s")
bad = 0
for agents_json in agents_jsons:
    run = json.load(open(agents_json))
    agents = {r["size"]: r for r in run["rows"]}
    transport = ", ".join(f"{k} {v}" for k, v in run.get("transport", {}).items())
    print(f"\nscalelab agents, algo {run.get('algo', '?')} ({transport}) vs torch gloo")
    print(f"{'size':>10} {'scalelab busbw':>15} {'% rail':>7} {'torch busbw':>12} {'% rail':>7} {'#wrong':>7} {'scalelab/torch':>15}")
    for size in sorted(set(agents) | set(torch)):
        a, t = agents.get(size), torch.get(size)
        if not a or not t:
            print(f"{size:>10} missing from {'torch' if a else 'scalelab'}")
            bad = 1
            continue
        wrong = (a.get("wrong") or 0) + t["wrong"]
        bad |= wrong != 0
        ab = a["busbw_GBps"]
        print(f"{size:>10} {ab:>15.4f} {100 * ab / link:>6.0f}% {t['busbw']:>12.4f} {100 * t['busbw'] / link:>6.0f}% {wrong:>7} "
              f"{ab / t['busbw'] if t['busbw'] > 0 else float('inf'):>15.2f}")
sys.exit(bad)
PY
