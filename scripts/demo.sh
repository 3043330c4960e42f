#!/usr/bin/env bash
# `make demo`: bring up the default two-host H100-class cluster, show its fabric carrying real
# traffic over each tier, and take it down again. Everything stays inside its namespaces.
set -eu  # no pipefail: `| head` cutting a long listing short is fine here
build=${1:-build}
sl="$build/scalelab"
out=${OUT:-out/demo}
mkdir -p "$out"
topology=topologies/h100x2.json
cluster=h100x2

if [ "$(id -u)" -ne 0 ]; then echo "demo: needs root (sudo make demo)" >&2; exit 1; fi
cleanup() { "$sl" down "$cluster" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$sl" down "$cluster" >/dev/null 2>&1 || true

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "kernel capabilities"
"$sl" doctor || true

step "plan: $topology"
"$sl" plan "$topology" | head -8

step "up"
"$sl" up "$topology"

addr() { "$sl" exec "$cluster/$1" -- ip -4 -o addr show dev "$2" | awk '{print $4}' | cut -d/ -f1; }

step "scale-up: gpu0 → gpu1 over nvl0 (same NVLink domain)"
"$sl" exec $cluster/gpu0 -- ping -c 3 -i 0.2 "$(addr gpu1 nvl0)" | tail -2
step "scale-out, same rail: gpu0 → gpu8 over nic0 through leaf0"
"$sl" exec $cluster/gpu0 -- ping -c 3 -i 0.2 "$(addr gpu8 nic0)" | tail -2
step "scale-out, cross rail: gpu0 → gpu9 through leaf0 → spine → leaf1 (ttl 61 = 3 routed hops)"
"$sl" exec $cluster/gpu0 -- ping -c 1 "$(addr gpu9 nic0)" | grep ttl

step "a shaped rail link: 400 Gb/s NIC at dilation 1000 → 400 Mb/s (iperf3, 3 s)"
"$sl" exec $cluster/gpu8 -- iperf3 -s -1 -D -p 5201 >/dev/null
sleep 0.3
"$sl" exec $cluster/gpu0 -- iperf3 -c "$(addr gpu8 nic0)" -p 5201 -t 3 -f m | grep -E 'sender|receiver'

step "status"
"$sl" status $cluster | head -12

step "all_reduce on all 16 GPUs, nccl-tests style (real TCP between the namespaces; busbw projected × dilation in --json)"
"$sl" bench $cluster all_reduce -b 1M -e 16M -f 4 -n 5 -w 2 --json "$out/allreduce.json"

step "down"
"$sl" down $cluster
trap - EXIT
left=$(ip netns list | grep -c "^sl-$cluster-" || true)
echo "namespaces left behind: $left"

step "a failure drill: rank 3 killed mid-all_reduce — every other rank must notice within the deadline"
"$sl" run-scenario scenarios/rank-killed.json --report "$out/rank-killed"
echo "drill report: $out/rank-killed/report.html (open it in a browser), trace: $out/rank-killed/trace.json (Perfetto)"

step "a training job on tiny: TP 2 inside each host, PP 2 across the hosts (1F1B), every group on its own connections — per step, phase and group, against the model"
"$sl" job topologies/tiny.json jobs/tiny-3d.json --steps 2 --compare-model
