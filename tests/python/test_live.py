"""A real cluster on tiny.json (root, this kernel; ctest python.live, label netns). Names are
pyt-<pid>-<n>; only those clusters are taken down — never `scalelab clean`: other clusters may be
up on the same machine."""
import os
import subprocess
import time

import pytest

import scalelab

pytest_plugins = ["pytester"]
pytestmark = [pytest.mark.live,
              pytest.mark.skipif(os.geteuid() != 0, reason="needs root: creates network namespaces (sudo ctest -L netns)")]


def namespaces_of(name):
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in listed.splitlines() if line.startswith(f"sl-{name}-")]


def test_status_shows_links_and_a_rail_down(scalelab_cluster):
    c = scalelab_cluster("tiny.json")
    assert c.name.startswith("pyt-") and len(namespaces_of(c.name)) == c.report["namespaces"]
    links = c.status()["links"]
    for gpu in ("gpu0", "gpu1", "gpu2", "gpu3"):
        assert links[f"{gpu}:nic0"]["state"] == "up" and links[f"{gpu}:nvl0"]["state"] == "up"
    changed = c.inject("link_down", "rail:1")
    assert {"gpu1-leaf1", "gpu3-leaf1"} <= set(changed["links"]) and "gpu0-leaf0" not in changed["links"]
    links = c.status()["links"]
    assert links["gpu1:nic0"]["state"] == "down" and links["gpu3:nic0"]["state"] == "down"
    assert links["gpu0:nic0"]["state"] == "up" and links["gpu2:nic0"]["state"] == "up"
    c.inject("link_up", "rail:1")
    assert c.status()["links"]["gpu1:nic0"]["state"] == "up"


def test_run_gives_every_ranks_exit_code(scalelab_cluster):
    c = scalelab_cluster("tiny.json")
    ok = c.run(["sh", "-c", "echo rank $RANK of $WORLD_SIZE"]).wait(timeout=60)
    assert ok.ok and ok.exit_codes() == {0: 0, 1: 0, 2: 0, 3: 0}
    assert [ok.output(r) for r in range(4)] == [[f"rank {r} of 4"] for r in range(4)]
    # Rank 2 fails late, when the others have already exited 0: each keeps its own status.
    bad = c.run(["sh", "-c", "[ $RANK = 2 ] && { sleep 0.5; exit 7; }; exit 0"]).wait(timeout=60)
    assert bad.exit_codes() == {0: 0, 1: 0, 2: 7, 3: 0}
    assert bad.failed_ranks() == [2] and bad.stopped_ranks() == [] and bad.returncode == 7 and not bad.ok
    # The first failure stops the ranks still running.
    first = c.run(["sh", "-c", "[ $RANK = 1 ] && exit 3; exec sleep 30"]).wait(timeout=60)
    assert first.failed_ranks() == [1] and first.stopped_ranks() == [0, 2, 3]


def test_a_job_can_be_killed_or_time_out(scalelab_cluster):
    c = scalelab_cluster("tiny.json")
    started = time.monotonic()
    job = c.run(["sleep", "30"])
    time.sleep(1)
    killed = job.kill()
    assert killed.interrupted and killed.stopped_ranks() == [0, 1, 2, 3] and killed.failed_ranks() == []
    late = c.run(["sleep", "30"]).wait(timeout=1)
    assert late.timed_out and late.stopped_ranks() == [0, 1, 2, 3]
    cli_deadline = c.run(["sleep", "30"], timeout=1).wait(timeout=30)
    assert cli_deadline.timed_out and cli_deadline.stopped_ranks() == [0, 1, 2, 3]
    assert time.monotonic() - started < 20
    for result in (killed, late, cli_deadline):  # every rank ended and was reaped
        for r in result.ranks:
            assert r.pid > 0 and not os.path.exists(f"/proc/{r.pid}"), r


def test_exec_and_bench(scalelab_cluster):
    c = scalelab_cluster("tiny.json")
    p = c.exec("gpu0", ["ip", "-br", "link"])
    assert p.returncode == 0 and "nic0" in p.stdout and "nvl0" in p.stdout
    assert c.exec("gpu0", ["sh", "-c", "exit 4"]).returncode == 4
    with pytest.raises(scalelab.NotFound):
        c.exec("gpu9", ["true"])
    rows = c.bench("all_reduce", b="64K", e="256K", f="2", n="2", w="1")
    assert [r.size for r in rows] == [65536, 131072, 262144]
    for r in rows:
        assert r.busbw_GBps > 0 and r.projected_busbw_GBps > r.busbw_GBps and r.wrong in (0, None)


def test_errors_from_a_live_verb_are_typed(scalelab_cluster):
    with pytest.raises(scalelab.TopologyError) as info:
        scalelab.Cluster("tiny.json", "Not_A_Name").up()
    assert info.value.pointer == "/name"
    c = scalelab_cluster("tiny.json")
    with pytest.raises(scalelab.FaultError):
        c.inject("link_down", "rail:9")
    with pytest.raises(scalelab.ClusterExists):
        scalelab.Cluster("tiny.json", c.name).up()


def test_a_with_block_leaves_no_namespace_even_when_it_raises():
    with pytest.raises(RuntimeError):
        with scalelab.Cluster("tiny.json") as c:
            assert namespaces_of(c.name)
            raise RuntimeError("the test failed")
    assert namespaces_of(c.name) == []


INNER = '''
import scalelab
def test_fails(scalelab_cluster):
    c = scalelab_cluster("tiny.json")
    c.inject("link_down", "rail:0")
    assert c.status()["links"]["gpu0:nic0"]["state"] == "up"
'''


def test_the_fixture_downs_a_failed_tests_cluster_and_reports_its_status(pytester):
    pytester.makepyfile(test_inner=INNER)
    result = pytester.runpytest_subprocess("-p", "scalelab.pytest_plugin", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    marker = "scalelab cluster "
    name = out[out.index(marker) + len(marker):].split()[0]
    assert name.startswith("pyt-") and f"cluster {name}: up" in out
    assert "DOWN" in out  # the status shows the rail the test took down
    assert namespaces_of(name) == []
