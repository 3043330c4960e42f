#!/usr/bin/env bash
# Runs the ctest tiers in order. A tier whose requirement is missing fails when CI=true and
# is skipped with the reason on a developer's machine — never silently passed.
set -euo pipefail
build=${1:-build}
tiers=${2:-"unit netns kernel"}
exclude=()
if [ -n "${SANITIZE:-}" ]; then
  # The fuzz targets are clang+ASan builds of their own in every tree; the kernel tier boots
  # these binaries in a guest that has no sanitizer runtimes.
  exclude=(-E '^fuzz\.')
  tiers=${2:-"unit netns"}
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
  echo "tests: under sanitizers ($SANITIZE) from $build: tiers $tiers, fuzz.* excluded (sanitized in their own build)"
fi

# Root's clusters and scalelab's namespaces, one per line, sorted: what a tier found and left.
clusters_on_machine() {
  { find /run/scalelab -mindepth 1 -maxdepth 1 -type d -printf 'cluster %f\n' 2>/dev/null
    ip netns list 2>/dev/null | awk '$1 ~ /^sl-/ {print "netns " $1}'; } | sort
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for tier in $tiers; do
  if [ "$tier" != unit ] && [ "$(id -u)" -ne 0 ]; then
    if [ "${CI:-}" = true ]; then echo "tests: the $tier tier needs root; CI must run as root" >&2; exit 1; fi
    echo "tests: SKIPPING the $tier tier: it needs root (run: sudo make test)"
    continue
  fi
  count=$(ctest --test-dir "$build" -N -L "^${tier}\$" "${exclude[@]}" | sed -n 's/^Total Tests: //p')
  if [ "${count:-0}" -eq 0 ]; then echo "=== tier: $tier: no tests registered ==="; continue; fi
  echo "=== tier: $tier ($count tests) ==="
  [ "$tier" = unit ] || before=$(clusters_on_machine)
  if [ "$tier" != unit ] && [ -n "$before" ]; then
    echo "NOTE: already up on this machine before the $tier tier (not the tests'; they use names of their own and leave these alone):"
    echo "$before" | sed 's/^/  /'
  fi
  status=0
  # The unit tier's tests are independent of each other (the 60-second fuzzers most of all): one
  # per core. The other tiers share the machine's network stack and measure rates: one at a time.
  jobs=1
  [ "$tier" != unit ] || jobs=$(nproc)
  started=$(date +%s)
  ctest --test-dir "$build" -L "^${tier}\$" "${exclude[@]}" -j "$jobs" --output-on-failure --no-tests=error \
    | tee "$log" || status=$?
  echo "=== tier: $tier took $(( $(date +%s) - started )) s (-j $jobs); its slowest tests:"
  # awk reads to the end: head would stop early, sort would die of SIGPIPE and pipefail end the run.
  sed -n 's/^ *[0-9]*\/[0-9]* Test *#[0-9]*: \([^ ]*\) .* \([0-9.]*\) sec$/\2 \1/p' "$log" | sort -rn | awk "NR <= 8" | sed 's/^/  /'
  if [ "$tier" != unit ]; then
    leaked=$(comm -13 <(echo "$before") <(clusters_on_machine) | sed '/^$/d')
    [ -z "$leaked" ] || { echo "WARNING: the $tier tier left behind (remove with: $build/scalelab clean):"; echo "$leaked" | sed 's/^/  /'; }
  fi
  [ "$status" -eq 0 ] || exit "$status"
done
