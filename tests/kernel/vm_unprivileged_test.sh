#!/bin/sh
# `scalelab vm` as a normal user: the unprivileged user of the rootless tests boots the cached
# kernel from a cache of its own and gets its command's exit status and output back; the guest
# is a machine of its own, where the command runs as root.
. "$(dirname "$0")/lib.sh"
require_vm
BUILD=$(dirname "$VM")
[ -d /var/cache/scalelab/vm ] || fail "no kernel in /var/cache/scalelab/vm (kernel.vm_fetch fills it)"
. "$SOURCE_DIR/tests/rootless/unprivileged_user.sh"
setup_unprivileged_user "$BUILD" "$SOURCE_DIR"
trap unprivileged_cleanup EXIT
# The user's own cache, filled from root's so that the test fetches nothing.
cp -r /var/cache/scalelab/vm "$tmp/vm-cache"
chown -R "$uid:$gid" "$tmp/vm-cache"
status=0
AS_USER_ENV="SCALELAB_VM_CACHE=$tmp/vm-cache" as_user "$tmp/bin/scalelab" vm -q -- \
  sh -c 'echo "guest uid $(id -u) kernel $(uname -r)"; exit 3' > "$tmp/out.txt" 2> "$tmp/err.txt" || status=$?
cat "$tmp/out.txt"
[ "$status" = 3 ] || { cat "$tmp/err.txt"; fail "exit 3 came back as $status"; }
grep -q "^guest uid 0 kernel " "$tmp/out.txt" || fail "the command did not run as the guest's root"
[ -z "$(running_of_user)" ] || { running_of_user; fail "scalelab vm left processes of $user"; }
echo "vm as a normal user: ok"
