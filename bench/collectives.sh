#!/usr/bin/env bash
# Collective benchmark: scalelab-agent all_reduce against Open MPI's MPI_Allreduce, in the same run,
# on the same emulated cluster: topologies/tiny.json (2 hosts x 2 GPUs, NVLink-like domain per host,
# rail-optimized scale-out through a spine) with every GPU link shaped to RATE_GBIT Gbit/s
# (dilation 1, both tiers), MTU 9000.
#
# Prints the bottleneck rate, scalelab's busbw (each algorithm tried, and % of the link), MPI's
# busbw with Open MPI's own algorithm choice and with the ring forced, and scalelab / best MPI.
# Targets: scalelab busbw >= 90% of the bottleneck link; scalelab / best MPI >= 1.0.
#
# Open MPI runs inside the namespaces: mpirun in gpu0's namespace (scalelab exec), its daemons
# started through bench/mpi-rsh-agent.sh (plm_rsh_agent: "ssh HOST" = scalelab exec CLUSTER/HOST),
# one temporary directory per namespace, the tcp BTL only (ob1), on the scale-out subnet.
#
# Environment: BUILD (build dir, default build), SIZE (64M), ITERS (5), WARMUP (2), RATE_GBIT (1),
# MTU (9000), ALGOS ("ring hier"), CHUNK (agent --chunk-bytes, default the agent's), MPI_SUBNET
# (default: the subnet of the GPUs' scale-out addresses), STRICT=1 (exit 1 when a target is missed).
set -eu
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
size=${SIZE:-64M}
iters=${ITERS:-5}
warmup=${WARMUP:-2}
rate_gbit=${RATE_GBIT:-1}
mtu=${MTU:-9000}
algos=${ALGOS:-ring hier}
agent=$build/agents/scalelab-agent
rsh_agent=$root/bench/mpi-rsh-agent.sh

[ -x "$sl" ] && [ -x "$agent" ] || { echo "bench: build scalelab and scalelab-agent first ($build)" >&2; exit 1; }
command -v mpicc >/dev/null && command -v mpirun >/dev/null ||
  { echo "bench: Open MPI missing (apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench: python3 missing" >&2; exit 1; }

name=collbench-$$
bench_tmpdir collectives

# 1. tiny.json with every link at RATE, dilation 1, under a unique name.
python3 - "$root/topologies/tiny.json" "$tmp/topology.json" "$name" "$rate_gbit" "$mtu" <<'EOF'
import json, re, sys
src, dst, name, rate, mtu = sys.argv[1:]
text = re.sub(r'/\*.*?\*/', '', open(src).read(), flags=re.S)
text = re.sub(r'(?m)^((?:[^"\n]|"(?:[^"\\\n]|\\.)*")*?)//.*$', r'\1', text)  # // comments outside strings
t = json.loads(text)
t['name'] = name
t['dilation'] = 1
c = t['cluster']
c['scale_up']['bandwidth'] = f'{rate}Gb/s'
c['scale_up']['mtu'] = int(mtu)
c['scale_out']['nic_bandwidth'] = f'{rate}Gb/s'
c['scale_out']['mtu'] = int(mtu)
json.dump(t, open(dst, 'w'), indent=2)
EOF

bench_up "$name" "$tmp/topology.json"
nranks=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["world_size"])' "$cluster_file" 2>/dev/null ||
  python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["ranks"]))' "$cluster_file")
link_GBps=$(echo "$rate_gbit / 8" | bc -l)
printf 'cluster %s: tiny.json, %s GPUs, every link %s Gbit/s (dilation 1, MTU %s)\n' "$name" "$nranks" "$rate_gbit" "$mtu"
printf 'bottleneck link: %s Gbit/s = %.4f GB/s\n' "$rate_gbit" "$link_GBps"

# busbw (GB/s) of the first row of an agent --json file: "oop ip"
agent_busbw() {
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["rows"][0]; print(r["busbw_GBps"], r["inplace_busbw_GBps"], r["wrong"], r["inplace_wrong"])' "$1"
}
pct() { echo "100 * $1 / $link_GBps" | bc -l; }

# 2. scalelab-agent all_reduce, each algorithm.
best_sl=0 best_algo=
for algo in $algos; do
  json=$tmp/agent-$algo.json
  if ! timeout -k 5 600 "$sl" run "$name" --timeout 300 -- "$agent" all_reduce -b "$size" -e "$size" -n "$iters" \
      -w "$warmup" --algo "$algo" ${CHUNK:+--chunk-bytes "$CHUNK"} --json "$json" >"$tmp/agent-$algo.log" 2>&1; then
    echo "scalelab all_reduce --algo $algo FAILED:" >&2
    tail -20 "$tmp/agent-$algo.log" >&2
    continue
  fi
  read -r oop ip w_oop w_ip < <(agent_busbw "$json")
  printf 'scalelab all_reduce %s %-4s: busbw %.4f GB/s (%.3f Gbit/s, %.1f%% of link) out-of-place; in-place %.4f GB/s (%.1f%%); #wrong %s/%s\n' \
    "$size" "$algo" "$oop" "$(echo "$oop * 8" | bc -l)" "$(pct "$oop")" "$ip" "$(pct "$ip")" "$w_oop" "$w_ip"
  if [ "$(echo "$oop > $best_sl" | bc -l)" -eq 1 ]; then best_sl=$oop best_algo=$algo; fi
