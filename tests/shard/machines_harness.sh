# "Machines" made of namespaces on this box, for tests/shard/machines_test.sh and
# bench/multi-machine.sh (sourced, not run): a bridged underlay on 198.19.254.0/24 (MTU 9000),
# per machine a network namespace with a mount namespace of its own (private /run/netns,
# /run/scalelab, /run/scalelab-across) held by a process and a real OpenSSH sshd with a throwaway
# key, and an operator namespace likewise. Nothing is sent anywhere else.
# Needs: $sl (the scalelab binary), $count (machines). Gives: $tmp, $tag, machines, $tmp/machines.json,
# op (scalelab as the operator), on MACHINE CMD…, start_sshd, fail, and an EXIT trap that
# removes everything (set $cluster to have it downed first).
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root: makes network and mount namespaces and runs sshd" >&2; exit 77; }
[ -x /usr/sbin/sshd ] || { echo "SKIP: needs /usr/sbin/sshd (Debian openssh-server; make deps installs it)" >&2; exit 77; }
tag=mm$$
machines=()
for i in $(seq "$count"); do machines+=("m$i"); done
tmp=$(mktemp -d /tmp/scalelab-machines.XXXXXX)
declare -A holder sshd_pid
fail() { echo "FAIL: $*" >&2; exit 1; }

cleanup() {
  set +e
  [ -n "${holder[op]:-}" ] && [ -n "${cluster:-}" ] && nsenter -t "${holder[op]}" -m -n "$sl" down "$cluster" > /dev/null 2>&1
  [ -n "${holder[op]:-}" ] && kill "${holder[op]}" 2>/dev/null
  for m in "${machines[@]}"; do
    [ -n "${sshd_pid[$m]:-}" ] && kill "${sshd_pid[$m]}" 2>/dev/null
    if [ -n "${holder[$m]:-}" ]; then
      nsenter -t "${holder[$m]}" -m -n "$sl" clean > /dev/null 2>&1
      kill "${holder[$m]}" 2>/dev/null
    fi
  done
  for ns in "$tag-op" "$tag-ul" "${machines[@]/#/$tag-}"; do ip netns del "$ns" 2>/dev/null; done
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
# The holder keeps a machine's mount namespace (and so its namespaces) alive when sshd dies. The
# operator gets one too: its records and its `clean` are its own, not this box's.
make_holder() {  # name
  mkfifo "$tmp/ready-$1"
  ip netns exec "$tag-$1" unshare --mount --propagation private sh -c \
    "mount -t tmpfs tmpfs /run/netns && for d in /run/scalelab /run/scalelab-across; do mkdir -p \$d && mount -t tmpfs tmpfs \$d; done && echo ready > $tmp/ready-$1 && exec sleep 900" &
  holder[$1]=$!
  read -r _ < "$tmp/ready-$1"
}
make_holder op
i=0
for m in "${machines[@]}"; do
  i=$((i + 1))
  make_holder "$m"
  start_sshd "$m" "198.19.254.$i"
done

{
  echo '{"machines": ['
  i=0
  for m in "${machines[@]}"; do
    i=$((i + 1))
    echo "  {\"name\": \"$m\", \"ssh\": \"root@198.19.254.$i\", \"underlay_dev\": \"eth0\", \"scalelab\": \"$sl\"}$([ "$i" -lt "$count" ] && echo ,)"
  done
  # ServerAlive 1 s × 2: a machine lost mid-run is noticed in seconds (the default is 15 s).
  echo " ], \"ssh_options\": [\"-i\", \"$tmp/id\", \"-o\", \"StrictHostKeyChecking=no\", \"-o\", \"UserKnownHostsFile=/dev/null\","
  echo "   \"-o\", \"LogLevel=ERROR\", \"-o\", \"ServerAliveInterval=1\", \"-o\", \"ServerAliveCountMax=2\"]}"
} > "$tmp/machines.json"
op() { nsenter -t "${holder[op]}" -m -n "$sl" "$@"; }
on() { nsenter -t "${holder[$1]}" -m -n "${@:2}"; }
