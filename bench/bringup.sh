#!/usr/bin/env bash
# Bring-up benchmark (issue 13 point 1). In one run, on this machine, as it is loaded:
#   - scalelab up and down of rail128 (RUNS times), of 1024 GPUs (BIG_RUNS times) and of 4096
#     GPUs (once, peak RSS of `up` and `down` from /usr/bin/time -v, kernel memory from MemAvailable);
#   - the kernel floor, measured here for the same objects (from `scalelab plan --json`, see
#     bench/bringup_floor.py): every namespace, bridge and veth pair through one `ip -batch`, then
#     each namespace's links, addresses, routes (`ip -n NS -batch`) and htb (`tc -n NS -batch`),
#     less what starting those two processes per namespace costs (empty batches, timed too; up to
#     FLOOR_CONFIG_MAX=1024 GPUs, above only the one ip -batch);
#     down is one `ip -batch` of `netns del`;
#   - Mininet `single,128` (MININET=0 skips it), for scalelab rail128 up+down ÷ Mininet.
# Prints medians, scalelab ÷ floor, and the issue's targets (rail128 up+down ≤ 0.5 s and ≤ 0.05 ×
# Mininet; 1024 up ≤ 2 s, down ≤ 0.5 s). Every command is bounded by LIMIT seconds (default 300);
# it removes only what it made: clusters bu-<pid>-*, namespaces bufl<pid>-*.
# Do not send its output to /tmp/*.log (Mininet's own cleanup deletes those).
set -eu
. "$(dirname "$0")/lib.sh"
runs=${RUNS:-5}
big_runs=${BIG_RUNS:-1}
limit=${LIMIT:-300}
sizes=${SIZES:-"128 1024 4096"}
# Above this many GPUs the floor is the one `ip -batch` only: one ip and one tc process per
# namespace take minutes for 4620 namespaces, mostly in process starts.
floor_config_max=${FLOOR_CONFIG_MAX:-1024}
[ -x "$sl" ] || { echo "bench: build first (make build)" >&2; exit 1; }
for n in $runs $big_runs; do case $n in '' | *[!0-9]* | 0) echo "bench: RUNS/BIG_RUNS must be 1..20" >&2; exit 1 ;; esac; [ "$n" -le 20 ] || { echo "bench: RUNS/BIG_RUNS must be 1..20" >&2; exit 1; }; done
bench_tmpdir bringup

clusters=()
floor_prefix=bufl$$-
cleanup() {
  local c ns
  for c in "${clusters[@]}"; do timeout "$limit" "$sl" down "$c" >/dev/null 2>&1 || true; done
  for ns in $(ls /run/netns 2>/dev/null | grep "^$floor_prefix" || true); do ip netns del "$ns" 2>/dev/null || true; done
  bench_cleanup
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "NA"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { case "$1$2" in *NA* | *failed*) echo NA ;; *) echo "$1 / $2" | bc -l | xargs printf '%.3f' ;; esac; }
met() { [ "$(echo "$1" | grep -c '^[0-9.]*$')" = 1 ] && [ "$(echo "$1 <= $2" | bc -l)" = 1 ] && echo met || echo "NOT met"; }
f3() { case $1 in NA | failed) echo "$1" ;; *) printf '%.3f' "$1" ;; esac; }
avail_kb() { awk '/MemAvailable/ {print $2}' /proc/meminfo; }
# The kernel frees deleted namespaces asynchronously and that work competes with the next run.
settle() { sleep "$1"; }

topology_of() {
  case $1 in
    128) echo topologies/rail128.json ;;
    *) echo "bench/topologies/rail$1.json" ;;
  esac
}

