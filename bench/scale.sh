#!/usr/bin/env bash
# Scale benchmark: the largest cluster this machine brings up and runs a 1 MB all_reduce on.
# For each size (default 256 512 1024 GPUs; 8 GPUs per host, 8 rails, 4 spines) it prints
# bring-up time, peak memory (scalelab's own and the kernel's, from MemAvailable), the agents'
# start-up (first agent started → every rank connected and known to rank 0), the timed all_reduce,
# the whole `scalelab bench` (launch, start-up, warm-up, checks, exit), and tear-down time. In
# the same run it times Mininet bringing up the same number of hosts (single switch), for a ratio.
# Target: 1024 GPUs. ALGO (default tree) is the agents' --algo: at 128 domains the rail ring's 254
# steps each wake every rank, the tree's 14 do not.
# Deadlines are generous: starting 1024 agents on 2 cores takes minutes, and the first
# collective waits for the last rank to arrive.
# Do not send its output to /tmp/*.log: `mn -c` (Mininet's cleanup, run after each Mininet
# measurement) deletes those.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD:-build}
sizes=${SIZES:-"256 512 1024"}
algo=${ALGO:-tree}
sl="$build/scalelab"
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }
[ -x "$sl" ] || { echo "bench: build first (make build)" >&2; exit 1; }
tmp=$(mktemp -d)
name=scale
cleanup() { "$sl" down "$name" >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT

# Mininet raises these host-wide (mininet.util.fixLimits) and never lowers them. Left raised, they
# change later measurements (the agents' 4 MiB socket buffers are capped by net.core.[rw]mem_max)
# and make scalelab's own neighbour-limit handling see a host that is not in its default state.
mininet_sysctls="fs.file-max net.core.wmem_max net.core.rmem_max net.ipv4.tcp_rmem net.ipv4.tcp_wmem
  net.core.netdev_max_backlog net.ipv4.neigh.default.gc_thresh1 net.ipv4.neigh.default.gc_thresh2
  net.ipv4.neigh.default.gc_thresh3 net.ipv4.route.max_size kernel.pty.max"
save_mininet_sysctls() {
  : > "$tmp/sysctls"
  for k in $mininet_sysctls; do
    v=$(sysctl -n "$k" 2>/dev/null) && printf '%s=%s\n' "$k" "$v" >> "$tmp/sysctls"
  done
}
restore_mininet_sysctls() {
  while IFS= read -r kv; do sysctl -q -w "$kv" >/dev/null || echo "bench: could not restore $kv" >&2; done < "$tmp/sysctls"
}

avail_kb() { awk '/MemAvailable/ {print $2}' /proc/meminfo; }
now() { date +%s.%N; }

echo "all_reduce 1 MiB, --algo $algo; startup_s: first agent started -> every rank connected and its line at rank 0"
printf '%6s %9s %12s %12s %10s %12s %10s %10s %12s %12s\n' gpus up_s up_rss_MB kernel_MB startup_s allreduce_s bench_s down_s mininet_s mininet/up
for gpus in $sizes; do
  hosts=$((gpus / 8))
  cat > "$tmp/$name.json" <<JSON
{ "name": "$name", "dilation": 20000,
  "cluster": { "hosts": $hosts, "gpus_per_host": 8,
    "scale_up":  { "domain": "host", "bandwidth": "900GB/s", "latency": "1us", "mtu": 9000 },
    "scale_out": { "nic_bandwidth": "400Gb/s", "latency": "2us", "rails": 8, "spines": 4, "mtu": 4200 } } }
JSON
  before=$(avail_kb)
  t0=$(now)
  /usr/bin/time -f "%M" -o "$tmp/rss" "$sl" up "$tmp/$name.json" >/dev/null 2>&1
  t1=$(now)
  after=$(avail_kb)
  rss_mb=$(( $(cat "$tmp/rss") / 1024 ))
  kernel_mb=$(( (before - after) / 1024 ))
  t2=$(now)
  startup=NA
  ar=NA
  rm -f "$tmp/bench.json"
  if "$sl" bench "$name" all_reduce -b 1M -e 1M -n 1 -w 1 -c 1 --algo "$algo" --timeout-ms 600000 --connect-timeout-ms 600000 --wall-timeout 1500 --json "$tmp/bench.json" > "$tmp/bench.out" 2>&1; then
    t3=$(now)
    bench_s=$(printf '%.1f' "$(echo "$t3 - $t2" | bc -l)")
    grep -q "Out of bounds values : 0 OK" "$tmp/bench.out" || bench_s="wrong"
    # From rank 0's JSON: when every rank had connected and its line was gathered (after the first
    # agent started), and the timed all_reduce itself (the slowest rank's, out of place).
    read -r startup ar < <(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print("%.2f %.3f" % (j["startup"]["gathered_s"], j["rows"][0]["time_us"] / 1e6))' "$tmp/bench.json")
  else
    bench_s="failed"
    grep -m3 SCALELAB_ERROR "$tmp/bench.out" >&2 || tail -3 "$tmp/bench.out" >&2
  fi
  t4=$(now)
  "$sl" down "$name" >/dev/null
  t5=$(now)
  sleep 2  # the kernel frees namespaces asynchronously
  mn_t=NA
  if command -v mn >/dev/null && [ "${MININET:-1}" = 1 ]; then
    save_mininet_sysctls
    m0=$(now)
    timeout 600 mn --switch lxbr --controller none --topo single,"$gpus" --link tc,bw=100 --test none >/dev/null 2>&1 && mn_t=$(printf '%.1f' "$(echo "$(now) - $m0" | bc -l)")
    mn -c >/dev/null 2>&1 || true
    restore_mininet_sysctls
    sleep 2
  fi
  up_s=$(echo "$t1 - $t0" | bc -l)
  ratio=NA
  [ "$mn_t" = NA ] || ratio=$(printf '%.1f' "$(echo "$mn_t / $up_s" | bc -l)")
  printf '%6d %9.3f %12d %12d %10s %12s %10s %10.3f %12s %12s\n' "$gpus" "$up_s" "$rss_mb" "$kernel_mb" "$startup" "$ar" "$bench_s" "$(echo "$t5 - $t4" | bc -l)" "$mn_t" "$ratio"
done
