#!/usr/bin/env bash
# Soak, the long run (issue 15 point 4): 1000 link flaps and 100 degrade/restore cycles on h100x2
# under a checked all_reduce loop (about 7 minutes). Prints #wrong, the flaps found in the drill's
# events.jsonl, first and last RSS of scalelab and the agents, and what was left after down.
# CI runs the short version (hardening.soak: 50 flaps, 10 degrades).
# Usage: sudo bench/soak.sh [BUILD] [FLAPS] [DEGRADES]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../tests/hardening/soak_test.sh" "${1:-$here/../build}" "$here/.." "${2:-1000}" "${3:-100}"
