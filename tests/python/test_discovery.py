"""Finding the binary and topologies, naming clusters, passing rootless on: no root, no kernel."""
import os
import re
import stat
import subprocess
import sys

import pytest

import scalelab
from scalelab import naming
from scalelab._cli import Cli, checkout_root, find_binary
from scalelab.topologies import resolve_topology, search_dirs


def executable(path):
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_scalelab_bin_comes_first(tmp_path):
    mine = executable(tmp_path / "my-scalelab")
    other = executable(tmp_path / "scalelab")
    assert find_binary({"SCALELAB_BIN": str(mine), "PATH": str(tmp_path)}) == str(mine)
    assert find_binary({"PATH": str(tmp_path)}) == str(other)


def test_a_scalelab_bin_that_is_not_executable_is_an_error(tmp_path):
    (tmp_path / "plain").write_text("")
    with pytest.raises(scalelab.NotFound, match="SCALELAB_BIN"):
        find_binary({"SCALELAB_BIN": str(tmp_path / "plain")})


def test_without_either_the_checkouts_build_tree_serves(tmp_path):
    root = checkout_root()
    assert root is not None and (root / "python" / "scalelab" / "__init__.py").is_file()
    built = root / "build" / "scalelab"
    if built.is_file():
        assert find_binary({"PATH": str(tmp_path)}) == str(built)
    else:
        with pytest.raises(scalelab.NotFound, match="make build"):
            find_binary({"PATH": str(tmp_path)})


def test_bare_topology_names_resolve_against_the_checkout_and_installed_dirs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCALELAB_TOPOLOGIES", raising=False)
    tiny = resolve_topology("tiny.json")
    assert tiny == str(checkout_root() / "topologies" / "tiny.json")
    assert resolve_topology("tiny") == tiny
    assert "/usr/share/scalelab/topologies" in map(str, search_dirs())
    # The installed layout: PREFIX/bin/scalelab finds PREFIX/share/scalelab/topologies.
    (tmp_path / "prefix/bin").mkdir(parents=True)
    (tmp_path / "prefix/share/scalelab/topologies").mkdir(parents=True)
    (tmp_path / "prefix/share/scalelab/topologies/only-here.json").write_text("{}")
    assert resolve_topology("only-here.json", binary=str(tmp_path / "prefix/bin/scalelab")) == \
        str(tmp_path / "prefix/share/scalelab/topologies/only-here.json")


def test_paths_and_the_environment_come_before_the_search(tmp_path, monkeypatch):
    (tmp_path / "tiny.json").write_text("{}")
    assert resolve_topology(tmp_path / "tiny.json") == str(tmp_path / "tiny.json")
    monkeypatch.chdir(tmp_path)
    assert resolve_topology("tiny.json") == str(tmp_path / "tiny.json")  # an existing relative path is a path
    other = tmp_path / "mine"
    other.mkdir()
    (other / "x.json").write_text("{}")
    monkeypatch.setenv("SCALELAB_TOPOLOGIES", str(other))
    assert resolve_topology("x") == str(other / "x.json")
    with pytest.raises(scalelab.NotFound, match="no-such"):
        resolve_topology("no-such.json")
    with pytest.raises(scalelab.NotFound, match="no such topology file"):
        resolve_topology("some/dir/tiny.json")


def test_names_fit_the_models_limit_and_differ_per_call():
    pattern = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
    names = {scalelab.unique_name() for _ in range(50)}
    assert len(names) == 50
    for n in names:
        assert pattern.match(n) and n.startswith(f"pyt-{os.getpid()}-")
    # The longest prefix, pid and a large counter still fit the 24 characters.
    longest = f"{naming.clean_prefix('A_Very_Long_Prefix')}-{2 ** 22}-{9999999}"
    assert len(longest) <= naming.MAX_NAME_LENGTH
    assert naming.clean_prefix("A_Very_Long_Prefix") == "a-very-l"
    assert naming.clean_prefix("__") == "pyt"


def test_names_differ_between_processes():
    code = "import scalelab; print(scalelab.unique_name())"
    env = dict(os.environ, PYTHONPATH=str(checkout_root() / "python"))
    names = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
             for _ in range(3)}
    assert len(names) == 3


def test_rootless_is_passed_on_to_the_cli_or_left_alone(tmp_path):
    b = str(executable(tmp_path / "scalelab"))
    assert Cli(b, rootless=True, env={}).env["SCALELAB_ROOTLESS"] == "1"
    assert "SCALELAB_ROOTLESS" not in Cli(b, rootless=False, env={"SCALELAB_ROOTLESS": "1"}).env
    assert Cli(b, env={"SCALELAB_ROOTLESS": "1"}).env["SCALELAB_ROOTLESS"] == "1"
    assert Cli(b, env={}).env["SCALELAB_ERRORS"] == "json"


def test_the_package_and_the_project_have_one_version():
    cmake = (checkout_root() / "CMakeLists.txt").read_text()
    assert re.search(r"project\(scalelab VERSION ([0-9.]+)", cmake).group(1) == scalelab.__version__
