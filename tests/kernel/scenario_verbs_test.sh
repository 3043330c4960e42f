#!/bin/sh
# Inside the VM: the kernel-tier drills (scenarios/kernel/*.json: verbs over rxe, netem delay),
# each one `scalelab run-scenario` that must pass.
. "$(dirname "$0")/lib.sh"
require_vm
cd "$SOURCE_DIR"
for s in scenarios/kernel/*.json; do
  name=$(basename "$s" .json)
  "$VM" vm --timeout 600 -- "$VM" run-scenario "$s" --report "/tmp/scalelab-kernel-$name" || fail "drill $name"
done
echo "PASS"
