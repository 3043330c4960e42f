# Shared by the kernel-tier tests: run as `sh TEST.sh VM_DRIVER`, where VM_DRIVER is a binary
# with the `vm` subcommand (scalelab or scalelab-vm-dev).
# A missing requirement fails the test when CI=true and skips it (exit 77) elsewhere.
set -eu
VM=${1:?usage: $0 VM_DRIVER}
HERE=$(cd "$(dirname "$0")" && pwd)
SOURCE_DIR=$(cd "$HERE/../.." && pwd)

unavailable() {
  if [ "${CI:-}" = true ]; then
    echo "FAIL: $1 — the kernel tier must run in CI (CI=true)" >&2
    exit 1
  fi
  echo "SKIP: $1" >&2
  exit 77
}

require_vm() {
  [ "$(id -u)" = 0 ] || unavailable "the kernel tier needs root (its tests share the kernel cache in /var/cache/scalelab; scalelab vm itself does not)"
  [ -x "$VM" ] || unavailable "$VM was not built"
  if ! check=$("$VM" vm --check 2>&1); then
    unavailable "scalelab vm cannot run here: $(echo "$check" | grep -E '^(missing|reason):' | tr '\n' ' ')(scripts/install-deps.sh installs them)"
  fi
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
