"""The pytest plugin against the fake CLI, in a pytest of its own (pytester, a subprocess)."""
import pytest

pytest_plugins = ["pytester"]

INNER = '''
def test_passes(scalelab_cluster):
    a = scalelab_cluster("tiny.json")
    b = scalelab_cluster("tiny")
    assert a.name != b.name

def test_fails(scalelab_cluster):
    c = scalelab_cluster("tiny.json")
    assert c.status()["links"]["gpu1:nic0"]["state"] == "up"

def test_raises(scalelab_cluster):
    scalelab_cluster("tiny.json")
    raise RuntimeError("boom")
'''


def run_inner(pytester, fake_cli, *args):
    pytester.makepyfile(test_inner=INNER)
    return pytester.runpytest_subprocess("-p", "scalelab.pytest_plugin", "-p", "no:cacheprovider", *args)


def test_every_cluster_is_taken_down_and_a_failure_shows_its_status(pytester, fake_cli):
    result = run_inner(pytester, fake_cli)
    result.assert_outcomes(passed=1, failed=2)
    calls = [c["argv"] for c in fake_cli.calls()]
    ups = [c[3] for c in calls if c[0] == "up"]
    downs = [c[1] for c in calls if c[0] == "down"]
    assert len(ups) == 4 and sorted(ups) == sorted(downs)
    out = result.stdout.str()
    for name in ups[2:]:  # the two failing tests' clusters, with the status they had
        assert f"scalelab cluster {name} when the test failed" in out
    assert f"scalelab cluster {ups[0]} when" not in out
    assert out.count("fake status text") == 2


def test_rootless_follows_the_user_unless_told(pytester, fake_cli):
    import os
    run_inner(pytester, fake_cli, "-k", "passes")
    expected = None if os.geteuid() == 0 else "1"
    assert {c["rootless"] for c in fake_cli.calls()} == {expected}
    run_inner(pytester, fake_cli, "-k", "passes", "--scalelab-rootless", "yes", "--scalelab-prefix", "pyt-ci")
    last = [c for c in fake_cli.calls() if c["argv"][0] == "up"][-1]
    assert last["rootless"] == "1" and last["argv"][3].startswith("pyt-ci-")


def test_a_down_that_fails_fails_the_test(pytester, fake_cli, monkeypatch):
    monkeypatch.setenv("FAKE_SCALELAB_FAIL", "down")
    result = run_inner(pytester, fake_cli, "-k", "passes")
    result.assert_outcomes(passed=1, errors=1)
    assert "taking clusters down failed" in result.stdout.str()