# scalelab up and down of size $1, $2 times; sets sl_up, sl_down (medians, seconds) and prints
# the phases of the last run.
scalelab_runs() {
  local gpus=$1 n=$2 file name ups=() downs=() t0 i
  file=$(topology_of "$gpus")
  name=bu-$$-$gpus
  for i in $(seq "$n"); do
    clusters+=("$name")
    t0=$(now)
    if ! timeout "$limit" "$sl" up "$file" --name "$name" --json --timings >"$tmp/up.json" 2>"$tmp/up.err"; then
      echo "bench: scalelab up of $gpus GPUs failed:" >&2; tail -3 "$tmp/up.err" >&2; return 1
    fi
    ups+=("$(since "$t0")")
    t0=$(now)
    timeout "$limit" "$sl" down "$name" >/dev/null
    downs+=("$(since "$t0")")
    settle "$(( gpus >= 1024 ? 3 : 1 ))"
  done
  sl_up=$(printf '%s\n' "${ups[@]}" | median)
  sl_down=$(printf '%s\n' "${downs[@]}" | median)
  printf '  scalelab %5s GPUs up (s): %s; down (s): %s\n' "$gpus" "${ups[*]}" "${downs[*]}"
  python3 -c 'import json,sys; print("    phases of the last up: " + ", ".join("%s %.3f" % (p["phase"], p["seconds"]) for p in json.load(open(sys.argv[1]))["phases"]))' "$tmp/up.json"
}

# The kernel floor for the plan of size $1; sets floor_up, floor_links, floor_down.
floor_run() {
  local gpus=$1 dir=$tmp/floor-$1 count t0 t_links t_conf t_spawn i
  "$sl" plan "$(topology_of "$gpus")" --json >"$tmp/plan.json"
  python3 bench/bringup_floor.py "$tmp/plan.json" "$floor_prefix" "$dir"
  count=$(wc -l <"$dir/names")
  t0=$(now)
  timeout "$limit" ip -batch "$dir/links.batch" >/dev/null
  t_links=$(since "$t0")
  if [ "$gpus" -gt "$floor_config_max" ]; then
    t0=$(now)
    timeout "$limit" ip -batch "$dir/down.batch" >/dev/null
    floor_down=$(since "$t0")
    floor_links=$t_links floor_up=NA
    printf '  floor    %5s GPUs: namespaces+bridges+veths %.3f s (one ip -batch; per-namespace batches skipped above %s GPUs), down %.3f s\n' \
      "$gpus" "$t_links" "$floor_config_max" "$floor_down"
    settle 5
    return
  fi
  t0=$(now)
  for i in $(seq 0 $((count - 1))); do
    timeout "$limit" ip -n "$floor_prefix$i" -batch "$dir/ns/$i.ip" >/dev/null
    timeout "$limit" tc -n "$floor_prefix$i" -batch "$dir/ns/$i.tc" >/dev/null
  done
  t_conf=$(since "$t0")
  t0=$(now)
  for i in $(seq 0 $((count - 1))); do
    timeout "$limit" ip -n "$floor_prefix$i" -batch /dev/null >/dev/null
    timeout "$limit" tc -n "$floor_prefix$i" -batch /dev/null >/dev/null
  done
  t_spawn=$(since "$t0")
  t0=$(now)
  timeout "$limit" ip -batch "$dir/down.batch" >/dev/null
  floor_down=$(since "$t0")
  floor_links=$t_links
  floor_up=$(echo "x = $t_links + $t_conf - $t_spawn; if (x < $t_links) x = $t_links; x" | bc -l)
  printf '  floor    %5s GPUs: namespaces+bridges+veths %.3f s (one ip -batch), per-namespace ip/tc batches %.3f s less %.3f s of process starts, down %.3f s\n' \
    "$gpus" "$t_links" "$t_conf" "$t_spawn" "$floor_down"
  settle "$(( gpus >= 1024 ? 3 : 1 ))"
}

