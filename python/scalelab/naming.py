"""Cluster names unique per process and call, within the model's limit ([a-z0-9][a-z0-9-]{0,23})."""
from __future__ import annotations

import itertools
import os
import re

MAX_NAME_LENGTH = 24  # emulator/model: names become part of sl-<cluster>-<node> namespaces and interfaces
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
_counter = itertools.count()


def clean_prefix(prefix: str) -> str:
    """Lower case, [a-z0-9-] only, at most 8 characters (so pid and counter always fit), never empty."""
    cleaned = re.sub(r"[^a-z0-9-]", "-", prefix.lower()).strip("-")[:8].rstrip("-")
    return cleaned or "pyt"


def unique_name(prefix: str = "pyt") -> str:
    """"<prefix>-<pid>-<n>": distinct across the processes of a parallel run (pytest -n, ctest -j) and
    across the calls of one process. At most 8 + 1 + 7 (pid_max is 2^22) + 1 + 7 characters."""
    name = f"{clean_prefix(prefix)}-{os.getpid()}-{next(_counter)}"
    assert NAME_PATTERN.match(name) and len(name) <= MAX_NAME_LENGTH, name
    return name
