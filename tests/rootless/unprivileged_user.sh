# Sourced by tests that run scalelab as an unprivileged user. Needs root (to create the user).
# Sets: user uid gid tmp (a 0755 scratch directory), xdg (the user's XDG_RUNTIME_DIR), and
# copies of the binaries, topologies and scenarios the user can read (the build tree may sit
# where it cannot, under /root). as_user CMD… runs CMD as that user with a clean environment;
# unprivileged_cleanup removes the user, its processes (all of them this test's) and $tmp.
# Usage: setup_unprivileged_user BUILD SOURCE
user=sl-rootless-test

as_user() {
  (cd "$tmp/work" && setpriv --reuid="$uid" --regid="$gid" --clear-groups \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$tmp/work" XDG_RUNTIME_DIR="$xdg" ${AS_USER_ENV:-} "$@")
}

# The user's processes that still run: a zombie has ended (this machine's pid 1 may reap late).
running_of_user() { ps -u "$user" -o stat=,pid=,args= 2>/dev/null | awk '$1 !~ /^Z/'; }

unprivileged_cleanup() {
  if id "$user" >/dev/null 2>&1; then
    as_user "$tmp/bin/scalelab" clean --rootless >/dev/null 2>&1 || true
    pkill -KILL -u "$user" 2>/dev/null || true
    userdel "$user" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}

setup_unprivileged_user() {
  local build=$1 source=$2
  tmp=$(mktemp -d /tmp/sl-rootless.XXXXXX)
  chmod 755 "$tmp"
  id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
  uid=$(id -u "$user") gid=$(id -g "$user")
  xdg=$tmp/xdg
  mkdir -p "$xdg" "$tmp/work" "$tmp/bin/agents"
  chown "$uid:$gid" "$xdg" "$tmp/work" && chmod 700 "$xdg"
  cp "$build/scalelab" "$tmp/bin/"
  cp -r "$build/report-assets" "$tmp/bin/"
  cp "$build/agents/scalelab-agent" "$build/agents/scalelab-job-agent" "$tmp/bin/agents/"
  cp -r "$source/topologies" "$source/scenarios" "$source/jobs" "$tmp/"
  [ -d "$source/python" ] && cp -r "$source/python" "$tmp/"
  chmod -R a+rX "$tmp/bin" "$tmp/topologies" "$tmp/scenarios" "$tmp/jobs"
  [ -d "$tmp/python" ] && chmod -R a+rX "$tmp/python"
  return 0
}
