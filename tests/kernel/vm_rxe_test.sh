#!/bin/sh
# Inside the VM: rxe devices in two namespaces and ibv_rc_pingpong between them (guest/rxe_check.sh).
. "$(dirname "$0")/lib.sh"
require_vm
command -v ibv_rc_pingpong >/dev/null || unavailable "ibv_rc_pingpong missing (Debian's ibverbs-utils)"
command -v rdma >/dev/null || unavailable "rdma missing (Debian's iproute2)"
cd "$SOURCE_DIR"
"$VM" vm -- sh tests/kernel/guest/rxe_check.sh || fail "rxe checks"
echo "PASS"
