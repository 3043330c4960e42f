#!/usr/bin/env bash
# kill -9 anywhere (issue 15 point 3): the orchestrator — `up`, `bench`, `run`, `run-scenario`,
# `inject` in turn — is killed with SIGKILL at a random instant of its run, then `scalelab down`
# must leave nothing of that cluster: no namespace, no record, no process (found by the
# SCALELAB_CLUSTER its ranks carry), no straggler cgroup, and at the end the host's neighbour
# limits as they were. Prints the kills tried per verb and the objects leaked (must be 0).
# Usage: kill9_test.sh BUILD SOURCE [KILLS] [SEED]     (bench/kill9.sh runs 60)
# Only this test's clusters (named k9-<pid>-<n>) are touched, so it can run beside others.
set -euo pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd)
kills=${3:-10} seed=${4:-$$}
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (it builds clusters and kills their orchestrator)" >&2; exit 77; }
sl=$build/scalelab
RANDOM=$seed
tmp=$(mktemp -d /tmp/sl-kill9.XXXXXX)
names=()
cleanup() {
  for n in "${names[@]}"; do "$sl" down "$n" > /dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

neigh() { cat /proc/sys/net/ipv4/neigh/default/gc_thresh{1,2,3} | tr '\n' ' '; }
neigh_before=$(neigh)

# A copy of tiny (and of a drill on it) under a name of this run's own.
make_cluster_files() {
  local name=$1
  sed "s/\"name\": \"tiny\"/\"name\": \"$name\"/" "$source/topologies/tiny.json" > "$tmp/$name.json"
  sed "s|\"topology\": \"../topologies/tiny.json\"|\"topology\": \"$tmp/$name.json\"|" "$source/scenarios/straggler.json" > "$tmp/$name-drill.json"
  grep -q "\"name\": \"$name\"" "$tmp/$name.json" && grep -q "$tmp/$name.json" "$tmp/$name-drill.json" ||
    { echo "FAIL: could not rename tiny.json / straggler.json for $name" >&2; exit 1; }
}

# Everything of cluster $1 that could outlive it; prints one line per leaked object.
leaks_of() {
  local name=$1 p
  ls /run/netns 2>/dev/null | grep "^sl-$name-" | sed 's/^/netns /' || true
  [ -e "/run/scalelab/$name" ] && echo "record /run/scalelab/$name"
  for p in /proc/[0-9]*; do
    { tr '\0' '\n' < "$p/environ"; } 2>/dev/null | grep -qx "SCALELAB_CLUSTER=$name" &&
      echo "process ${p#/proc/} $({ tr '\0' ' ' < "$p/cmdline"; } 2>/dev/null)"
  done
  find /sys/fs/cgroup -maxdepth 4 -type d -path "*scalelab*" -name "*$name*" 2>/dev/null | sed 's/^/cgroup /'
  return 0
}

verbs=(up bench run run-scenario inject)
declare -A tried=()
leaked=0
for i in $(seq 0 $((kills - 1))); do
  verb=${verbs[$((i % ${#verbs[@]}))]}
  name=k9-$$-$i
  names+=("$name")
  make_cluster_files "$name"
  [ "$verb" = up ] || [ "$verb" = run-scenario ] || "$sl" up "$tmp/$name.json" > /dev/null 2>&1
  # The window each verb runs in (ms): the kill lands anywhere inside it.
  case $verb in
    up) window=60; cmd=("$sl" up "$tmp/$name.json") ;;
    bench) window=3000; cmd=("$sl" bench "$name" all_reduce -b 1M -e 8M -f 2 -n 5) ;;
    run) window=1000; cmd=("$sl" run "$name" -- sleep 30) ;;
    run-scenario) window=12000; cmd=("$sl" run-scenario "$tmp/$name-drill.json" --report "$tmp/report-$i") ;;
    inject) window=40; cmd=("$sl" inject "$name" link_down gpu1:nic0 --converge-after 200ms) ;;
  esac
  delay=$((RANDOM % window))
  "${cmd[@]}" > "$tmp/out-$i" 2>&1 &
  pid=$!
  sleep "$(awk "BEGIN { print $delay / 1000 }")"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  tried[$verb]=$(( ${tried[$verb]:-0} + 1 ))
  "$sl" down "$name" > /dev/null 2>&1 || { echo "FAIL: down $name did not succeed after killing $verb" >&2; leaked=$((leaked + 1)); }
  left=$(leaks_of "$name")
  if [ -n "$left" ]; then
    echo "LEAK after kill -9 of $verb at $delay ms:" >&2
    echo "$left" >&2
    leaked=$((leaked + $(echo "$left" | wc -l)))
  fi
done
# The host's neighbour limits come back once no cluster needs them (other clusters may run).
if [ -z "$(ls /run/scalelab 2>/dev/null | grep -v '\.json$' || true)" ] && [ "$(neigh)" != "$neigh_before" ]; then
  echo "LEAK: host neighbour limits $(neigh), were $neigh_before" >&2
  leaked=$((leaked + 1))
fi
summary=""
for v in "${verbs[@]}"; do summary+=" $v ${tried[$v]:-0}"; done
echo "kill -9: $kills kills tried (${summary# }), seed $seed; objects leaked: $leaked"
[ "$leaked" -eq 0 ]
