"""examples/ci: the workflow parses as GitHub Actions YAML, and the Makefile's ci-local runs the
same commands in the same order (no root: nothing is run but `make -n` and `--check`)."""
import re
import subprocess

import pytest
import yaml

from scalelab import Cli, checkout_root

CI = checkout_root() / "examples" / "ci"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load((CI / "github-actions.yml").read_text())


def workflow_commands(job):
    lines = []
    for step in job["steps"]:
        lines += [l.strip() for l in step.get("run", "").splitlines() if l.strip() and not l.strip().startswith("#")]
    return lines


def makefile_commands():
    """ci-local's recipe as written, `cd $(ROOT) && ` dropped, make's $$ as the shell's $."""
    text = (CI / "Makefile").read_text()
    recipe = text.split("\nci-local:\n", 1)[1]
    lines = []
    for line in recipe.splitlines():
        if not line.startswith("\t"):
            break
        command = line[1:].lstrip("@")
        if command.startswith("echo "):
            continue
        lines.append(re.sub(r"^cd \$\(ROOT\) && ", "", command).replace("$$", "$"))
    return lines


def make_variable(name):
    text = (CI / "Makefile").read_text().replace("\\\n", " ")
    return re.search(rf"^{name} [:?]?= (.*)$", text, re.M).group(1).split()


def test_the_workflow_is_valid_github_actions_yaml(workflow):
    assert set(workflow) >= {"name", "jobs"}
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers and "workflow_dispatch" in triggers
    (job,) = workflow["jobs"].values()
    assert job["runs-on"] == "ubuntu-latest"
    for step in job["steps"]:
        assert ("uses" in step) != ("run" in step), step
    uses = [s["uses"].split("@")[0] for s in job["steps"] if "uses" in s]
    assert uses[0] == "actions/checkout" and "actions/upload-artifact" in uses
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    drill = next(c for c in workflow_commands(job) if " run-scenario " in c)
    report_dir = drill.split("--report ", 1)[1].split()[0]
    assert upload["with"]["path"].rstrip("/") == report_dir


def test_the_makefile_runs_the_workflows_commands(workflow):
    (job,) = workflow["jobs"].values()
    assert makefile_commands() == workflow_commands(job)
    scalelab_commands = [c for c in makefile_commands() if "scalelab " in c]
    assert any(c.startswith("sudo -E scalelab vm --timeout") and " -- scalelab run-scenario " in c for c in scalelab_commands)
    assert "make -o deps package" in makefile_commands()
    assert make_variable("SCALELAB_CI_PACKAGES") == job["env"]["SCALELAB_CI_PACKAGES"].split()
    assert make_variable("SCALELAB_VM_MIRROR") == [job["env"]["SCALELAB_VM_MIRROR"]]


def test_make_accepts_the_makefile():
    p = subprocess.run(["make", "-n", "-f", str(CI / "Makefile"), "ci-local"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert f"cd {checkout_root()} && make -o deps package" in p.stdout


def test_the_build_packages_are_the_ones_install_deps_names_for_the_build(workflow):
    (job,) = workflow["jobs"].values()
    ci = set(job["env"]["SCALELAB_CI_PACKAGES"].split())
    deps = (checkout_root() / "scripts" / "install-deps.sh").read_text()
    build = deps.split("# build\n", 1)[1].split("  #", 1)[0].split()
    assert set(build) <= ci, set(build) - ci


def test_the_drill_the_workflow_runs_is_a_valid_scenario(workflow):
    (job,) = workflow["jobs"].values()
    drill = next(c for c in workflow_commands(job) if " run-scenario " in c)
    installed = drill.split("run-scenario ", 1)[1].split()[0]
    in_checkout = checkout_root() / installed.replace("/usr/share/scalelab/", "")
    assert in_checkout.is_file(), in_checkout
    out = Cli().run(["run-scenario", "--check", str(in_checkout)]).stdout
    assert "valid" in out
