#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into their own build directory and runs each
# for SECONDS (default 60), starting from the seed corpus in fuzz/corpus/<target>/. Prints, per
# target, the executions run and the coverage (libFuzzer's cov: edges and ft: features). Exits
# non-zero when a target finds anything (the input is kept under BUILD/artifacts/<target>/).
#
#   fuzz/run.sh [SECONDS] [TARGET...]      targets: topology scenario job cluster wire
#   fuzz/run.sh --build-only
#   SCALELAB_FUZZ_BUILD=dir (default build/fuzz)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
all="topology scenario job cluster wire"
build_only=false
if [ "${1:-}" = --build-only ]; then build_only=true; shift; fi
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-$all}
build=${SCALELAB_FUZZ_BUILD:-$root/build/fuzz}

clang=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$clang" ]; then
  echo "fuzz: no clang++ (apt-get install clang libclang-rt-14-dev); libFuzzer needs it" >&2
  if [ "${CI:-}" = true ]; then exit 1; fi
  echo "fuzz: SKIPPING"
  exit 77
fi
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER="$clang" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
bins=()
for t in $targets; do bins+=("${t}_fuzz"); done
cmake --build "$build" -j "${JOBS:-2}" --target "${bins[@]}" | grep -v '^\[' || true
for t in $targets; do [ -x "$build/${t}_fuzz" ] || { echo "fuzz: $build/${t}_fuzz was not built" >&2; exit 1; }; done
$build_only && exit 0

status=0
summary=()
for t in $targets; do
  work=$build/corpus/$t
  artifacts=$build/artifacts/$t
  mkdir -p "$work" "$artifacts"
  log=$build/$t.log
  echo "=== fuzz: $t for ${secs}s ==="
  set +e
  "$build/${t}_fuzz" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -artifact_prefix="$artifacts/" "$work" "$here/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  grep -E '^#[0-9]+ +(INITED|DONE)|^stat::|ERROR|SUMMARY|artifact' "$log" || true
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    status=1
    echo "fuzz: $t FOUND SOMETHING (exit $rc); log $log, input in $artifacts/"
    tail -40 "$log"
  fi
  summary+=("$(printf '%-9s execs %-9s %s%s' "$t" "${execs:-?}" "${cov:-cov: ?}" "$([ $rc -ne 0 ] && echo '  FAILED')")")
done
echo "=== fuzz summary (${secs}s each) ==="
printf '%s\n' "${summary[@]}"
exit $status
