#!/usr/bin/env bash
# One cluster across "machines" that are namespaces this test makes on this box (issue 14
# point 4): each machine is a network namespace on a bridged underlay, with a mount namespace of
# its own (its own /run/netns and /run/scalelab, as another machine would have) held by a
# process, and a real OpenSSH sshd with a throwaway key. An operator namespace on the same
# underlay runs `scalelab up --machines`, `status`, `exec`, `run`, `bench`, `inject` and `down`;
# nothing is sent anywhere else.
# Checked (every mode): the shards, one status of the whole cluster, every rank reaches rank 0
# over the scale-out fabric and its domain over scale-up across the cut, the cut links are
# VXLAN devices under htb, no node reaches the underlay, `run` and `bench` start every rank on
# its machine (one nccl-tests table, #wrong 0), nothing is left after `down`.
# Mode full, also: a link_down on a cut link takes both machines' ends down and is named by the
# bench it breaks; a machine lost mid-run is named and the other shards are taken down; a
# machine whose sshd is killed is named by `down`, which finishes once it answers again; a
# machine that refuses the name makes `up` leave nothing anywhere.
# Usage: machines_test.sh BUILD SOURCE [TOPOLOGY [MACHINES [full|basic]]]
set -euo pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd) topology=${3:-tiny} count=${4:-2} mode=${5:-full}
sl=$build/scalelab
cluster=mmt$$
# shellcheck source=machines_harness.sh
source "$(dirname "$0")/machines_harness.sh"

echo "== plan: the cut"
"$sl" plan "$source/topologies/$topology.json" --machines "$tmp/machines.json" 2>&1 | tee "$tmp/plan.txt" || true
"$sl" plan "$source/topologies/$topology.json" --machines "$count" --json > "$tmp/cut.json"
py() { /usr/bin/python3 -c "$@"; }

echo "== up across the machines"
start=$(date +%s.%N)
op up "$source/topologies/$topology.json" --name "$cluster" --machines "$tmp/machines.json" | tee "$tmp/up.txt"
echo "figure: $topology up across $count machines in $(py "print(round($(date +%s.%N) - $start, 2))") s (wall, operator)"
grep -q "up across $count machines" "$tmp/up.txt" || fail "up printed no cluster across machines"
for m in "${machines[@]}"; do
  on "$m" test -d "/run/scalelab/$cluster" || fail "machine $m holds no shard of $cluster"
done
on op test ! -e "/run/scalelab/$cluster" || fail "the operator's own machine got a shard"
[ -z "$(on op ls /run/netns)" ] || fail "a node namespace appeared on the operator's machine"
on m1 cat "/run/scalelab/$cluster/cluster.json" > "$tmp/cluster.json"
world=$(py "import json; print(json.load(open('$tmp/cluster.json'))['world_size'])")

echo "== status: one view of the whole cluster, each node with its machine"
op status "$cluster" --json > "$tmp/status.json"
py "
import json, sys
s = json.load(open('$tmp/status.json')); cut = json.load(open('$tmp/cut.json'))
assert len(s['machines']) == $count and all(m['reachable'] for m in s['machines']), s['machines']
want = {n: m['machine'] for m in cut['machines'] for n in m['nodes']}
got = {n['node']: n['machine'] for n in s['nodes']}
assert got == want, ('nodes and machines differ from the plan', got, want)
assert s['missing_namespaces'] == 0 and s['interfaces_down'] == 0, (s['missing_namespaces'], s['interfaces_down'])
print('status:', len(got), 'nodes on', $count, 'machines, none missing, every planned interface up')
" || fail "status across machines"
op status "$cluster" > "$tmp/status.txt"; head -$((count + 2)) "$tmp/status.txt"

echo "== reachability: every rank to rank 0 over scale-out, and to its domain over scale-up"
py "
import json
c = json.load(open('$tmp/cluster.json'))
r0 = c['ranks'][0]
for r in c['ranks'][1:]:
    print(r['node'], r0['scale_out']['address'])
    if r['scale_up'] and r['domain'] == r0['domain']: print(r['node'], r0['scale_up']['address'])
" > "$tmp/pings.txt"
pings=0
while read -r node address; do
  op exec "$cluster/$node" -- ping -c 1 -W 2 "$address" < /dev/null > /dev/null || fail "$node cannot reach rank 0 at $address"
  pings=$((pings + 1))
done < "$tmp/pings.txt"
echo "reachability: $pings pings to rank 0 answered, across the cut and within it"

echo "== the cut links are VXLAN devices, shaped, and the nodes cannot reach the underlay"
cut_links=$(py "import json; print(json.load(open('$tmp/cut.json'))['cross_links'])")
vxlans=0
for m in "${machines[@]}"; do
  for ns in $(on "$m" ls /run/netns); do
    n=$(on "$m" ip -n "$ns" -d link show type vxlan | grep -c '^[0-9]' || true)
    vxlans=$((vxlans + n))
    if [ "$n" -gt 0 ]; then
      on "$m" tc -n "$ns" qdisc show > "$tmp/qdiscs.txt" 2>&1; grep -q htb "$tmp/qdiscs.txt" || { cat "$tmp/qdiscs.txt"; fail "a VXLAN end in $ns is not shaped"; }
    fi
  done
