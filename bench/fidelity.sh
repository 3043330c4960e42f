#!/usr/bin/env bash
# Fidelity benchmark (issue "Fidelity", point 3): h100x2 at the dilation `up --dilation auto` picks
# for this machine, ring and hierarchical all_reduce from MIN to MAX, measured busbw against the
# alpha-beta model (`bench --compare-model`, docs/model.md) in the same run. Prints, per algorithm,
# every size's error and the worst one, then whether all stay within ±TOLERANCE %.
#
# Environment: BUILD (build dir, default build), TOPOLOGY (topologies/h100x2.json), MIN (1M),
# MAX (256M), FACTOR (4), ITERS (1), WARMUP (1), ALGOS ("ring hier"), TRANSPORT (tcp),
# TOLERANCE (15), STRICT=1 (exit 1 when an algorithm misses it).
# Time: at dilation 20000 a rail NIC runs at 20 Mb/s, so one 256 MB ring iteration over 16 GPUs
# takes about 3 minutes; the default sweep runs about 20 minutes on 2 cores.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD:-build}
topology=${TOPOLOGY:-topologies/h100x2.json}
min=${MIN:-1M}
max=${MAX:-256M}
factor=${FACTOR:-4}
iters=${ITERS:-1}
warmup=${WARMUP:-1}
algos=${ALGOS:-ring hier}
transport=${TRANSPORT:-tcp}
tolerance=${TOLERANCE:-15}
sl=$build/scalelab
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }
[ -x "$sl" ] || { echo "bench: build first (make build)" >&2; exit 1; }

name=$(sed -n 's/^[[:space:]]*"name":[[:space:]]*"\([^"]*\)".*/\1/p' "$topology" | head -n1)
[ -n "$name" ] || { echo "bench: no cluster name in $topology" >&2; exit 1; }
tmp=$(mktemp -d /tmp/scalelab-fidelity.XXXXXX)
cleanup() { "$sl" down "$name" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT

echo "== machine capacity (doctor --capacity)"
"$sl" doctor --capacity | grep -iE 'capacity|Gb/s' || true
echo "== $topology with --dilation auto"
"$sl" up "$topology" --dilation auto | tee "$tmp/up.txt"
dilation=$("$sl" status "$name" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["dilation"])')
echo "dilation chosen: $dilation"

status=0
summary=""
for algo in $algos; do
  echo "== all_reduce --algo $algo, $min..$max ×$factor, -w $warmup -n $iters, transport $transport"
  start=$(date +%s)
  if ! "$sl" bench "$name" all_reduce -b "$min" -e "$max" -f "$factor" -n "$iters" -w "$warmup" -c 1 \
        --algo "$algo" --transport "$transport" --timeout-ms 600000 --wall-timeout 3000 --compare-model \
        > "$tmp/$algo.txt" 2>&1; then
    cat "$tmp/$algo.txt"
    echo "bench: all_reduce --algo $algo failed" >&2
    status=1
    summary+="$(printf '%-5s failed\n' "$algo")"$'\n'
    continue
  fi
  cat "$tmp/$algo.txt"
  worst=$(sed -n 's/^# worst |error| \([0-9.]*\)%.*/\1/p' "$tmp/$algo.txt")
  verdict=$(awk -v w="$worst" -v t="$tolerance" 'BEGIN { print (w <= t) ? "within" : "OUTSIDE" }')
  [ "$verdict" = within ] || status=1
  summary+="$(printf '%-5s worst |error| %5s%%  %s ±%s%%  (%ss)' "$algo" "$worst" "$verdict" "$tolerance" "$(( $(date +%s) - start ))")"$'\n'
done
echo "== summary: $topology, dilation $dilation, model vs measured"
printf '%s' "$summary"
[ "${STRICT:-0}" = 1 ] && exit $status
exit 0
