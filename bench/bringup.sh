#!/usr/bin/env bash
# Bring-up benchmark: scalelab's rail128 (128 GPU namespaces, 16 NVLink switches, 8 rail
# leaves, 4 spines, every link shaped) against Mininet's single,128 (128 hosts on one Linux
# bridge, tc-shaped links), each brought up and torn down RUNS times, in the same run.
# Prints both medians and the ratio; the target is scalelab ≤ 0.1 × Mininet.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD:-build}
runs=${RUNS:-5}
sl="$build/scalelab"
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }
[ -x "$sl" ] || { echo "bench: build first (make build)" >&2; exit 1; }
command -v mn >/dev/null || { echo "bench: Mininet missing (make deps installs it)" >&2; exit 1; }

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# The kernel frees a deleted namespace asynchronously: let it finish so runs don't overlap.
settle() { sleep 1; }

"$sl" down rail128 >/dev/null 2>&1 || true
sl_total=() sl_up=()
for i in $(seq "$runs"); do
  t0=$(now)
  up_json=$("$sl" up topologies/rail128.json --json 2>/dev/null)
  "$sl" down rail128 >/dev/null
  t1=$(now)
  sl_total+=("$(echo "$t1 - $t0" | bc -l)")
  sl_up+=("$(echo "$up_json" | sed -n 's/.*"seconds": \([0-9.e-]*\).*/\1/p')")
  settle
done

mn -c >/dev/null 2>&1 || true
mn_total=()
for i in $(seq "$runs"); do
  t0=$(now)
  mn --switch lxbr --controller none --topo single,128 --link tc,bw=100 --test none >/dev/null 2>&1
  t1=$(now)
  mn_total+=("$(echo "$t1 - $t0" | bc -l)")
  mn -c >/dev/null 2>&1 || true
  settle
done

sl_med=$(printf '%s\n' "${sl_total[@]}" | median)
sl_up_med=$(printf '%s\n' "${sl_up[@]}" | median)
mn_med=$(printf '%s\n' "${mn_total[@]}" | median)
printf 'scalelab rail128 up+down runs (s): %s\n' "${sl_total[*]}"
printf 'mininet single,128 runs (s):       %s\n' "${mn_total[*]}"
printf 'scalelab median up+down %.3f s (up alone %.3f s); mininet median %.3f s\n' "$sl_med" "$sl_up_med" "$mn_med"
ratio=$(echo "$sl_med / $mn_med" | bc -l)
printf 'ratio scalelab/mininet = %.3f (target <= 0.100): %s\n' "$ratio" "$(echo "$ratio <= 0.1" | bc -l | sed 's/1/met/;s/0/NOT met/')"