done
echo "cross links in the cut: $cut_links, VXLAN ends on the machines: $vxlans"
[ "$vxlans" -eq $((2 * cut_links)) ] || fail "expected two VXLAN ends per cut link"
if op exec "$cluster/$(py "import json; print(json.load(open('$tmp/cluster.json'))['ranks'][0]['node'])")" -- ping -c 1 -W 1 198.19.254.2 > /dev/null 2>&1; then
  fail "a node reached the underlay"
fi

echo "== run: every rank on its own machine"
op run "$cluster" --timeout 60 -- sh -c 'echo "rank $RANK of $WORLD_SIZE on $(hostname)"' > "$tmp/run.txt"
[ "$(grep -c "of $world on" "$tmp/run.txt")" -eq "$world" ] || { cat "$tmp/run.txt"; fail "run did not print one line per rank"; }
op run "$cluster" --json --timeout 60 -- sh -c 'test "$RANK" != 1' > "$tmp/run-fail.json" && fail "a failing rank did not fail run" || true
py "
import json; j = json.load(open('$tmp/run-fail.json'))
assert not j['ok'] and j['failed_ranks'] == [1] and j['first_failure'] == 1, j
" || fail "run --json across machines did not name rank 1 as the failure"

echo "== bench: one nccl-tests table from ranks on every machine, #wrong 0"
start=$(date +%s.%N)
op bench "$cluster" all_reduce -b 64K -e 4M -f 4 -n 10 -w 2 --json "$tmp/bench.json" > "$tmp/bench.txt"
cat "$tmp/bench.txt"
echo "figure: bench across $count machines took $(py "print(round($(date +%s.%N) - $start, 2))") s"
grep -q "# Out of bounds values : 0 OK" "$tmp/bench.txt" || fail "bench across machines reported wrong values"
py "
import json; j = json.load(open('$tmp/bench.json'))
rows = j['rows']; assert len(rows) == 4, rows
assert all(r['wrong'] == 0 for r in rows), rows
print('figure: busbw across the cut', ', '.join('%d B %.3f GB/s' % (r['size'], r['busbw_GBps']) for r in rows))
" || fail "bench rows"

