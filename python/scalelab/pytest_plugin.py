"""pytest plugin: the `scalelab_cluster` fixture.

    def test_health_checker(scalelab_cluster):
        c = scalelab_cluster("tiny.json")        # bare names: the installed or checkout topologies/
        c.inject("link_down", "rail:1")
        assert c.status()["links"]["gpu1:nic0"]["state"] == "down"

Every cluster gets a unique name (<prefix>-<pid>-<n>, prefix --scalelab-prefix or
$SCALELAB_TEST_PREFIX, default "pyt"), so parallel runs do not collide; all of a test's clusters
are taken down after it, also when it failed; a failed test's report carries each cluster's
`scalelab status`. Rootless (SCALELAB_ROOTLESS=1 for the CLI) is the default when not root.
Registered through the pytest11 entry point "scalelab" of the installed package.
"""
from __future__ import annotations

import os
from typing import Callable, Optional

import pytest

from .cluster import Cluster

_CLUSTERS_KEY = pytest.StashKey[list]() if hasattr(pytest, "StashKey") else None


def pytest_addoption(parser) -> None:
    group = parser.getgroup("scalelab")
    group.addoption("--scalelab-prefix", default=None,
                    help="stem of the fixture's cluster names (default $SCALELAB_TEST_PREFIX or 'pyt')")
    group.addoption("--scalelab-rootless", choices=("auto", "yes", "no"), default="auto",
                    help="bring clusters up rootless: auto (when not root), yes, no")


def _rootless(config) -> bool:
    choice = config.getoption("scalelab_rootless", "auto") if config else "auto"
    if choice == "auto":
        return os.geteuid() != 0
    return choice == "yes"


def _prefix(config) -> str:
    return (config.getoption("scalelab_prefix", None) if config else None) or os.environ.get("SCALELAB_TEST_PREFIX") or "pyt"


def _clusters_of(item) -> list:
    if _CLUSTERS_KEY is not None:
        return item.stash.setdefault(_CLUSTERS_KEY, [])
    if not hasattr(item, "_scalelab_clusters"):
        item._scalelab_clusters = []
    return item._scalelab_clusters


@pytest.fixture
def scalelab_cluster(request) -> Callable[..., Cluster]:
    """A factory: scalelab_cluster(topology, **Cluster kwargs) brings a cluster up and returns it."""
    made = _clusters_of(request.node)

    def make(topology: str, name: Optional[str] = None, **kw) -> Cluster:
        kw.setdefault("rootless", _rootless(request.config))
        kw.setdefault("name_prefix", _prefix(request.config))
        c = Cluster(topology, name, **kw)
        c.up()
        made.append(c)
        return c

    yield make
    errors = []
    for c in reversed(made):
        if c.owned:
            try:
                c.down()
            except Exception as e:  # one failing down must not leave the others up
                errors.append(f"{c.name}: {e}")
    if errors:
        pytest.fail("taking clusters down failed: " + "; ".join(errors), pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # In the call phase the clusters are still up (teardown comes after): read their state now.
    if report.when != "call" or not report.failed:
        return
    for c in _clusters_of(item):
        if not c.owned:
            continue
        try:
            text = c.status_text()
        except Exception as e:
            text = f"(status could not be read: {e})"
        report.sections.append((f"scalelab cluster {c.name} when the test failed", text))
