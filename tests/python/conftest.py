"""tests/python: run with Debian's /usr/bin/python3 -m pytest (ctest: python.unit, python.live)."""
import json
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SOURCE_DIR = HERE.parent.parent
sys.path.insert(0, str(SOURCE_DIR / "python"))
# Subprocesses (pytester's inner pytest, a second interpreter) import the same package.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(SOURCE_DIR / "python"), os.environ.get("PYTHONPATH")) if p)


def pytest_configure(config):
    config.addinivalue_line("markers", "live: needs root and brings real clusters up (ctest label netns)")


@pytest.fixture
def fake_cli(tmp_path, monkeypatch):
    """SCALELAB_BIN pointing at fake_scalelab.py; .calls() reads what it was asked."""
    log = tmp_path / "fake.log"
    monkeypatch.setenv("SCALELAB_BIN", str(HERE / "fake_scalelab.py"))
    monkeypatch.setenv("FAKE_SCALELAB_LOG", str(log))

    class Fake:
        path = str(HERE / "fake_scalelab.py")

        @staticmethod
        def calls():
            return [json.loads(l) for l in log.read_text().splitlines()] if log.exists() else []

    return Fake()