if [ "$mode" = full ]; then
  echo "== link_down on a cut link: both machines' ends go down, and the bench it breaks names it"
  read -r cut_a cut_b < <(py "
import json; x = json.load(open('$tmp/cut.json'))['cross'][0]
print(x['a'].split(':')[0], x['b'].split(':')[0])")
  op inject "$cluster" link_down "link:$cut_a-$cut_b" --json > "$tmp/inject.json"
  py "import json; j = json.load(open('$tmp/inject.json')); assert len(j['machines']) == $count, j" || fail "inject did not reach every machine"
  down_ifaces=$(op status "$cluster" --json | py "import json,sys; print(json.load(sys.stdin)['interfaces_down'])")
  [ "$down_ifaces" -eq 2 ] || fail "expected the cut link's two ends down, status says $down_ifaces interfaces"
  status=0
  op bench "$cluster" all_reduce -b 64K -e 64K -n 2 -w 0 --timeout-ms 3000 --wall-timeout 60 > "$tmp/bench-down.txt" 2>&1 || status=$?
  tail -3 "$tmp/bench-down.txt"
  [ "$status" -ne 0 ] || fail "a bench across a downed cut link succeeded"
  grep -q "link_down $cut_a-$cut_b\|link_down $cut_b-$cut_a" "$tmp/bench-down.txt" || fail "the failed bench did not name the link that is down"
  op inject "$cluster" link_up "link:$cut_a-$cut_b" > /dev/null
  [ "$(op status "$cluster" --json | py "import json,sys; print(json.load(sys.stdin)['interfaces_down'])")" -eq 0 ] || fail "link_up left ends down"

  echo "== a machine lost mid-run: named, the ranks elsewhere stopped, the other shards taken down"
  op run "$cluster" --timeout 120 -- sleep 100 > "$tmp/run-lost.txt" 2>&1 &
  run_pid=$!
  # The machines share this box's pid space: every rank is a "sleep 100" (the holders sleep 900).
  for _ in $(seq 100); do [ "$(pgrep -cf '^(/usr/bin/)?sleep 100$' || true)" -ge "$world" ] && break; sleep 0.1; done
  [ "$(pgrep -cf '^(/usr/bin/)?sleep 100$' || true)" -ge "$world" ] || { cat "$tmp/run-lost.txt"; pgrep -af sleep; fail "the run's ranks did not start"; }
  ip -n "$tag-ul" link set "p-$tag-m2" down  # m2 falls off the underlay
  status=0
  wait "$run_pid" || status=$?
  cat "$tmp/run-lost.txt"
  [ "$status" -ne 0 ] || fail "run went on with a machine lost"
  grep -q "m2 (root@198.19.254.2) is unreachable" "$tmp/run-lost.txt" || fail "run did not name the lost machine"
  [ -z "$(on m1 ls /run/netns)" ] || fail "m1's shard was not taken down after m2 was lost"
  on op test -e "/run/scalelab-across/$cluster.json" || fail "the record went while m2 still holds its shard"
  ip -n "$tag-ul" link set "p-$tag-m2" up
  op down "$cluster" > /dev/null || fail "down after m2 came back"
  [ -z "$(on m2 ls /run/netns)" ] || fail "m2 kept namespaces after down"
  for _ in $(seq 50); do [ -z "$(pgrep -f '^(/usr/bin/)?sleep 100$' || true)" ] && break; sleep 0.1; done
  [ -z "$(pgrep -f '^(/usr/bin/)?sleep 100$' || true)" ] || fail "the lost run's ranks are still running: $(pgrep -af '^(/usr/bin/)?sleep 100$')"
  op up "$source/topologies/$topology.json" --name "$cluster" --machines "$tmp/machines.json" > /dev/null
fi

echo "== down: every machine cleaned"
op down "$cluster" | tee "$tmp/down.txt"
for m in "${machines[@]}"; do
  [ -z "$(on "$m" ls /run/netns)" ] || fail "machine $m kept namespaces: $(on "$m" ls /run/netns)"
  on "$m" test ! -e "/run/scalelab/$cluster" || fail "machine $m kept the shard's record"
done
on op test ! -e "/run/scalelab-across/$cluster.json" || fail "the operator kept the record"
if [ "$mode" != full ]; then echo "machines ($topology on $count, $mode): ok"; exit 0; fi

echo "== a machine lost before down: named, the others cleaned, the record kept for the next down"
op up "$source/topologies/$topology.json" --name "$cluster" --machines "$tmp/machines.json" > /dev/null
kill "${sshd_pid[m2]}"; wait "${sshd_pid[m2]}" 2>/dev/null || true; sshd_pid[m2]=""
status=0
op down "$cluster" > "$tmp/down-lost.txt" 2>&1 || status=$?
cat "$tmp/down-lost.txt"
[ "$status" -ne 0 ] || fail "down succeeded with a machine unreachable"
grep -q "m2 (root@198.19.254.2) is unreachable" "$tmp/down-lost.txt" || fail "down did not name the lost machine"
[ -z "$(on m1 ls /run/netns)" ] || fail "m1 was not cleaned while m2 was lost"
on op test -e "/run/scalelab-across/$cluster.json" || fail "the record went while m2 still holds its shard"
[ -n "$(on m2 ls /run/netns)" ] || fail "m2's shard vanished with its sshd (the test's machine model is broken)"
start_sshd m2 198.19.254.2
op down "$cluster" > /dev/null
[ -z "$(on m2 ls /run/netns)" ] || fail "m2 kept namespaces after the second down"
on op test ! -e "/run/scalelab-across/$cluster.json" || fail "the operator kept the record after every machine answered"

echo "== clean on the operator takes every machine's shard down and drops the record"
op up "$source/topologies/$topology.json" --name "$cluster" --machines "$tmp/machines.json" > /dev/null
op clean | tee "$tmp/clean.txt"
grep -q "cluster $cluster down on $count machines" "$tmp/clean.txt" || fail "clean did not take the cluster across machines down"
for m in "${machines[@]}"; do [ -z "$(on "$m" ls /run/netns)" ] || fail "machine $m kept namespaces after the operator's clean"; done
on op test ! -e "/run/scalelab-across/$cluster.json" || fail "clean kept the record"

echo "== a machine that refuses: up fails naming it and leaves no shard anywhere"
on m2 "$sl" up "$source/topologies/$topology.json" --name "$cluster" > /dev/null  # a same-named cluster already on m2
status=0
op up "$source/topologies/$topology.json" --name "$cluster" --machines "$tmp/machines.json" > "$tmp/up-refused.txt" 2>&1 || status=$?
cat "$tmp/up-refused.txt"
[ "$status" -ne 0 ] || fail "up succeeded over a machine holding a cluster of that name"
grep -q "m2" "$tmp/up-refused.txt" && grep -q "already exists" "$tmp/up-refused.txt" || fail "the refusal does not name m2 and why"
[ -z "$(on m1 ls /run/netns)" ] || fail "m1 kept its shard after the bring-up failed"
on m2 "$sl" down "$cluster" > /dev/null
on op test ! -e "/run/scalelab-across/$cluster.json" || fail "the failed up left its record"
echo "machines ($topology on $count, $mode): ok"
