"""Clusters, jobs, faults and benches, driven through the scalelab CLI's JSON output.

Each call runs one `scalelab` command: no state lives in this process, so a cluster outlives a
crashed test process (`scalelab down NAME` ends it) and the kernel's rules about joining
namespaces (setns(CLONE_NEWUSER) needs a single-threaded caller) apply to the CLI, not to
pytest. docs/python.md says why it is not a binding.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from ._cli import Cli
from .errors import ClusterExists, ScalelabError, parse_error
from .naming import unique_name
from .topologies import resolve_topology


@dataclass
class RankResult:
    rank: int
    node: str
    status: int  # exit status; 128+N when ended by signal N; 127: command not found
    stopped: bool = False  # ended by the job (another rank failed, the deadline, kill())
    label: str = ""
    pid: int = -1
    output: list[str] = field(default_factory=list)  # its stdout and stderr lines


@dataclass
class JobResult:
    ranks: list[RankResult]
    timed_out: bool = False
    interrupted: bool = False  # ended by kill()
    returncode: int = 0  # of `scalelab run`
    stderr: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any], returncode: int = 0, stderr: str = "") -> "JobResult":
        ranks = [RankResult(rank=r["rank"], node=r.get("node", ""), status=r["status"], stopped=r.get("stopped", False),
                            label=r.get("label", ""), pid=r.get("pid", -1), output=list(r.get("output", [])))
                 for r in data.get("ranks", [])]
        return cls(ranks, timed_out=data.get("timed_out", False), interrupted=data.get("interrupted", False),
                   returncode=returncode, stderr=stderr)

    @property
    def ok(self) -> bool:
        return not self.timed_out and not self.interrupted and all(r.status == 0 for r in self.ranks)

    def exit_codes(self) -> dict[int, int]:
        return {r.rank: r.status for r in self.ranks}

    def failed_ranks(self) -> list[int]:
        """Ranks that exited non-zero on their own (not stopped by the job)."""
        return [r.rank for r in self.ranks if r.status != 0 and not r.stopped]

    def stopped_ranks(self) -> list[int]:
        return [r.rank for r in self.ranks if r.stopped]

    def output(self, rank: int) -> list[str]:
        return next(r.output for r in self.ranks if r.rank == rank)


class Job:
    """`scalelab run CLUSTER --json -- ARGV` running: wait() for it or kill() it."""

    def __init__(self, process: subprocess.Popen, argv: Sequence[str]):
        self._process = process
        self.argv = list(argv)
        self._result: Optional[JobResult] = None

    @property
    def pid(self) -> int:
        return self._process.pid

    def running(self) -> bool:
        return self._result is None and self._process.poll() is None

    def wait(self, timeout: Optional[float] = None) -> JobResult:
        """Every rank's result. Past `timeout` seconds the job is killed and the result says timed_out."""
        if self._result is not None:
            return self._result
        try:
            out, err = self._process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            result = self.kill()
            result.timed_out = True
            return result
        return self._finish(out, err)

    def kill(self, grace: float = 10.0) -> JobResult:
        """Ends every rank now (the CLI passes SIGTERM on to them) and returns what they did."""
        if self._result is not None:
            return self._result
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
        try:
            out, err = self._process.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            # The CLI did not end: its ranks are left to `scalelab down`, which stops recorded processes.
            self._process.kill()
            out, err = self._process.communicate()
        result = self._finish(out, err)
        result.interrupted = True
        return result

    def _finish(self, out: str, err: str) -> JobResult:
        rc = self._process.returncode
        data = None
        for line in reversed(out.splitlines()):
            if line.startswith("{"):
                try:
                    data = json.loads(line)
                    break
                except ValueError:
                    pass
        if data is None:
            raise parse_error(err, rc, self.argv)
        self._result = JobResult.from_json(data, rc, err)
        return self._result

    def __enter__(self) -> "Job":
        return self

    def __exit__(self, *exc) -> None:
        if self.running():
            self.kill()


@dataclass
class BenchRow:
    """One size of a `scalelab bench` run, as rank 0's JSON has it (emulated units, GB/s)."""
    size: int
    count: int = 0
    type: str = ""
    redop: str = ""
    root: int = -1
    time_us: float = 0.0
    algbw_GBps: float = 0.0
    busbw_GBps: float = 0.0
    wrong: Optional[int] = None
    inplace_time_us: float = 0.0
    inplace_algbw_GBps: float = 0.0
    inplace_busbw_GBps: float = 0.0
    inplace_wrong: Optional[int] = None
    projected_busbw_GBps: float = 0.0  # × dilation: the real cluster's figure
    inplace_projected_busbw_GBps: float = 0.0
    stages: list[dict] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # fields this version of the package does not know

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> "BenchRow":
        known = set(cls.__dataclass_fields__) - {"extra"}
        values = {k: v for k, v in row.items() if k in known}
        values.setdefault("size", row.get("bytes", 0))
        return cls(**values, extra={k: v for k, v in row.items() if k not in known})


