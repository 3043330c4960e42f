#!/usr/bin/env bash
# Concurrency (issue 15 point 5, first half): clusters of different names never disturb each other.
#  1. Four drills at the same instant, each on a cluster of its own name: nic-down, rank-killed,
#     partition-heal (tiny) and spine-loss (tiny-ecmp). Every verdict must pass; prints each
#     drill's wall time.
#  2. Four idle tiny clusters up at once. Cluster A gets traffic (a bench), a degraded link and a
#     link down — on the node and interface names the other three use too. B, C and D must not
#     change at all: per interface up, carrier, rate (tc), rx/tx bytes and drops from `status
#     --json`, and every namespace's `tc class show`. A must show each change (the check can fail).
# Usage: concurrent_drills_test.sh BUILD SOURCE
# Only this test's clusters (cd<pid>-…) are touched, so it can run beside others.
set -euo pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (it builds clusters and runs drills on them)" >&2; exit 77; }
sl=$build/scalelab py=/usr/bin/python3
tmp=$(mktemp -d /tmp/sl-concurrent.XXXXXX)
names=() pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for n in "${names[@]}"; do "$sl" down "$n" > /dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail=0

# ---- 1. four drills at once ----
drills=(nic-down rank-killed partition-heal spine-loss)
mkfifo "$tmp/go"
for d in "${drills[@]}"; do
  n=cd$$-${d%%-*}
  names+=("$n")
  # Each waits on the fifo, so all four start at one instant; its wall time is its own.
  ( cat "$tmp/go" > /dev/null
    t0=$(date +%s.%N)
    rc=0; "$sl" run-scenario "$source/scenarios/$d.json" --name "$n" --report "$tmp/report-$d" > "$tmp/out-$d" 2>&1 || rc=$?
    echo "$rc $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')" > "$tmp/rc-$d" ) &
  pids+=($!)
done
exec 3> "$tmp/go"
sleep 0.2
exec 3>&-
for p in "${pids[@]}"; do wait "$p" || true; done
pids=()
for d in "${drills[@]}"; do
  read -r rc wall < "$tmp/rc-$d"
  echo "drill $d on cd$$-${d%%-*}: $([ "$rc" -eq 0 ] && echo PASSED || echo "FAILED (exit $rc)") in $wall s"
  if [ "$rc" -ne 0 ]; then cat "$tmp/out-$d"; fail=1; fi
done
names=()

# ---- 2. a fault in one cluster changes nothing in the others ----
clusters=(a b c d)
for c in "${clusters[@]}"; do
  n=cd$$-$c
  sed "s/\"name\": \"tiny\"/\"name\": \"$n\"/" "$source/topologies/tiny.json" > "$tmp/$n.json"
  names+=("$n")
  "$sl" up "$tmp/$n.json" > "$tmp/up-$n" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { cat "$tmp"/up-*; echo "FAIL: four clusters of different names did not all come up at once" >&2; exit 1; }; done
pids=()
a=cd$$-a
# What a cluster shows: per interface its state, rate and counters; per namespace its tc classes.
snapshot() {
  local n=$1 out=$2 ns
  "$sl" status "$n" --json 2> /dev/null | "$py" -c '
import json, sys
for node in json.load(sys.stdin)["nodes"]:
    for i in node["interfaces"]:
        print(node["node"], i["ifname"], *(f"{k}={i.get(k)}" for k in ("up", "carrier", "rate_bps", "rx_bytes", "tx_bytes", "tx_dropped")))' > "$out"
  for ns in $(ls /run/netns | grep "^sl-$n-" | sort); do
    for dev in $(ip -n "$ns" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); if ($2 != "lo") print $2 }'); do
      echo "== $ns $dev" >> "$out"
      tc -n "$ns" qdisc show dev "$dev" >> "$out"
      tc -n "$ns" class show dev "$dev" >> "$out"
    done
  done
}
sleep 1  # let bring-up's own packets (neighbour discovery on the new links) settle
for c in b c d; do snapshot "cd$$-$c" "$tmp/before-$c"; done
snapshot "$a" "$tmp/before-a"
"$sl" bench "$a" all_reduce -b 1M -e 1M -n 3 -w 1 > "$tmp/bench-a" 2>&1 || { cat "$tmp/bench-a"; echo "FAIL: bench in $a" >&2; fail=1; }
"$sl" inject "$a" degrade gpu0:nic0 --rate 100Gb/s > /dev/null
"$sl" inject "$a" link_down gpu1:nic0 > /dev/null
sleep 1
snapshot "$a" "$tmp/after-a"
for c in b c d; do
  snapshot "cd$$-$c" "$tmp/after-$c"
  if cmp -s "$tmp/before-$c" "$tmp/after-$c"; then
    echo "cluster cd$$-$c: unchanged ($(grep -c ' up=' "$tmp/after-$c") interfaces, $(grep -c '^class' "$tmp/after-$c") tc classes, $(grep -c '^qdisc' "$tmp/after-$c") qdiscs)"
  else
    echo "FAIL: cluster cd$$-$c changed while only $a had traffic and faults:" >&2
    diff "$tmp/before-$c" "$tmp/after-$c" >&2 || true
    fail=1
  fi
done
# A itself must show what was done to it, or the comparison above proves nothing.
grep -q '^gpu1 nic0 up=False' "$tmp/after-a" || { echo "FAIL: $a's gpu1:nic0 is not down in its status" >&2; fail=1; }
# The rate from tc: `status --json` reports the planned rate even while a link is degraded.
tc -n "sl-$a-gpu0" class show dev nic0 | grep -q 'rate 100Mbit' || { echo "FAIL: $a's gpu0:nic0 is not at the degraded rate" >&2; fail=1; }
changed_a=$(diff "$tmp/before-a" "$tmp/after-a" | grep -c '^>' || true)
echo "cluster $a: $changed_a lines of its status and tc classes changed (bench, degrade gpu0:nic0, link_down gpu1:nic0)"
[ "$changed_a" -gt 0 ] || fail=1
for n in "${names[@]}"; do "$sl" down "$n" > /dev/null; done
left=$(ls /run/netns | grep -c "^sl-cd$$-" || true)
echo "namespaces left after down: $left"
[ "$left" -eq 0 ] || fail=1
names=()
echo "concurrent drills: $([ "$fail" -eq 0 ] && echo PASSED || echo FAILED)"
exit "$fail"
