#!/bin/sh
# Boots the VM three times: the command's exit status (0, 1, 7) comes back; stdout and stderr
# stay apart; the command runs in the caller's directory on the caller's kernel-independent
# files; the project tree and --share directories are writable, the rest of the host is not.
. "$(dirname "$0")/lib.sh"
require_vm
"$VM" vm -q -- true || fail "true did not exit 0"
status=0
"$VM" vm -q -- false || status=$?
[ "$status" = 1 ] || fail "false exited $status, not 1"

shared=$(mktemp -d /tmp/scalelab-vm-share.XXXXXX)
trap 'rm -rf "$shared" /tmp/scalelab-vm-out.$$ /tmp/scalelab-vm-err.$$' EXIT
cd "$SOURCE_DIR/tests"
status=0
"$VM" vm --share "$shared" -- sh -c '
  echo "cwd=$(pwd) kernel=$(uname -r) uid=$(id -u)"
  echo "to stderr" >&2
  echo hello > '"$shared"'/from-guest
  echo scribble > /etc/scalelab-vm-test-scribble
  test -w '"$SOURCE_DIR"'
  exit 7' > /tmp/scalelab-vm-out.$$ 2> /tmp/scalelab-vm-err.$$ || status=$?
cat /tmp/scalelab-vm-out.$$
[ "$status" = 7 ] || { cat /tmp/scalelab-vm-err.$$; fail "exit 7 came back as $status"; }
grep -q "^cwd=$SOURCE_DIR/tests kernel=" /tmp/scalelab-vm-out.$$ || fail "not run in the caller's directory"
grep -q " uid=0$" /tmp/scalelab-vm-out.$$ || fail "not run as root"
grep -q "to stderr" /tmp/scalelab-vm-out.$$ && fail "stderr leaked into stdout"
grep -q "^to stderr$" /tmp/scalelab-vm-err.$$ || fail "stderr lost"
[ "$(cat "$shared/from-guest")" = hello ] || fail "the --share directory was not writable"
[ ! -e /etc/scalelab-vm-test-scribble ] || { rm -f /etc/scalelab-vm-test-scribble; fail "the guest wrote to the host's /etc"; }
grep "boot-to-command" /tmp/scalelab-vm-err.$$ || true
echo "PASS"
