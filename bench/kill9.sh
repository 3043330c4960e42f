#!/usr/bin/env bash
# kill -9 anywhere, the long run (issue 15 point 3): 60 kills across up, bench, run, run-scenario
# and inject, each followed by `down` and a sweep for what the cluster left. Prints the kills tried
# and the objects leaked (must be 0). CI runs the short version (hardening.kill9: 10 kills).
# Usage: sudo bench/kill9.sh [BUILD] [KILLS] [SEED]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../tests/hardening/kill9_test.sh" "${1:-$here/../build}" "$here/.." "${2:-60}" "${3:-$$}"
