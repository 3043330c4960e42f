"""Cluster and Job against a fake CLI: the commands they run and how they read the answers."""
import pytest

import scalelab


def argvs(fake):
    return [c["argv"] for c in fake.calls()]


def test_a_with_block_brings_up_under_a_unique_name_and_always_downs(fake_cli):
    with pytest.raises(RuntimeError):
        with scalelab.Cluster("tiny.json") as c:
            assert c.owned and c.report["cluster"] == c.name and c.name.startswith("pyt-")
            raise RuntimeError("the test failed")
    calls = argvs(fake_cli)
    assert calls[0][:2] == ["up", scalelab.resolve_topology("tiny.json")]
    assert calls[0][2:5] == ["--name", c.name, "--json"]
    assert calls[-1] == ["down", c.name, "--json"]
    assert all(call["errors"] == "json" for call in fake_cli.calls())
    assert not c.owned


def test_status_adds_a_links_view(fake_cli):
    c = scalelab.Cluster.attach("pyt-x")
    links = c.status()["links"]
    assert links["gpu0:nic0"]["state"] == "up" and links["gpu1:nic0"]["state"] == "down"
    assert c.gpus() == ["gpu0", "gpu1"]
    assert "fake status text" in c.status_text()


def test_run_returns_per_rank_exit_codes(fake_cli):
    c = scalelab.Cluster.attach("pyt-x")
    result = c.run(["sh", "-c", "exit $RANK"], timeout=5).wait(10)
    assert argvs(fake_cli)[-1] == ["run", "pyt-x", "--json", "--timeout", "5", "--", "sh", "-c", "exit $RANK"]
    assert result.exit_codes() == {0: 0, 1: 3} and result.failed_ranks() == [1] and not result.ok
    assert result.returncode == 3 and result.output(0) == ["sh -c exit $RANK"]


def test_inject_restore_and_bench_pass_their_parameters(fake_cli):
    c = scalelab.Cluster.attach("pyt-x")
    assert c.inject("degrade", "rail:1", rate="100Gb/s", converge_after="1ms")["links"] == ["gpu1-leaf1"]
    assert argvs(fake_cli)[-1] == ["inject", "pyt-x", "degrade", "rail:1", "--rate", "100Gb/s", "--converge-after", "1ms", "--json"]
    c.restore("rail:1")
    assert argvs(fake_cli)[-1] == ["inject", "pyt-x", "restore", "rail:1", "--json"]
    rows = c.bench("all_reduce", "-w", "1", b="64K", e="64K", algo="ring", timeout=60)
    bench = argvs(fake_cli)[-1]
    assert bench[:4] == ["bench", "pyt-x", "all_reduce", "--json"]
    assert bench[5:] == ["--wall-timeout", "60", "-w", "1", "-b", "64K", "-e", "64K", "--algo", "ring"]
    assert rows[0].size == 65536 and rows[0].busbw_GBps == 0.04 and rows[0].extra == {"new_field": 1}


def test_a_failing_verb_raises_its_typed_error(fake_cli, monkeypatch):
    monkeypatch.setenv("FAKE_SCALELAB_FAIL", "inject")
    monkeypatch.setenv("FAKE_SCALELAB_KIND", "fault")
    with pytest.raises(scalelab.FaultError, match="inject failed"):
        scalelab.Cluster.attach("pyt-x").inject("link_down", "rail:9")


def test_exec_returns_the_commands_status_and_raises_the_clis_own_errors(fake_cli, monkeypatch):
    # A Cluster runs its commands with the environment it was made in.
    monkeypatch.setenv("FAKE_SCALELAB_EXEC_STATUS", "5")
    assert scalelab.Cluster.attach("pyt-x").exec("gpu0", ["false"]).returncode == 5
    assert argvs(fake_cli)[-1] == ["exec", "pyt-x/gpu0", "--", "false"]
    monkeypatch.setenv("FAKE_SCALELAB_FAIL", "exec")
    monkeypatch.setenv("FAKE_SCALELAB_KIND", "not_found")
    with pytest.raises(scalelab.NotFound):
        scalelab.Cluster.attach("pyt-x").exec("gpu9", ["true"])


def test_a_taken_name_is_retried_only_when_it_was_generated(fake_cli, monkeypatch):
    monkeypatch.setenv("FAKE_SCALELAB_FAIL", "up")
    monkeypatch.setenv("FAKE_SCALELAB_KIND", "cluster_exists")
    with pytest.raises(scalelab.ClusterExists):
        scalelab.Cluster("tiny.json", "pyt-mine").up()
    assert len(argvs(fake_cli)) == 1
    with pytest.raises(scalelab.ClusterExists):
        scalelab.Cluster("tiny.json").up()
    names = [a[3] for a in argvs(fake_cli)[1:]]
    assert len(names) == 8 and len(set(names)) == 8
