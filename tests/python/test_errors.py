"""Errors: the CLI's JSON error line and its plain text, parsed into typed exceptions."""
import json
import os
import subprocess

import pytest

import scalelab
from scalelab.errors import fix_of, parse_error, split_located


def json_line(**fields):
    e = {"kind": "error", "file": "", "pointer": "", "message": "", "fix": "", "text": "", "status": 1}
    e.update(fields)
    return json.dumps({"error": e})


def test_a_json_topology_error_keeps_file_pointer_message_and_fix():
    stderr = "warning: something first\n" + json_line(
        kind="topology", file="t.json", pointer="/cluster/x", message='unknown key "x"; expected one of: hosts',
        fix="expected one of: hosts", text='t.json: /cluster/x: unknown key "x"; expected one of: hosts\nnothing was created.')
    e = parse_error(stderr, 1, ["scalelab", "up", "t.json"])
    assert type(e) is scalelab.TopologyError
    assert (e.file, e.pointer, e.fix, e.status) == ("t.json", "/cluster/x", "expected one of: hosts", 1)
    assert e.message == 'unknown key "x"; expected one of: hosts'
    assert str(e).endswith("nothing was created.")
    assert isinstance(e, scalelab.ScalelabError)


@pytest.mark.parametrize("kind, cls", [
    ("topology", scalelab.TopologyError), ("job", scalelab.JobError), ("scenario", scalelab.ScenarioError),
    ("usage", scalelab.UsageError), ("cluster_exists", scalelab.ClusterExists), ("not_found", scalelab.NotFound),
    ("not_permitted", scalelab.NotPermitted), ("fault", scalelab.FaultError), ("bring_up", scalelab.BringUpError),
    ("bench", scalelab.WorkloadError), ("run", scalelab.WorkloadError), ("something_new", scalelab.ScalelabError)])
def test_each_kind_has_its_class(kind, cls):
    e = parse_error(json_line(kind=kind, message="m", text="m", status=3), 3)
    assert type(e) is cls and e.kind == kind and e.status == 3


def test_plain_text_from_an_older_binary_is_parsed_the_same_way():
    e = parse_error('scalelab: topologies/x.json: /cluster/hosts: expected an integer, got "2"; write 2\nnothing was created.\n', 1)
    assert type(e) is scalelab.TopologyError
    assert (e.file, e.pointer, e.message, e.fix) == ("topologies/x.json", "/cluster/hosts", 'expected an integer, got "2"; write 2', "write 2")


def test_plain_scenario_and_job_errors_are_told_apart_by_the_verb():
    text = "scalelab: s.json: (top level): missing \"steps\"\nnothing was started.\n"
    s = parse_error(text, 1, ["scalelab", "run-scenario", "s.json"])
    assert type(s) is scalelab.ScenarioError and (s.file, s.pointer) == ("s.json", "")
    j = parse_error("scalelab: j.json: /parallel/tp: tp 3 must divide 4\nnothing was started.\n", 1, ["scalelab", "job", "t", "j.json"])
    assert type(j) is scalelab.JobError and j.pointer == "/parallel/tp"


@pytest.mark.parametrize("text, cls", [
    ('a cluster named "x" already exists: its journal; run `scalelab down x`', scalelab.ClusterExists),
    ("no cluster named \"x\" is up", scalelab.NotFound),
    ("`up` creates network namespaces and needs root (sudo)", scalelab.NotPermitted),
    ("bringing up x failed: EEXIST", scalelab.ScalelabError)])
def test_plain_text_kinds_are_guessed_from_the_words(text, cls):
    assert type(parse_error("scalelab: " + text + "\n", 1)) is cls


def test_located_split_handles_colons_in_the_file_name_and_empty_pointers():
    assert split_located("dir: a/t.json: /nodes/0/name: bad: really") == ("dir: a/t.json", "/nodes/0/name", "bad: really")
    assert split_located("t.json: : cannot read the topology file: no such file") == ("t.json", "", "cannot read the topology file: no such file")
    assert split_located("t.json: (top level): missing") == ("t.json", "", "missing")
    assert split_located("no file here: just words") == ("", "", "no file here: just words")


def test_fix_is_what_follows_the_first_semicolon_or_missing():
    assert fix_of('unknown key "q"; expected one of: a, b') == "expected one of: a, b"
    assert fix_of("missing: give the job a name") == "give the job a name"
    assert fix_of("dilation must be >= 1") == ""


def test_no_recognisable_output_still_names_the_status():
    e = parse_error("", 134)
    assert type(e) is scalelab.ScalelabError and "134" in str(e)


# The real binary (no root needed: plan, run-scenario --check, model and status read files only).

@pytest.fixture
def cli():
    return scalelab.Cli()


def test_the_binary_reports_a_bad_topology_as_json(cli, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "tiny", "cluster": {"hosts": 2, "gpus_per_host": 2, "colour": "red"}}')
    with pytest.raises(scalelab.TopologyError) as info:
        cli.run(["plan", str(bad)])
    e = info.value
    assert (e.file, e.pointer) == (str(bad), "/cluster/colour")
    assert e.fix.startswith("allowed keys are") and "hosts" in e.fix
    # The plain form is what it always was, and what the JSON's text holds.
    plain = subprocess.run([cli.binary, "plan", str(bad)], capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if k != "SCALELAB_ERRORS"})
    assert plain.returncode == e.status == 1
    assert plain.stderr == "scalelab: " + e.text + "\n"
    assert e.text.endswith("\nnothing was created.")


def test_the_binary_reports_a_bad_scenario_as_json(cli, tmp_path):
    bad = tmp_path / "s.json"
    bad.write_text('{"name": "s", "topology": "t.json", "workload": {}, "steps": [], "expect": [], "surprise": 1}')
    with pytest.raises(scalelab.ScenarioError) as info:
        cli.run(["run-scenario", "--check", str(bad)])
    assert info.value.file == str(bad) and info.value.kind == "scenario"


def test_the_binary_reports_a_bad_job_as_json(cli, tmp_path):
    bad = tmp_path / "j.json"
    bad.write_text('{"parallel": {"tp": 2}}')
    topology = scalelab.resolve_topology("tiny.json")
    with pytest.raises(scalelab.JobError) as info:
        cli.run(["model", topology, "--job", str(bad)])
    assert (info.value.file, info.value.pointer) == (str(bad), "/name")
    assert info.value.fix.startswith("give the job a name")


def test_the_binary_reports_usage_errors_and_unknown_clusters(cli):
    with pytest.raises(scalelab.UsageError) as info:
        cli.run(["bench"])
    assert info.value.status != 0
    with pytest.raises(scalelab.NotFound):
        cli.run(["status", "pyt-no-such-cluster"])
