"""Finding the scalelab binary and running it with machine-readable errors."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Mapping, Optional, Sequence

from .errors import NotFound, parse_error


def checkout_root() -> Optional[Path]:
    """The source checkout this package is imported from (python/scalelab/ inside it), if any."""
    root = Path(__file__).resolve().parent.parent.parent
    if (root / "emulator" / "cli" / "main.cpp").is_file() and (root / "topologies").is_dir():
        return root
    return None


def find_binary(env: Optional[Mapping[str, str]] = None) -> str:
    """$SCALELAB_BIN, else `scalelab` on $PATH, else build/scalelab of the checkout this package is in."""
    env = os.environ if env is None else env
    explicit = env.get("SCALELAB_BIN")
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return os.path.abspath(explicit)
        raise NotFound(f"SCALELAB_BIN={explicit} is not an executable file")
    on_path = shutil.which("scalelab", path=env.get("PATH", os.defpath))
    if on_path:
        return on_path
    root = checkout_root()
    if root is not None:
        built = root / "build" / "scalelab"
        if built.is_file() and os.access(built, os.X_OK):
            return str(built)
    raise NotFound("no scalelab binary: set SCALELAB_BIN, install the package (sudo apt install ./scalelab_*.deb) "
                   "or build the checkout (make build)")


class Cli:
    """One scalelab binary and the environment its commands run with."""

    def __init__(self, binary: Optional[str] = None, *, rootless: Optional[bool] = None,
                 env: Optional[Mapping[str, str]] = None):
        self.binary = binary or find_binary(env)
        self.env = dict(os.environ if env is None else env)
        self.env["SCALELAB_ERRORS"] = "json"
        if rootless is not None:
            # `scalelab … --rootless` is also enabled by this variable; every verb then joins the
            # cluster's user namespace.
            if rootless:
                self.env["SCALELAB_ROOTLESS"] = "1"
            else:
                self.env.pop("SCALELAB_ROOTLESS", None)

    def argv(self, args: Sequence[str]) -> list[str]:
        return [self.binary, *map(str, args)]

    def run(self, args: Sequence[str], *, check: bool = True, timeout: Optional[float] = None,
            input: Optional[str] = None) -> subprocess.CompletedProcess:
        """Runs `scalelab ARGS…`, output captured; a non-zero exit raises its typed error when check."""
        argv = self.argv(args)
        p = subprocess.run(argv, env=self.env, capture_output=True, text=True, errors="replace", timeout=timeout,
                           input=input, stdin=None if input is not None else subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise parse_error(p.stderr, p.returncode, argv)
        return p

    def popen(self, args: Sequence[str]) -> subprocess.Popen:
        return subprocess.Popen(self.argv(args), env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, errors="replace")
