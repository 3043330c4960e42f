"""Typed errors carrying what the CLI says: the file, the JSON pointer, the message and the fix.

The CLI prints them as JSON on stderr when SCALELAB_ERRORS=json is in its environment (the package
always sets it): {"error": {"kind", "file", "pointer", "message", "fix", "text", "status"}}.
An older binary prints "scalelab: FILE: /POINTER: MESSAGE"; that form is parsed too.
"""
from __future__ import annotations

import json
import re
from typing import Optional, Sequence


class ScalelabError(Exception):
    """Any failure of a scalelab command. str() is the text the CLI prints after "scalelab: "."""

    kind = "error"

    def __init__(self, message: str, *, file: str = "", pointer: str = "", fix: str = "", text: Optional[str] = None,
                 status: int = 1, kind: Optional[str] = None, argv: Optional[Sequence[str]] = None, stderr: str = ""):
        self.message = message
        self.file = file
        self.pointer = pointer
        self.fix = fix
        self.text = text if text is not None else message
        self.status = status
        if kind is not None:
            self.kind = kind
        self.argv = list(argv) if argv is not None else None
        self.stderr = stderr
        super().__init__(self.text)

    def __str__(self) -> str:
        return self.text


class TopologyError(ScalelabError):
    """A topology file rejected before anything was created."""
    kind = "topology"


class JobError(ScalelabError):
    """A job file rejected before anything was started."""
    kind = "job"


class ScenarioError(ScalelabError):
    """A scenario file rejected before anything was started."""
    kind = "scenario"


class UsageError(ScalelabError):
    """The CLI refused its arguments (a bug in the caller, or a binary older than the package)."""
    kind = "usage"


class ClusterExists(ScalelabError):
    """The cluster name is taken (`scalelab down NAME` removes a leftover)."""
    kind = "cluster_exists"


class NotFound(ScalelabError):
    """No such cluster, node or binary."""
    kind = "not_found"


class NotPermitted(ScalelabError):
    """This process lacks the privilege the command needs."""
    kind = "not_permitted"


class FaultError(ScalelabError):
    """A fault that cannot be applied (unknown target, wrong unit, netem missing)."""
    kind = "fault"


class BringUpError(ScalelabError):
    """`up` failed after it started; what it had created was removed."""
    kind = "bring_up"


class WorkloadError(ScalelabError):
    """A workload the CLI ran failed: a bench rank, a drill's expectation."""
    kind = "workload"


_BY_KIND = {cls.kind: cls for cls in (TopologyError, JobError, ScenarioError, UsageError, ClusterExists, NotFound,
                                      NotPermitted, FaultError, BringUpError)}
for _kind in ("bench", "run", "scenario_run", "launch"):
    _BY_KIND[_kind] = WorkloadError


def error_class(kind: str) -> type:
    return _BY_KIND.get(kind, ScalelabError)


# "FILE: /POINTER: MESSAGE", "FILE: (top level): MESSAGE" or "FILE: : MESSAGE", as the C++ splits it
# (emulator/cli/error_report.cpp): the pointer marks where the file name ends.
_LOCATED = re.compile(r"^(?P<file>.+?): (?:(?P<pointer>/.*?)|\(top level\)|): (?P<message>.*)$", re.S)


def split_located(text: str) -> tuple[str, str, str]:
    """(file, pointer, message) of a located error; ("", "", text) for any other text."""
    m = _LOCATED.match(text)
    if not m:
        return "", "", text
    return m.group("file"), m.group("pointer") or "", m.group("message")


def fix_of(message: str) -> str:
    """The remedy a message names: after the first "; ", or after "missing: "."""
    if "; " in message:
        return message.split("; ", 1)[1]
    if message.startswith("missing: "):
        return message[len("missing: "):]
    return ""


def _guess_kind(text: str, argv: Optional[Sequence[str]]) -> str:
    verb = next((a for a in (argv or [])[1:] if not a.startswith("-")), "")
    if "nothing was created." in text:
        return "topology"
    if "nothing was started." in text:
        return "scenario" if verb == "run-scenario" else "job"
    if "already exists" in text:
        return "cluster_exists"
    if "needs root" in text:
        return "not_permitted"
    if re.search(r"no cluster (named|is up)|has no node", text):
        return "not_found"
    return "error"


def parse_error(stderr: str, status: int, argv: Optional[Sequence[str]] = None) -> ScalelabError:
    """The typed error a failed command reported on stderr (its JSON line, else its plain text)."""
    for line in reversed(stderr.splitlines()):
        line = line.strip()
        if not line.startswith('{"error"'):
            continue
        try:
            e = json.loads(line)["error"]
        except (ValueError, KeyError, TypeError):
            continue
        cls = error_class(e.get("kind", "error"))
        return cls(e.get("message", ""), file=e.get("file", ""), pointer=e.get("pointer", ""), fix=e.get("fix", ""),
                   text=e.get("text") or None, status=e.get("status", status), kind=e.get("kind"), argv=argv,
                   stderr=stderr)
    # Plain text: from the first "scalelab: " line to the end (trailers such as "nothing was created.").
    lines = stderr.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith("scalelab: ")), None)
    if start is None:
        text = stderr.strip() or f"scalelab exited with status {status}"
    else:
        text = "\n".join([lines[start][len("scalelab: "):]] + lines[start + 1:]).strip()
    kind = _guess_kind(text, argv)
    first_line = text.split("\n", 1)[0]
    file, pointer, message = split_located(first_line) if kind in ("topology", "job", "scenario") else ("", "", first_line)
    return error_class(kind)(message, file=file, pointer=pointer, fix=fix_of(message), text=text, status=status,
                             kind=kind, argv=argv, stderr=stderr)
