#!/bin/sh
# Runs inside `scalelab vm` (a kernel with netem and rxe in namespaces): scalelab itself builds
# tiny.json with rxe devices and netem latency, and this checks what the host kernel cannot:
#  1. netem latency on the plan's links is visible in measured RTT (±10% + 100 µs);
#  2. loss injected with `scalelab inject … degrade --loss` is visible;
#  3. `scalelab bench --transport verbs` moves data over rxe between GPU namespaces, #wrong 0,
#     and in order: no rxe device saw a packet out of sequence;
#  4. a verbs rank that speaks for another cluster is refused by name, not connected (issue 15).
# Usage: scalelab_fabric_check.sh SCALELAB
set -eu
SL=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() { "$SL" down tiny >/dev/null 2>&1 || true; }
trap cleanup EXIT

"$SL" doctor || true
# Dilation 5000: 10 ms per hop, so a TCG guest's timer slop (~0.3 ms per netem hop when the
# host is busy) stays well inside the ±10% the check allows.
"$SL" up topologies/tiny.json --dilation 5000 --require-netem --rxe on || fail "up with netem and rxe"
addr() { "$SL" exec "tiny/$1" -- ip -4 -o addr show dev "$2" | awk '{print $4}' | cut -d/ -f1; }

# 1. gpu0 → gpu2 share rail 0: four egresses per round trip (gpu0, leaf0→gpu2, gpu2, leaf0→gpu0),
#    each delayed by the scale-out latency 2 us × dilation 5000 = 10 ms → 40 ms. The minimum of
#    the samples is the path's delay; the others add scheduling noise.
rtt=$("$SL" exec tiny/gpu0 -- ping -c 10 -i 0.2 -q "$(addr gpu2 nic0)" | sed -n 's|^rtt.* = \([0-9.]*\)/.*|\1|p')
echo "rtt gpu0→gpu2 over rail 0 (min of 10): ${rtt} ms (expected 40 ms ± 10% + 0.1 ms)"
awk -v r="$rtt" 'BEGIN { exit !(r >= 40 * 0.9 - 0.1 && r <= 40 * 1.1 + 0.1) }' || fail "netem RTT $rtt ms is not 40 ms ± 10%"

# 2. 50% loss on both ends of gpu0's rail link: a ping round trip survives with p = 0.25.
"$SL" inject tiny degrade gpu0:nic0 --loss 50% || fail "inject loss"
loss=$("$SL" exec tiny/gpu0 -- ping -c 60 -i 0.05 -W 2 -q "$(addr gpu2 nic0)" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
echo "ping loss with 50% per direction: ${loss}% (expected about 75%)"
awk -v l="$loss" 'BEGIN { exit !(l >= 50 && l <= 95) }' || fail "loss $loss% not visible as expected"
"$SL" inject tiny restore gpu0:nic0 || fail "restore"

# 3. verbs over rxe. No retry: `up` keeps every flow on one CPU (RPS, emulator/netlink/rps.h), so
#    a healthy link delivers in order and no RC queue pair ever goes back N (docs/kernel.md).
out=$("$SL" bench tiny all_reduce --transport verbs -b 64K -e 1M -f 4 -n 3 -w 1 -c 1 --timeout-ms 20000) || { echo "$out"; fail "bench over verbs"; }
echo "$out"
echo "$out" | grep -q "# Transport: scale_up=verbs scale_out=verbs" || fail "the verbs transport was not used on both tiers"
echo "$out" | grep -q "# Out of bounds values : 0 OK" || fail "#wrong is not 0"
# What the rxe devices saw: with every flow in order there is nothing to NAK or retry.
counter() { cat /sys/class/infiniband/sltiny_*/ports/1/hw_counters/"$1" 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
echo "rxe counters over all devices: out_of_seq_request $(counter out_of_seq_request), rcvd_seq_err $(counter rcvd_seq_err), completer_retry_err $(counter completer_retry_err)"
[ "$(counter out_of_seq_request)" = 0 ] || fail "rxe saw packets out of sequence on healthy links: a flow was reordered"
# 4. Rank 3 reads a copy of the cluster file under another name: its connection requests carry
#    that cluster's hash, and the ranks it dials end naming it (within the connect deadline).
agent=$(dirname "$SL")/agents/scalelab-agent
[ -x "$agent" ] || agent=scalelab-agent
start=$(date +%s)
if out=$("$SL" run tiny --timeout 120 -- sh -c '
    f=$SCALELAB_CLUSTER_FILE
    if [ "$RANK" = 3 ]; then sed "s/\"name\": *\"tiny\"/\"name\": \"other-cluster\"/" "$f" > /tmp/other-cluster.json; f=/tmp/other-cluster.json; fi
    exec "$0" all_reduce --cluster-file "$f" --transport verbs -b 64K -e 64K -n 1 -w 0 --connect-timeout-ms 20000' "$agent" 2>&1); then
  echo "$out"; fail "a rank of another cluster was connected"
fi
took=$(( $(date +%s) - start ))
echo "$out" | grep -m3 "speaks for cluster" || true
echo "$out" | grep -q "speaks for cluster 'other-cluster', not this rank's cluster 'tiny'" ||
  { echo "$out"; fail "the foreign rank was not named"; }
[ "$took" -le 60 ] || fail "the foreign rank took ${took} s to be refused"
echo "a rank of another cluster refused by name in ${took} s"
echo "PASS scalelab fabric checks"