echo "bench/bringup.sh on $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
declare -A up down fl_up fl_links fl_down rss_up rss_down kernel_mb
for gpus in $sizes; do
  n=$runs
  [ "$gpus" -ge 1024 ] && n=$big_runs
  if [ "$gpus" -ge 4096 ]; then
    # Once, under /usr/bin/time -v for peak RSS.
    name=bu-$$-$gpus
    clusters+=("$name")
    before=$(avail_kb)
    t0=$(now)
    timeout "$limit" /usr/bin/time -v -o "$tmp/time-up" "$sl" up "$(topology_of "$gpus")" --name "$name" --json --timings >"$tmp/up.json" 2>"$tmp/up.err" ||
      { echo "bench: scalelab up of $gpus GPUs failed:" >&2; tail -3 "$tmp/up.err" >&2; exit 1; }
    up[$gpus]=$(since "$t0")
    kernel_mb[$gpus]=$(( (before - $(avail_kb)) / 1024 ))
    t0=$(now)
    timeout "$limit" /usr/bin/time -v -o "$tmp/time-down" "$sl" down "$name" >/dev/null
    down[$gpus]=$(since "$t0")
    rss_up[$gpus]=$(( $(awk -F: '/Maximum resident/ {print $2}' "$tmp/time-up") / 1024 ))
    rss_down[$gpus]=$(( $(awk -F: '/Maximum resident/ {print $2}' "$tmp/time-down") / 1024 ))
    printf '  scalelab %5s GPUs up %.3f s (peak RSS %s MB, kernel %s MB), down %.3f s (peak RSS %s MB)\n' "$gpus" "${up[$gpus]}" \
      "${rss_up[$gpus]}" "${kernel_mb[$gpus]}" "${down[$gpus]}" "${rss_down[$gpus]}"
    python3 -c 'import json,sys; print("    phases: " + ", ".join("%s %.3f" % (p["phase"], p["seconds"]) for p in json.load(open(sys.argv[1]))["phases"]))' "$tmp/up.json"
    settle 5
  else
    scalelab_runs "$gpus" "$n"
    up[$gpus]=$sl_up down[$gpus]=$sl_down
  fi
  floor_run "$gpus"
  fl_up[$gpus]=$floor_up fl_links[$gpus]=$floor_links fl_down[$gpus]=$floor_down
done

mn_t=NA
if [ "${MININET:-1}" = 1 ] && command -v mn >/dev/null; then
  mn_runs=()
  for i in $(seq "$runs"); do
    t=$(bench_mininet 128 "$limit")
    [ "$t" = failed ] && { echo "bench: Mininet single,128 failed (see mn's output above)" >&2; break; }
    mn_runs+=("$t")
    settle 1
  done
  [ ${#mn_runs[@]} -gt 0 ] && mn_t=$(printf '%s\n' "${mn_runs[@]}" | median) && printf '  mininet single,128 runs (s): %s\n' "${mn_runs[*]}"
fi

echo
printf '%6s %9s %9s %9s %9s %11s %10s %9s %10s %10s\n' gpus up_s down_s total_s floor_up floor_links floor_down sl/floor up/links peak_rss_MB
for gpus in $sizes; do
  total=$(echo "${up[$gpus]} + ${down[$gpus]}" | bc -l)
  floor_total=NA
  [ "${fl_up[$gpus]}" != NA ] && floor_total=$(echo "${fl_up[$gpus]} + ${fl_down[$gpus]}" | bc -l)
  printf '%6s %9.3f %9.3f %9.3f %9s %11.3f %10.3f %9s %10s %10s\n' "$gpus" "${up[$gpus]}" "${down[$gpus]}" "$total" "$(f3 "${fl_up[$gpus]}")" \
    "${fl_links[$gpus]}" "${fl_down[$gpus]}" "$(ratio "$total" "$floor_total")" "$(ratio "${up[$gpus]}" "${fl_links[$gpus]}")" "${rss_up[$gpus]:-NA}"
done
if [ -n "${up[128]:-}" ]; then
  total=$(echo "${up[128]} + ${down[128]}" | bc -l)
  r=$(ratio "$total" "$mn_t")
  printf 'rail128 up+down %.3f s (target <= 0.5 s: %s); mininet single,128 %s s; scalelab/mininet = %s (target <= 0.05: %s)\n' \
    "$total" "$(met "$total" 0.5)" "$mn_t" "$r" "$(met "$r" 0.05)"
fi
[ -n "${up[1024]:-}" ] && printf '1024 GPUs up %.3f s (target <= 2 s: %s), down %.3f s (target <= 0.5 s: %s)\n' \
  "${up[1024]}" "$(met "${up[1024]}" 2)" "${down[1024]}" "$(met "${down[1024]}" 0.5)"
[ -n "${up[4096]:-}" ] && printf '4096 GPUs up %.3f s, down %.3f s, peak RSS up %s MB / down %s MB, kernel memory %s MB\n' \
  "${up[4096]}" "${down[4096]}" "${rss_up[4096]}" "${rss_down[4096]}" "${kernel_mb[4096]}"
exit 0
