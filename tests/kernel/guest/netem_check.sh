#!/bin/sh
# Runs inside `scalelab vm`: two network namespaces joined by a veth, netem on one end.
#   1. delay 5ms: the median ping RTT is the unshaped median + 5 ms, within ±10% + 100 µs;
#   2. loss 50%: ping statistics show 30–70% loss (200 probes: ±5 standard deviations).
# Uses iproute2 and ping (tests may; the emulator itself never forks ip/tc).
set -eu
A=slk-netem-a B=slk-netem-b
ip netns add $A
ip netns add $B
trap 'ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null' EXIT
ip link add va netns $A type veth peer name vb netns $B
ip -n $A addr add 198.18.0.1/24 dev va
ip -n $B addr add 198.18.0.2/24 dev vb
for ns in $A $B; do ip -n $ns link set lo up; done
ip -n $A link set va up
ip -n $B link set vb up

# Median of the "time=X ms" values of a ping run, in ms.
median_rtt() {
  ip netns exec $A ping -n -c "$1" -i "$2" 198.18.0.2 |
    sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -n |
    awk '{v[NR]=$1} END {if (NR == 0) {print "nan"; exit} m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%.3f\n", m}'
}

ip netns exec $A ping -n -c 3 -i 0.05 198.18.0.2 >/dev/null  # ARP and caches warm
base=$(median_rtt 40 0.02)
tc -n $A qdisc add dev va root netem delay 5ms
delayed=$(median_rtt 40 0.02)
verdict=$(awk -v b="$base" -v d="$delayed" 'BEGIN {
  e = b + 5.0; tol = 0.10 * 5.0 + 0.1;
  printf "%s expected %.3f ms ± %.3f ms", ((d >= e - tol && d <= e + tol) ? "ok" : "FAIL"), e, tol }')
echo "netem delay 5ms: median RTT unshaped ${base} ms, delayed ${delayed} ms, ${verdict}"
status=0
case "$verdict" in ok*) ;; *) status=1 ;; esac

tc -n $A qdisc change dev va root netem loss 50%
stats=$(ip netns exec $A ping -n -q -c 200 -i 0.01 -W 1 198.18.0.2 | grep 'packets transmitted' || true)
loss=$(echo "$stats" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
lverdict=$(awk -v l="${loss:-nan}" 'BEGIN { print (l >= 30 && l <= 70) ? "ok" : "FAIL" }')
echo "netem loss 50%: ${stats} — ${lverdict} (expected 30–70%)"
[ "$lverdict" = ok ] || status=1
exit $status
