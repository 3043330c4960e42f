#!/usr/bin/env bash
# One cluster across machines against the same cluster on one machine (issue 14 point 6), with
# "machines" made of namespaces on this box (tests/shard/machines_harness.sh): for each topology,
# up (wall, as the operator sees it, ssh included), an all_reduce bench across the cut, and down;
# then the same on a single machine of the harness. Prints a table and the ratios.
# Every machine here shares this box's 2 cores, so busbw across machines is not what separate
# machines would give: the cut's cost shows as VXLAN encapsulation and ssh, not a slower network.
# Usage: sudo bench/multi-machine.sh [BUILD] ["TOPOLOGY:MACHINES …"]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
runs=${2:-"tiny:2 h100x2:2 host-leaf:4"}
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (namespaces, sshd)" >&2; exit 1; }
sl=$build/scalelab
count=0
for r in $runs; do [ "${r#*:}" -gt "$count" ] && count=${r#*:}; done
cluster=mmb$$
# shellcheck source=../tests/shard/machines_harness.sh
source "$here/../tests/shard/machines_harness.sh" > /dev/null
py() { /usr/bin/python3 -c "$@"; }
now() { date +%s.%N; }
bench_args=(all_reduce -b 1M -e 16M -f 4 -n 10 -w 2)

# The machines file of the first N machines.
first_machines() {
  py "import json; m = json.load(open('$tmp/machines.json')); m['machines'] = m['machines'][:$1]; print(json.dumps(m))" > "$tmp/machines-$1.json"
}
# seconds, busbw at the largest size (GB/s), avg busbw, #wrong over all rows: from a bench's JSON
bench_figures() { py "
import json; j = json.load(open('$1')); rows = j['rows']
print('%.3f %.3f %d' % (rows[-1]['busbw_GBps'], j.get('avg_busbw_GBps', 0), sum(r['wrong'] or 0 for r in rows)))"; }

printf '%-10s %4s %5s %10s %10s %7s %12s %12s %7s %6s\n' topology mach cut "up across" "up one" ratio "busbw across" "busbw one" ratio wrong > "$tmp/table.txt"
for r in $runs; do
  topology=${r%:*} n=${r#*:}
  file=$here/../topologies/$topology.json
  first_machines "$n"
  cut=$("$sl" plan "$file" --machines "$n" --json | py "import json,sys; print(json.load(sys.stdin)['cross_links'])")

  t0=$(now); op up "$file" --name "$cluster" --machines "$tmp/machines-$n.json" > /dev/null; t1=$(now)
  up_across=$(py "print($t1 - $t0)")
  op bench "$cluster" "${bench_args[@]}" --json "$tmp/across.json" > /dev/null
  read -r bus_across avg_across wrong_across < <(bench_figures "$tmp/across.json")
  op down "$cluster" > /dev/null

  t0=$(now); on m1 "$sl" up "$file" --name "$cluster" > /dev/null; t1=$(now)
  up_one=$(py "print($t1 - $t0)")
  on m1 "$sl" bench "$cluster" "${bench_args[@]}" --json "$tmp/one.json" > /dev/null
  read -r bus_one avg_one wrong_one < <(bench_figures "$tmp/one.json")
  on m1 "$sl" down "$cluster" > /dev/null

  printf '%-10s %4d %5d %9.2fs %9.2fs %7.2f %9.3f GB/s %7.3f GB/s %7.2f %6d\n' "$topology" "$n" "$cut" "$up_across" "$up_one" \
    "$(py "print($up_across / $up_one)")" "$bus_across" "$bus_one" "$(py "print($bus_across / $bus_one if $bus_one else 0)")" \
    $((wrong_across + wrong_one)) >> "$tmp/table.txt"
done
echo "# bring-up (operator wall time, ssh included) and all_reduce busbw at 16 MiB, dilation as each topology sets it"
cat "$tmp/table.txt"
