# shellcheck shell=bash disable=SC2034  # root, sl, cluster_file: for the sourcing script
# Sourced by bench scripts (`. "$(dirname "$0")/lib.sh"`, after `set -eu`): the project tree, the
# build, root, and the cleanup every run needs, so a benchmark leaves no cluster and no files
# behind on any way out (its end, a failure, Ctrl-C).
#
# Sets root (the project tree, also the working directory), build (BUILD, default build) and
# sl (the scalelab binary there). Then:
#   bench_tmpdir STEM    tmp=a new /tmp/scalelab-STEM.XXXXXX, removed on exit
#   bench_up NAME FILE   `scalelab up FILE` (its output in $tmp/up.log, shown when it fails);
#                        sets cluster_file; cluster NAME is taken down on exit
cd "$(dirname "$0")/.." || exit 1
root=$PWD
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
sl=$build/scalelab

[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }

bench_cluster=
bench_tmp=
bench_cleanup() {
  if [ -n "$bench_cluster" ]; then "$sl" down "$bench_cluster" >/dev/null 2>&1 || true; fi
  if [ -n "$bench_tmp" ]; then rm -rf "$bench_tmp"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_tmpdir() {
  tmp=$(mktemp -d "/tmp/scalelab-$1.XXXXXX")
  bench_tmp=$tmp
}

bench_up() {
  "$sl" up "$2" >"$tmp/up.log" 2>&1 || { cat "$tmp/up.log" >&2; exit 1; }
  bench_cluster=$1
  cluster_file=/run/scalelab/$1/cluster.json
}

# Mininet raises these host-wide (mininet.util.fixLimits) and never lowers them: saved before a
# Mininet run and restored after it, so later measurements see the host as it was.
bench_mininet_sysctls="fs.file-max net.core.wmem_max net.core.rmem_max net.ipv4.tcp_rmem net.ipv4.tcp_wmem
  net.core.netdev_max_backlog net.ipv4.neigh.default.gc_thresh1 net.ipv4.neigh.default.gc_thresh2
  net.ipv4.neigh.default.gc_thresh3 net.ipv4.route.max_size kernel.pty.max"

#   bench_mininet N [SECONDS]  one whole `mn --topo single,N` run (up, no test, down), bounded by
#                        SECONDS (default 300); prints its wall time, or "failed". Needs $tmp.
#                        Never runs `mn -c`, which would also end other users' Mininet runs.
bench_mininet() {
  local saved="$tmp/mininet-sysctls" t0 t1 k v
  : > "$saved"
  for k in $bench_mininet_sysctls; do
    v=$(sysctl -n "$k" 2>/dev/null) && printf '%s=%s\n' "$k" "$v" >> "$saved"
  done
  t0=$(date +%s.%N)
  if timeout "${2:-300}" mn --switch lxbr --controller none --topo "single,$1" --link tc,bw=100 --test none >"$tmp/mininet.log" 2>&1; then
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
  else
    echo failed
  fi
  while IFS= read -r kv; do sysctl -q -w "$kv" >/dev/null || echo "bench: could not restore $kv" >&2; done < "$saved"
}