def links_view(status: Mapping[str, Any]) -> dict[str, dict]:
    """"NODE:IFNAME" → {"state": "up"|"down", …} for every interface in `scalelab status --json`."""
    links: dict[str, dict] = {}
    for node in status.get("nodes", []):
        for i in node.get("interfaces", []) or []:
            up = bool(i.get("up")) and bool(i.get("carrier", True))
            links[f"{node.get('node')}:{i.get('ifname')}"] = {"state": "up" if up else "down", "node": node.get("node"),
                                                               **i}
    return links


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


class Cluster:
    """A cluster this object brings up (`with Cluster("tiny.json") as c:`) or attaches to.

    name: the cluster's name; None gives a unique one ("pyt-<pid>-<n>"), so tests in parallel do not
    collide. rootless: True passes SCALELAB_ROOTLESS=1 to every command; None leaves the
    environment as it is.
    """

    def __init__(self, topology: str | os.PathLike, name: Optional[str] = None, *, rootless: Optional[bool] = None,
                 dilation: Optional[float | str] = None, up_args: Sequence[str] = (), binary: Optional[str] = None,
                 env: Optional[Mapping[str, str]] = None, name_prefix: str = "pyt"):
        self.cli = Cli(binary, rootless=rootless, env=env)
        self.topology = resolve_topology(topology, self.cli.binary) if topology else ""
        self._auto_name = name is None
        self._prefix = name_prefix
        self.name = name or unique_name(name_prefix)
        self.dilation = dilation
        self.up_args = list(up_args)
        self.report: dict = {}
        self.owned = False

    @classmethod
    def attach(cls, name: str, **kw) -> "Cluster":
        """A cluster already up; down() takes it down, leaving the with-block does not."""
        c = cls("", name, **kw)
        c.report = {"cluster": name}
        return c

    # Lifecycle ------------------------------------------------------------------------------
    def up(self) -> dict:
        """`scalelab up FILE --name NAME --json`; its report (seconds, namespaces, cluster_file…)."""
        for attempt in range(8):
            args = ["up", self.topology, "--name", self.name, "--json", *self.up_args]
            if self.dilation is not None:
                args += ["--dilation", str(self.dilation)]
            try:
                self.report = json.loads(self.cli.run(args).stdout)
            except ClusterExists:
                # A crashed earlier run may have left this pid and counter behind: take the next name.
                if not self._auto_name or attempt == 7:
                    raise
                self.name = unique_name(self._prefix)
                continue
            self.owned = True
            return self.report
        raise AssertionError("unreachable")

    def down(self) -> dict:
        """`scalelab down NAME --json`: found, namespaces_removed, processes_stopped."""
        self.owned = False
        return json.loads(self.cli.run(["down", self.name, "--json"]).stdout.splitlines()[0])

    def __enter__(self) -> "Cluster":
        self.up()
        return self

    def __exit__(self, *exc) -> None:
        if self.owned:
            self.down()

    # Reading --------------------------------------------------------------------------------
    def status(self) -> dict:
        """`scalelab status NAME --json`, plus "links": {"gpu1:nic0": {"state": "down", …}, …}."""
        data = json.loads(self.cli.run(["status", self.name, "--json"]).stdout)
        data.setdefault("links", links_view(data))
        return data

    def status_text(self) -> str:
        return self.cli.run(["status", self.name]).stdout

    def gpus(self) -> list[str]:
        """GPU nodes in rank order."""
        ranked = [n for n in self.status().get("nodes", []) if "rank" in n]
        return [n["node"] for n in sorted(ranked, key=lambda n: n["rank"])]

    # Running --------------------------------------------------------------------------------
    def exec(self, node: str, argv: Sequence[str], *, timeout: Optional[float] = None,
             check: bool = False) -> subprocess.CompletedProcess:
        """ARGV inside NODE's namespace (`scalelab exec NAME/NODE -- ARGV`), output captured. The
        command's own non-zero exit is returned (check=True raises subprocess.CalledProcessError);
        a missing cluster or node raises NotFound."""
        p = self.cli.run(["exec", f"{self.name}/{node}", "--", *argv], check=False, timeout=timeout)
        if p.returncode != 0 and '{"error"' in p.stderr:
            err = parse_error(p.stderr, p.returncode, p.args)
            if err.kind in ("not_found", "not_permitted", "usage"):  # the CLI's own failure, not the command's
                raise err
        if check:
            p.check_returncode()
        return p

    def run(self, argv: Sequence[str], timeout: Optional[float] = None) -> Job:
        """ARGV once per GPU ($RANK, ${RANK} expanded; RANK, WORLD_SIZE, MASTER_ADDR… set), started
        now. `timeout` seconds: the CLI ends every rank then and the result says timed_out."""
        args = ["run", self.name, "--json"]
        if timeout is not None:
            args += ["--timeout", str(timeout)]
        args += ["--", *argv]
        return Job(self.cli.popen(args), self.cli.argv(args))

    # Faults ---------------------------------------------------------------------------------
    def inject(self, action: str, target: str = "", **params: str) -> dict:
        """`scalelab inject NAME ACTION TARGET [--rate … --delay … --jitter … --loss … --converge-after …]`.
        Returns what changed: links, nics, rerouted, rate_bps, side_a, side_b."""
        args = ["inject", self.name, action] + ([target] if target else [])
        for key, value in params.items():
            args += [_flag(key), str(value)]
        return json.loads(self.cli.run(args + ["--json"]).stdout)

    def restore(self, target: str) -> dict:
        """The target's links back to their planned shaping."""
        return self.inject("restore", target)

    # Benches --------------------------------------------------------------------------------
    def bench(self, collective: str = "all_reduce", *args: str, timeout: Optional[float] = None,
              **flags: Any) -> list[BenchRow]:
        """`scalelab bench NAME COLLECTIVE ARGS…`; rows parsed from its --json file. Flags pass as
        nccl-tests spells them: bench("all_reduce", "-b", "1M", "-e", "4M") or
        bench("all_reduce", b="1M", e="4M", n=5, algo="ring")."""
        extra = list(args)
        for key, value in flags.items():
            extra += [f"-{key}" if len(key) == 1 else _flag(key), str(value)]
        with tempfile.TemporaryDirectory(prefix="scalelab-bench-") as tmp:
            path = Path(tmp) / "bench.json"
            cmd = ["bench", self.name, collective, "--json", str(path)]
            if timeout is not None:
                cmd += ["--wall-timeout", str(timeout)]
            self.cli.run(cmd + extra)
            data = json.loads(path.read_text())
        return [BenchRow.from_json(r) for r in data.get("rows", [])]

    def __repr__(self) -> str:
        return f"Cluster({self.name!r}, topology={self.topology!r}, owned={self.owned})"