done
[ -n "$best_algo" ] || { echo "bench: no scalelab run succeeded" >&2; exit 1; }

# 3. Open MPI over the same namespaces and links.
mpicc -O2 -o "$tmp/mpi_allreduce" "$root/bench/mpi_allreduce.c"
subnet=${MPI_SUBNET:-$(python3 - "$cluster_file" <<'EOF'
import ipaddress, json, sys
addrs = [ipaddress.ip_address(r["scale_out"]["address"]) for r in json.load(open(sys.argv[1]))["ranks"]]
net = ipaddress.ip_network(f"{addrs[0]}/32", strict=False)
while not all(a in net for a in addrs):
    net = net.supernet()
print(net)
EOF
)}
python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["ranks"]: print(r["node"], "slots=1")' "$cluster_file" >"$tmp/hostfile"
first=$(head -1 "$tmp/hostfile" | cut -d' ' -f1)
mkdir -p "$tmp/mpi/mpirun"
bytes=$(python3 -c 'import sys
s=sys.argv[1]; m={"K":1<<10,"M":1<<20,"G":1<<30}
print(int(float(s[:-1])*m[s[-1].upper()]) if s[-1].upper() in m else int(s))' "$size")

mpi_run() {  # $1 label, rest: extra mpirun args; prints busbw GB/s
  local label=$1
  shift
  if ! SCALELAB_MPI_CLUSTER=$name SCALELAB_BIN=$sl SCALELAB_MPI_TMP=$tmp/mpi TMPDIR=$tmp/mpi/mpirun \
      timeout -k 10 600 "$sl" exec "$name/$first" -- mpirun --allow-run-as-root --oversubscribe -np "$nranks" \
      --hostfile "$tmp/hostfile" --mca plm_rsh_agent "$rsh_agent" --mca plm_rsh_no_tree_spawn 1 \
      --mca pml ob1 --mca btl tcp,self --mca btl_tcp_if_include "$subnet" --mca oob_tcp_if_include "$subnet" \
      "$@" "$tmp/mpi_allreduce" "$bytes" "$iters" "$warmup" >"$tmp/mpi-$label.log" 2>&1; then
    echo "MPI_Allreduce ($label) FAILED:" >&2
    tail -20 "$tmp/mpi-$label.log" >&2
    echo 0
    return
  fi
  sed -n 's/^MPI_ALLREDUCE .* busbw_GBps \([0-9.e+-]*\) wrong \([0-9]*\).*/\1 \2/p' "$tmp/mpi-$label.log" | tail -1
}
read -r mpi_def mpi_def_wrong < <(mpi_run default)
read -r mpi_ring mpi_ring_wrong < <(mpi_run ring --mca coll_tuned_use_dynamic_rules 1 --mca coll_tuned_allreduce_algorithm 4)
printf 'MPI_Allreduce %s default: busbw %.4f GB/s (%.3f Gbit/s, %.1f%% of link); #wrong %s\n' \
  "$size" "$mpi_def" "$(echo "$mpi_def * 8" | bc -l)" "$(pct "$mpi_def")" "${mpi_def_wrong:-?}"
printf 'MPI_Allreduce %s ring   : busbw %.4f GB/s (%.3f Gbit/s, %.1f%% of link); #wrong %s   (coll_tuned_allreduce_algorithm 4)\n' \
  "$size" "$mpi_ring" "$(echo "$mpi_ring * 8" | bc -l)" "$(pct "$mpi_ring")" "${mpi_ring_wrong:-?}"

# 4. Verdicts.
best_mpi=$mpi_def best_mpi_label=default
if [ "$(echo "$mpi_ring > $mpi_def" | bc -l)" -eq 1 ]; then best_mpi=$mpi_ring best_mpi_label=ring; fi
met() { [ "$(echo "$1" | bc -l)" -eq 1 ] && echo met || echo "NOT met"; }
link_pct=$(pct "$best_sl")
printf 'scalelab best (%s): busbw %.4f GB/s = %.1f%% of the %s Gbit/s link (target >= 90%%): %s\n' \
  "$best_algo" "$best_sl" "$link_pct" "$rate_gbit" "$(met "$link_pct >= 90")"
status=0
[ "$(echo "$link_pct >= 90" | bc -l)" -eq 1 ] || status=1
if [ "$(echo "$best_mpi > 0" | bc -l)" -eq 1 ]; then
  ratio=$(echo "$best_sl / $best_mpi" | bc -l)
  printf 'ratio scalelab / best MPI (%s) = %.3f (target >= 1.0): %s\n' "$best_mpi_label" "$ratio" "$(met "$ratio >= 1.0")"
  [ "$(echo "$ratio >= 1.0" | bc -l)" -eq 1 ] || status=1
else
  echo "ratio scalelab / best MPI: n/a (no MPI run succeeded)"
  status=1
fi
[ "${STRICT:-0}" = 1 ] && exit "$status"
exit 0
