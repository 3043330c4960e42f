#!/usr/bin/env bash
# One cluster across "machines" that are namespaces this test makes on this box (issue 14
# point 4): each machine is a network namespace on a bridged underlay, with a mount namespace of
# its own (its own /run/netns and /run/scalelab, as another machine would have) held by a
# process, and a real OpenSSH sshd with a throwaway key. An operator namespace on the same
# underlay runs `scalelab up --machines`, `exec` and `down`; nothing is sent anywhere else.
# Checked: every tier reaches across the cut, the cut links are VXLAN devices, no node reaches
# the underlay, nothing is left on any machine after `down`, and a machine whose sshd is killed
# is named by `down`, which finishes the job once the machine answers again.
set -euo pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd) topology=${3:-tiny}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root: makes network and mount namespaces and runs sshd" >&2; exit 77; }
[ -x /usr/sbin/sshd ] || { echo "SKIP: needs /usr/sbin/sshd (Debian openssh-server; make deps installs it)" >&2; exit 77; }
sl=$build/scalelab
tag=mm$$
cluster=mmt$$
machines=(m1 m2)
tmp=$(mktemp -d /tmp/scalelab-machines.XXXXXX)
declare -A holder sshd_pid
fail() { echo "FAIL: $*" >&2; exit 1; }

