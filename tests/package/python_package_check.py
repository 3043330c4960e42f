"""Run by deb_test.sh with PYTHONPATH = the unpacked .deb's dist-packages: the package is the
unpacked one, finds the unpacked binary and topologies, and registers its pytest11 entry point."""
import importlib.metadata as md
import sys

import scalelab

root = sys.argv[1]
assert scalelab.__file__.startswith(root), scalelab.__file__
assert scalelab.find_binary() == root + "/usr/bin/scalelab", scalelab.find_binary()
assert scalelab.checkout_root() is None
tiny = scalelab.resolve_topology("tiny.json", scalelab.find_binary())
assert tiny == root + "/usr/share/scalelab/topologies/tiny.json", tiny
assert md.version("scalelab") == scalelab.__version__, md.version("scalelab")
eps = [e for e in md.entry_points(group="pytest11") if e.name == "scalelab"]
assert [e.value for e in eps] == ["scalelab.pytest_plugin"], eps
print("python: scalelab", scalelab.__version__, "from", scalelab.__file__, "; pytest11:", eps[0].value)
