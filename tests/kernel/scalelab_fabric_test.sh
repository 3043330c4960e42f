#!/bin/sh
# Inside the VM: scalelab's own cluster with netem latency/loss and rxe, and a verbs all_reduce
# (guest/scalelab_fabric_check.sh).
. "$(dirname "$0")/lib.sh"
require_vm
cd "$SOURCE_DIR"
"$VM" vm --timeout 600 -- sh tests/kernel/guest/scalelab_fabric_check.sh "$VM" || fail "scalelab fabric checks in the VM"
echo "PASS"
