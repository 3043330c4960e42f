"""Topology files by bare name ("tiny.json", "tiny") or by path."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Sequence

from ._cli import checkout_root
from .errors import NotFound

INSTALLED_DIRS = ("/usr/share/scalelab/topologies", "/usr/local/share/scalelab/topologies")


def search_dirs(binary: Optional[str] = None) -> list[Path]:
    """Where bare names are looked for, in order: $SCALELAB_TOPOLOGIES (a colon list), the checkout's
    topologies/ (when this package is imported from one), PREFIX/share/scalelab/topologies of the
    binary, then the Debian package's /usr/share/scalelab/topologies and /usr/local's."""
    dirs: list[Path] = [Path(d) for d in os.environ.get("SCALELAB_TOPOLOGIES", "").split(":") if d]
    root = checkout_root()
    if root is not None:
        dirs.append(root / "topologies")
    if binary:
        dirs.append(Path(binary).resolve().parent.parent / "share" / "scalelab" / "topologies")
    dirs.extend(Path(d) for d in INSTALLED_DIRS)
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def resolve_topology(name: str | os.PathLike, binary: Optional[str] = None,
                     dirs: Optional[Sequence[os.PathLike]] = None) -> str:
    """An existing path is used as it is; a bare name ("tiny.json" or "tiny") is looked up in search_dirs()."""
    text = os.fspath(name)
    if os.path.isfile(text):
        return os.path.abspath(text)
    if os.sep in text:
        raise NotFound(f"{text}: no such topology file")
    candidates = [text] if text.endswith(".json") else [text + ".json", text]
    searched = [Path(d) for d in dirs] if dirs is not None else search_dirs(binary)
    for d in searched:
        for c in candidates:
            if (d / c).is_file():
                return str(d / c)
    raise NotFound(f"topology {text!r} not found in {', '.join(map(str, searched)) or 'no directory'}; "
                   "name a file, or install the package (it ships /usr/share/scalelab/topologies)")
