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
