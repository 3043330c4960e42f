#!/bin/sh
# Runs inside `scalelab vm`: soft-RoCE (rxe) devices in two network namespaces joined by a
# veth, and ibv_rc_pingpong (RC QP, RoCEv2 over IPv4) between them.
# Uses iproute2's ip/rdma and ibverbs-utils (tests may; the emulator itself never forks them).
set -eu
A=slk-rxe-a B=slk-rxe-b
ip netns add $A
ip netns add $B
cleanup() {
  ip netns exec $A rdma link del rxe_a 2>/dev/null || true
  ip netns exec $B rdma link del rxe_b 2>/dev/null || true
  ip netns del $A 2>/dev/null || true
  ip netns del $B 2>/dev/null || true
}
trap cleanup EXIT
ip link add va netns $A type veth peer name vb netns $B
ip -n $A addr add 198.18.1.1/24 dev va
ip -n $B addr add 198.18.1.2/24 dev vb
for ns in $A $B; do ip -n $ns link set lo up; done
ip -n $A link set va up
ip -n $B link set vb up
ip netns exec $A rdma link add rxe_a type rxe netdev va
ip netns exec $B rdma link add rxe_b type rxe netdev vb
rdma link show

# The RoCEv2 GID of the interface's IPv4 address (::ffff:a.b.c.d), as the kernel numbered it.
gid_index() {
  for f in /sys/class/infiniband/$1/ports/1/gids/*; do
    i=${f##*/}
    case "$(cat "$f")" in
      0000:0000:0000:0000:0000:ffff:*)
        [ "$(cat /sys/class/infiniband/$1/ports/1/gid_attrs/types/$i 2>/dev/null)" = "RoCE v2" ] && { echo "$i"; return 0; } ;;
    esac
  done
  return 1
}
ga=$(gid_index rxe_a)
gb=$(gid_index rxe_b)
echo "rxe_a GID index $ga, rxe_b GID index $gb"

ip netns exec $B ibv_rc_pingpong -d rxe_b -g "$gb" -n 500 -s 4096 > /tmp/rxe_server.log 2>&1 &
server=$!
client_ok=1
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  sleep 0.3
  if ip netns exec $A ibv_rc_pingpong -d rxe_a -g "$ga" -n 500 -s 4096 198.18.1.2 > /tmp/rxe_client.log 2>&1; then
    client_ok=0
    break
  fi
  grep -q "Couldn't connect" /tmp/rxe_client.log || break  # only retry while the server is not listening yet
done
server_ok=0
wait $server || server_ok=$?
echo "--- client"; cat /tmp/rxe_client.log
echo "--- server"; cat /tmp/rxe_server.log
if [ $client_ok -eq 0 ] && [ $server_ok -eq 0 ] && grep -q 'iters in' /tmp/rxe_client.log; then
  echo "rxe: ibv_rc_pingpong between two namespaces: ok"
  exit 0
fi
echo "rxe: ibv_rc_pingpong between two namespaces: FAIL (client $client_ok, server $server_ok)"
exit 1
