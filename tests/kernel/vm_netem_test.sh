#!/bin/sh
# Inside the VM: netem delay and loss between two namespaces (guest/netem_check.sh).
. "$(dirname "$0")/lib.sh"
require_vm
cd "$SOURCE_DIR"
"$VM" vm -- sh tests/kernel/guest/netem_check.sh || fail "netem checks"
echo "PASS"
