#!/usr/bin/env bash
# The rootless tour, run as an unprivileged user this test creates (and removes): up, status,
# run, bench (htb shaping in force), inject and restore, a drill, the refusals of what needs real
# root, down; then `kill -9` of the orchestrator mid-bring-up and of the session's holder, each
# followed by `clean`, with nothing left behind. Needs root only to create that user.
set -euo pipefail
build=$(cd "$1" && pwd) source=$(cd "$2" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root to create the unprivileged user the tour runs as" >&2; exit 77; }

. "$(dirname "$0")/unprivileged_user.sh"
setup_unprivileged_user "$build" "$source"
trap unprivileged_cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
sl() { as_user "$tmp/bin/scalelab" "$@"; }

echo "== up"
# root's clusters (any already up on this machine) before and after: a rootless up adds none.
root_state_before=$(ls /run/scalelab 2>/dev/null || true)
sl up --rootless "$tmp/topologies/tiny.json" | tee "$tmp/up.txt"
grep -q "tiny" "$tmp/up.txt" || fail "up printed no cluster"
[ -d "$xdg/scalelab/clusters/tiny" ] || fail "no state under \$XDG_RUNTIME_DIR/scalelab/clusters/tiny"
[ "$(ls /run/scalelab 2>/dev/null || true)" = "$root_state_before" ] || fail "rootless up wrote under /run/scalelab"
[ -e "$xdg/scalelab/netns/sl-tiny-gpu0" ] || fail "the namespaces are not under \$XDG_RUNTIME_DIR/scalelab/netns"
holder=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$xdg/scalelab/holder.json")
[ "$(stat -c %U /proc/"$holder")" = "$user" ] || fail "the holder does not run as $user"
[ "$(readlink /proc/"$holder"/ns/user)" != "$(readlink /proc/self/ns/user)" ] || fail "the holder shares the host's user namespace"

echo "== status"
sl status --rootless tiny --json > "$tmp/status.json"
/usr/bin/python3 - "$tmp/status.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
text = json.dumps(s)
assert "gpu0" in text and "nic0" in text, "status names no gpu0/nic0"
EOF

echo "== run: a command on every rank"
sl run --rootless tiny -- sh -c 'echo "rank $RANK on $(hostname) uid $(id -u)"' | tee "$tmp/run.txt"
[ "$(grep -c '^.*rank [0-3] on gpu[0-3]' "$tmp/run.txt")" -eq 4 ] || fail "run did not reach all 4 ranks"
if sl run --rootless tiny -- sh -c '[ "$RANK" != 2 ]' > "$tmp/run-fail.txt" 2>&1; then fail "a failing rank went unreported"; fi

echo "== bench: TCP agents over htb-shaped links"
sl bench --rootless tiny all_reduce -b 1M -e 4M -f 2 -n 3 -w 1 --json "$tmp/work/bench.json" | tee "$tmp/bench.txt"
/usr/bin/python3 - "$tmp/work/bench.json" "$tmp/topologies/tiny.json" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
rows = rows["rows"] if isinstance(rows, dict) else rows
assert len(rows) >= 2, rows
for r in rows:
    bus = r.get("busbw_GBps", r.get("busbw"))
    assert bus and bus > 0, r
    # Shaping is in force: 400 Gb/s NICs at dilation 1000 carry 0.05 GB/s each, so a ring's
    # busbw stays near that, far below what unshaped veth would give (GB/s).
    assert bus < 0.2, f"busbw {bus} GB/s: the htb shaping is not in force"
print("bench rows ok:", [(r.get("bytes", r.get("size")), r.get("busbw_GBps", r.get("busbw"))) for r in rows])
EOF

echo "== inject link_down and link_up"
sl inject --rootless tiny link_down gpu1:nic0
sl status --rootless tiny --json > "$tmp/status-down.json"
/usr/bin/python3 - "$tmp/status-down.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
nic = [i for n in s["nodes"] if n["node"] == "gpu1" for i in n["interfaces"] if i["ifname"] == "nic0"][0]
assert not (nic["up"] and nic["carrier"]), f"gpu1:nic0 still up after link_down: {nic}"
EOF
sl inject --rootless tiny link_up gpu1:nic0
sl down --rootless tiny
[ ! -e "$xdg/scalelab/clusters/tiny" ] || fail "down left the cluster's state"
for _ in $(seq 50); do running_of_user | grep -q "^\S*\s*$holder " || break; sleep 0.1; done
! running_of_user | grep -q "^\S*\s*$holder " || fail "the holder outlived the session's last cluster"

echo "== pytest: the scalelab_cluster fixture, rootless because the user is not root"
cat > "$tmp/work/test_rootless_fixture.py" <<'PY'
def test_a_rail_down_as_a_normal_user(scalelab_cluster):
    c = scalelab_cluster("tiny")
    assert c.run(["sh", "-c", "exit $(( RANK == 2 ? 5 : 0 ))"]).wait(30).failed_ranks() == [2]
    c.inject("link_down", "gpu1:nic0")
    assert c.status()["links"]["gpu1:nic0"]["state"] == "down"
PY
chown "$uid:$gid" "$tmp/work/test_rootless_fixture.py"
AS_USER_ENV="PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 PYTHONPATH=$tmp/python SCALELAB_BIN=$tmp/bin/scalelab SCALELAB_TOPOLOGIES=$tmp/topologies" \
  as_user /usr/bin/python3 -m pytest -q -p no:cacheprovider -p scalelab.pytest_plugin test_rootless_fixture.py | tail -3
[ -z "$(ls "$xdg/scalelab/clusters")" ] || fail "the fixture left a cluster behind"

echo "== GoogleTest: scalelab::ClusterTest with SCALELAB_ROOTLESS=1, a test that fails on purpose"
probe=$build/tests/api/api_fixture_probe
if [ -x "$probe" ] && as_user test -r "$source/topologies/tiny.json"; then
  cp "$probe" "$tmp/bin/" && chmod a+rx "$tmp/bin/api_fixture_probe"
  status=0
  AS_USER_ENV="SCALELAB_ROOTLESS=1 SCALELAB_PROBE_FILE=$tmp/work/probe SCALELAB_AGENT=$tmp/bin/agents/scalelab-agent" \
    as_user "$tmp/bin/api_fixture_probe" --gtest_filter=ProbeTest.FailsAnAssertion > "$tmp/probe.txt" 2>&1 || status=$?
  probe_cluster=$(cat "$tmp/work/probe" 2>/dev/null || true)
  [ "$status" != 0 ] && [ -n "$probe_cluster" ] || { cat "$tmp/probe.txt"; fail "the fixture brought no cluster up rootless"; }
  grep -q "\[ scalelab \] cluster $probe_cluster when the test failed" "$tmp/probe.txt" || { cat "$tmp/probe.txt"; fail "no status on failure"; }
  [ ! -e "$xdg/scalelab/clusters/$probe_cluster" ] || fail "the fixture left $probe_cluster up"
  echo "the failed test printed cluster $probe_cluster's status and took it down"
else
  echo "NOTE: $probe not built, or the source tree is unreadable to $user: the C++ fixture step is not run"
fi

echo "== a drill"
sl run-scenario --rootless "$tmp/scenarios/rail-flap-during-allreduce.json" --report "$tmp/work/report" | tail -5
[ -f "$tmp/work/report/report.html" ] || [ -n "$(ls "$tmp/work/report")" ] || fail "the drill wrote no report"

echo "== refusals name the alternative"
if sl up --rootless "$tmp/topologies/tiny.json" --rxe on > "$tmp/rxe.txt" 2>&1; then fail "--rxe on was accepted rootless"; fi
grep -q "scalelab vm" "$tmp/rxe.txt" || { cat "$tmp/rxe.txt"; fail "the rxe refusal does not name scalelab vm"; }
if sl run-scenario --rootless "$tmp/scenarios/straggler.json" --report "$tmp/work/straggler" > "$tmp/straggler.txt" 2>&1; then fail "a straggler drill was accepted without a delegated cgroup"; fi
grep -q "SCALELAB_CGROUP" "$tmp/straggler.txt" && grep -q "scalelab vm" "$tmp/straggler.txt" || { cat "$tmp/straggler.txt"; fail "the straggler refusal names no way out"; }
if sl up "$tmp/topologies/tiny.json" > "$tmp/noroot.txt" 2>&1; then fail "up without --rootless worked unprivileged"; fi
grep -q -- "--rootless" "$tmp/noroot.txt" || { cat "$tmp/noroot.txt"; fail "the root refusal does not mention --rootless"; }

echo "== a straggler in a cgroup delegated to the user"
delegated=""
if [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
  delegated=/sys/fs/cgroup/cpu/sl-rootless-$$
elif grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
  echo "NOTE: cgroup v2 here: the delegated-straggler step needs the test inside the delegated subtree; not run"
fi
if [ -n "$delegated" ]; then
  mkdir "$delegated" && chown -R "$uid:$gid" "$delegated"
  status=0
  AS_USER_ENV="SCALELAB_CGROUP=$delegated" sl run-scenario --rootless "$tmp/scenarios/straggler.json" --report "$tmp/work/straggler-ok" \
    > "$tmp/straggler-ok.txt" 2>&1 || status=$?
  tail -6 "$tmp/straggler-ok.txt"
  leftover=$(find "$delegated" -mindepth 1 -type d | wc -l)
  tasks=$(wc -l < "$delegated/cgroup.procs")
  rmdir "$delegated"/* 2>/dev/null || true
  rmdir "$delegated"
  [ "$status" = 0 ] || fail "the straggler drill failed in the delegated cgroup"
  [ "$leftover" = 0 ] && [ "$tasks" = 0 ] || fail "the straggler left $leftover cgroup(s) and $tasks task(s) in $delegated"
fi

echo "== kill -9 of the orchestrator mid-bring-up, then clean"
sl up --rootless "$tmp/topologies/h100x2.json" > /dev/null 2>&1 &
up_pid=$!
for _ in $(seq 100); do [ -n "$(ls "$xdg/scalelab/netns" 2>/dev/null)" ] && break; sleep 0.05; done
kill -9 $(pgrep -u "$user" -x scalelab) 2>/dev/null || true
wait "$up_pid" 2>/dev/null || true
[ -n "$(ls "$xdg/scalelab/netns")" ] || fail "the bring-up was killed before it made a namespace: nothing to recover"
sl clean --rootless | tee "$tmp/clean1.txt"
[ -z "$(ls "$xdg/scalelab/netns")" ] && [ -z "$(ls "$xdg/scalelab/clusters")" ] || fail "clean left namespaces or records"
for _ in $(seq 30); do [ -n "$(running_of_user)" ] || break; sleep 0.1; done
[ -z "$(running_of_user)" ] || { running_of_user; fail "clean left processes of $user"; }

echo "== kill -9 of the holder with a rank running, then clean"
sl up --rootless "$tmp/topologies/tiny.json" > /dev/null
# The run keeps the session's lock while its ranks live: clean must stop them, not wait an hour.
sl run --rootless tiny -- sleep 3600 > /dev/null 2>&1 &
for _ in $(seq 100); do [ "$(pgrep -u "$user" -x sleep | wc -l)" -ge 4 ] && break; sleep 0.05; done
[ "$(pgrep -u "$user" -x sleep | wc -l)" -ge 4 ] || fail "the ranks did not start"
kill -9 "$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$xdg/scalelab/holder.json")"
sl clean --rootless 2>&1 | tee "$tmp/clean2.txt"
grep -q "previous rootless session" "$tmp/clean2.txt" || fail "clean did not say the session had ended"
for _ in $(seq 50); do [ -n "$(running_of_user)" ] || break; sleep 0.1; done
[ -z "$(running_of_user)" ] || { running_of_user; fail "processes of the dead session survived clean"; }
[ -z "$(ls "$xdg/scalelab/netns")" ] && [ -z "$(ls "$xdg/scalelab/clusters")" ] || fail "clean left files after the holder died"
echo "rootless tour: ok"