@dataclass
class DrillResult:
    passed: bool
    returncode: int
    report_dir: str
    verdict: Any  # report_dir/verdict.json
    stdout: str
    stderr: str


def drill(scenario: str | os.PathLike, report: Optional[str | os.PathLike] = None, *, keep: bool = False,
          rootless: Optional[bool] = None, binary: Optional[str] = None, check: bool = False,
          name: Optional[str] = None) -> DrillResult:
    """`scalelab run-scenario FILE --report DIR [--name NAME]`: its own cluster up (named NAME
    instead of the topology's name when given), the workload, the faults, the expectations
    judged, the cluster down. A failed expectation is passed=False (check=True raises); a
    rejected scenario file raises ScenarioError."""
    cli = Cli(binary, rootless=rootless)
    report_dir = os.fspath(report) if report else tempfile.mkdtemp(prefix="scalelab-drill-")
    args = ["run-scenario", os.fspath(scenario), "--report", report_dir] + (["--keep"] if keep else [])
    args += ["--name", name] if name else []
    p = cli.run(args, check=False)
    verdict_file = Path(report_dir) / "verdict.json"
    if p.returncode != 0 and not verdict_file.is_file():
        raise parse_error(p.stderr, p.returncode, p.args)
    verdict = json.loads(verdict_file.read_text()) if verdict_file.is_file() else None
    result = DrillResult(p.returncode == 0, p.returncode, report_dir, verdict, p.stdout, p.stderr)
    if check and not result.passed:
        raise parse_error(p.stderr, p.returncode, p.args)
    return result


def clusters(binary: Optional[str] = None) -> list[dict]:
    """Every cluster on this machine (`scalelab status --json` with no name)."""
    data = json.loads(Cli(binary).run(["status", "--json"]).stdout)
    return data if isinstance(data, list) else [data]
