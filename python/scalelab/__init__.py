"""scalelab from Python: emulated GPU clusters for tests, over the `scalelab` CLI's JSON output.

    import scalelab
    with scalelab.Cluster("tiny.json") as c:          # up now, down at the end of the block
        c.inject("link_down", "rail:1")
        assert c.status()["links"]["gpu1:nic0"]["state"] == "down"
        assert c.run(["sh", "-c", "[ $RANK = 1 ] && exit 3; exec sleep 30"]).wait(30).failed_ranks() == [1]

pytest picks up the `scalelab_cluster` fixture from scalelab.pytest_plugin (see docs/python.md).
"""
from ._cli import Cli, checkout_root, find_binary
from .cluster import BenchRow, Cluster, DrillResult, Job, JobResult, RankResult, clusters, drill, links_view
from .errors import (BringUpError, ClusterExists, FaultError, JobError, NotFound, NotPermitted, ScalelabError,
                     ScenarioError, TopologyError, UsageError, WorkloadError, parse_error)
from .naming import unique_name
from .topologies import resolve_topology

__version__ = "0.1.0"

__all__ = [
    "BenchRow", "BringUpError", "Cli", "Cluster", "ClusterExists", "DrillResult", "FaultError", "Job", "JobError",
    "JobResult", "NotFound", "NotPermitted", "RankResult", "ScalelabError", "ScenarioError", "TopologyError",
    "UsageError", "WorkloadError", "checkout_root", "clusters", "drill", "find_binary", "links_view", "parse_error",
    "resolve_topology", "unique_name",
]