cleanup() {
  set +e
  ip netns exec "$tag-op" "$sl" down "$cluster" > /dev/null 2>&1
  for m in "${machines[@]}"; do
    [ -n "${sshd_pid[$m]:-}" ] && kill "${sshd_pid[$m]}" 2>/dev/null
    if [ -n "${holder[$m]:-}" ]; then
      nsenter -t "${holder[$m]}" -m -n "$sl" clean > /dev/null 2>&1
      kill "${holder[$m]}" 2>/dev/null
    fi
  done
  for ns in "$tag-op" "$tag-ul" "${machines[@]/#/$tag-}"; do ip netns del "$ns" 2>/dev/null; done
  rm -f "/run/scalelab-across/$cluster.json"
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== the underlay: a bridge, ${#machines[@]} machines and an operator on 198.19.254.0/24, MTU 9000"
ip netns add "$tag-ul"
ip -n "$tag-ul" link add br0 mtu 9000 type bridge
ip -n "$tag-ul" link set br0 up
attach() {  # namespace, address
  ip netns add "$1"
  ip -n "$tag-ul" link add "p-$1" mtu 9000 type veth peer name eth0 netns "$1" mtu 9000
  ip -n "$tag-ul" link set "p-$1" master br0 up
  ip -n "$1" addr add "$2/24" dev eth0
  ip -n "$1" link set eth0 up
  ip -n "$1" link set lo up
}
attach "$tag-op" 198.19.254.100
i=0
for m in "${machines[@]}"; do i=$((i + 1)); attach "$tag-$m" "198.19.254.$i"; done

echo "== a mount namespace and an sshd per machine"
ssh-keygen -q -t ed25519 -N '' -f "$tmp/id" -C scalelab-test
ssh-keygen -q -t ed25519 -N '' -f "$tmp/host" -C scalelab-test-host
cp "$tmp/id.pub" "$tmp/authorized_keys"
mkdir -p /run/sshd
start_sshd() {  # machine, address
  cat > "$tmp/sshd-$1.conf" <<CONF
ListenAddress $2
HostKey $tmp/host
AuthorizedKeysFile $tmp/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $tmp/sshd-$1.pid
LogLevel ERROR
CONF
  nsenter -t "${holder[$1]}" -m -n /usr/sbin/sshd -D -e -f "$tmp/sshd-$1.conf" 2>> "$tmp/sshd-$1.log" &
  sshd_pid[$1]=$!
  for _ in $(seq 50); do nsenter -t "${holder[$1]}" -n ss -ltn 2>/dev/null | grep -q "$2:22" && return; sleep 0.1; done
  cat "$tmp/sshd-$1.log"; fail "sshd of $1 did not listen"
}
i=0
for m in "${machines[@]}"; do
  i=$((i + 1))
  mkfifo "$tmp/ready-$m"
  # The holder keeps the machine's mount namespace (and so its namespaces) alive when sshd dies.
  ip netns exec "$tag-$m" unshare --mount --propagation private sh -c \
    "mount -t tmpfs tmpfs /run/netns && for d in /run/scalelab /run/scalelab-across; do mkdir -p \$d && mount -t tmpfs tmpfs \$d; done && echo ready > $tmp/ready-$m && exec sleep 900" &
  holder[$m]=$!
  read -r _ < "$tmp/ready-$m"
  start_sshd "$m" "198.19.254.$i"
done

cat > "$tmp/machines.json" <<JSON
{"machines": [
  {"name": "m1", "ssh": "root@198.19.254.1", "underlay_dev": "eth0", "scalelab": "$sl"},
  {"name": "m2", "ssh": "root@198.19.254.2", "underlay_dev": "eth0", "scalelab": "$sl"}],
 "ssh_options": ["-i", "$tmp/id", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]}
JSON
op() { ip netns exec "$tag-op" "$sl" "$@"; }
on() { nsenter -t "${holder[$1]}" -m -n "${@:2}"; }

echo "== plan: the cut"
"$sl" plan "$source/topologies/$topology.json" --machines "$tmp/machines.json" 2>&1 | tee "$tmp/plan.txt" || true
"$sl" plan "$source/topologies/$topology.json" --machines 2 --json > "$tmp/cut.json"

echo "== up across the machines"
op up "$source/topologies/$topology.json" --name "$cluster" --machines "$tmp/machines.json" | tee "$tmp/up.txt"
grep -q "up across 2 machines" "$tmp/up.txt" || fail "up printed no cluster across machines"
for m in "${machines[@]}"; do
  on "$m" test -d "/run/scalelab/$cluster" || fail "machine $m holds no shard of $cluster"
done
[ ! -e "/run/scalelab/$cluster" ] || fail "the operator's own machine got a shard"
[ -z "$(ip netns list | grep "sl-$cluster-" || true)" ] || fail "a node namespace appeared on the operator's machine"

addr() { op exec "$cluster/$1" -- ip -4 -o addr show dev "$2" | awk '{print $4}' | cut -d/ -f1; }
node_machine() { /usr/bin/python3 -c "import json,sys; c=json.load(open('$tmp/cut.json')); print([m['machine'] for m in c['machines'] if sys.argv[1] in m['nodes']][0])" "$1"; }
echo "gpu0 on $(node_machine gpu0), gpu2 on $(node_machine gpu2)"
[ "$(node_machine gpu0)" != "$(node_machine gpu2)" ] || fail "the cut kept both hosts on one machine"

echo "== reachability over every tier"
op exec "$cluster/gpu0" -- ping -c 2 -i 0.2 -W 2 "$(addr gpu1 nvl0)" > /dev/null || fail "scale-up gpu0 → gpu1 (one machine)"
op exec "$cluster/gpu0" -- ping -c 2 -i 0.2 -W 2 "$(addr gpu2 nic0)" | tail -1 || fail "same rail gpu0 → gpu2 across the cut"
op exec "$cluster/gpu0" -- ping -c 2 -i 0.2 -W 2 "$(addr gpu3 nic0)" | tail -1 || fail "cross rail gpu0 → gpu3 through the spine, across the cut"
op exec "$cluster/gpu3" -- ping -c 2 -i 0.2 -W 2 "$(addr gpu1 nic0)" | tail -1 || fail "gpu3 → gpu1 across the cut"

echo "== the cut links are VXLAN devices, shaped, and the nodes cannot reach the underlay"
cut_links=$(/usr/bin/python3 -c "import json; print(json.load(open('$tmp/cut.json'))['cross_links'])")
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
if op exec "$cluster/gpu0" -- ping -c 1 -W 1 198.19.254.2 > /dev/null 2>&1; then fail "a node reached the underlay"; fi

echo "== down: every machine cleaned"
op down "$cluster" | tee "$tmp/down.txt"
for m in "${machines[@]}"; do
  [ -z "$(on "$m" ls /run/netns)" ] || fail "machine $m kept namespaces: $(on "$m" ls /run/netns)"
  on "$m" test ! -e "/run/scalelab/$cluster" || fail "machine $m kept the shard's record"
done
[ ! -e "/run/scalelab-across/$cluster.json" ] || fail "the operator kept the record"

echo "== a machine lost before down: named, the others cleaned, the record kept for the next down"
op up "$source/topologies/$topology.json" --name "$cluster" --machines "$tmp/machines.json" > /dev/null
kill "${sshd_pid[m2]}"; wait "${sshd_pid[m2]}" 2>/dev/null || true; sshd_pid[m2]=""
status=0
op down "$cluster" > "$tmp/down-lost.txt" 2>&1 || status=$?
cat "$tmp/down-lost.txt"
[ "$status" -ne 0 ] || fail "down succeeded with a machine unreachable"
grep -q "m2 (root@198.19.254.2) is unreachable" "$tmp/down-lost.txt" || fail "down did not name the lost machine"
[ -z "$(on m1 ls /run/netns)" ] || fail "m1 was not cleaned while m2 was lost"
[ -e "/run/scalelab-across/$cluster.json" ] || fail "the record went while m2 still holds its shard"
[ -n "$(on m2 ls /run/netns)" ] || fail "m2's shard vanished with its sshd (the test's machine model is broken)"
start_sshd m2 198.19.254.2
op down "$cluster" > /dev/null
[ -z "$(on m2 ls /run/netns)" ] || fail "m2 kept namespaces after the second down"
[ ! -e "/run/scalelab-across/$cluster.json" ] || fail "the operator kept the record after every machine answered"

echo "== a machine that refuses: up fails naming it and leaves no shard anywhere"
on m2 "$sl" up "$source/topologies/$topology.json" --name "$cluster" > /dev/null  # a same-named cluster already on m2
status=0
op up "$source/topologies/$topology.json" --name "$cluster" --machines "$tmp/machines.json" > "$tmp/up-refused.txt" 2>&1 || status=$?
cat "$tmp/up-refused.txt"
[ "$status" -ne 0 ] || fail "up succeeded over a machine holding a cluster of that name"
grep -q "m2" "$tmp/up-refused.txt" && grep -q "already exists" "$tmp/up-refused.txt" || fail "the refusal does not name m2 and why"
[ -z "$(on m1 ls /run/netns)" ] || fail "m1 kept its shard after the bring-up failed"
on m2 "$sl" down "$cluster" > /dev/null
[ ! -e "/run/scalelab-across/$cluster.json" ] || fail "the failed up left its record"
echo "machines: ok"
