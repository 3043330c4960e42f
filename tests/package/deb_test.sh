#!/bin/sh
# Builds the .deb (cpack) into a temp directory, unpacks it with dpkg -x into a fresh root, and
# runs the unpacked binaries. MODE contents: Depends, man pages, completion, headers, the Python
# package with its pytest11 entry point, and `scalelab plan` from the root (no root needed);
# doctor: `scalelab doctor` from it (root: it tries each feature in a throwaway namespace).
set -eu
build=$1 mode=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ap-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cpack --config "$build/CPackConfig.cmake" -B "$tmp/out" > "$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; exit 1; }
deb=$(ls "$tmp"/out/scalelab_*.deb)
root=$tmp/root
dpkg -x "$deb" "$root"
bin=$root/usr/bin/scalelab
version=$(dpkg-deb -f "$deb" Version)
# Debian's python3 imports the unpacked package, which finds the unpacked binary and topologies;
# pytest loads the plugin from its entry point alone (no -p, no conftest.py).
python_package() {
  site=$1/usr/lib/python3/dist-packages
  if find "$site" -name __pycache__ | grep -q .; then echo "the package ships __pycache__" >&2; exit 1; fi
  export PATH="$1/usr/bin:/usr/bin:/bin" PYTHONPATH="$site" PYTHONDONTWRITEBYTECODE=1
  /usr/bin/python3 "$(dirname "$0")/python_package_check.py" "$1"
  mkdir "$tmp/pytest"
  printf 'def test_fixture(scalelab_cluster):\n    assert callable(scalelab_cluster)\n' > "$tmp/pytest/test_fixture.py"
  (cd "$tmp/pytest" && /usr/bin/python3 -m pytest -q -p no:cacheprovider test_fixture.py) | tee "$tmp/pytest.txt"
  grep -q "1 passed" "$tmp/pytest.txt"
}

case $mode in
  contents)
    depends=$(dpkg-deb -f "$deb" Depends)
    echo "Depends: $depends"
    for lib in libnl-route-3 libfmt libboost-filesystem; do
      echo "$depends" | grep -q "$lib" || { echo "Depends lacks $lib" >&2; exit 1; }
    done
    for f in usr/bin/scalelab-agent usr/lib/libscalelab.so usr/include/scalelab/testing.h \
             usr/lib/cmake/scalelab/scalelabConfig.cmake usr/lib/pkgconfig/scalelab.pc \
             usr/share/man/man1/scalelab.1 usr/share/man/man1/scalelab-up.1 usr/share/man/man1/scalelab-inject.1 \
             usr/share/bash-completion/completions/scalelab usr/share/scalelab/topologies/tiny.json \
             usr/share/scalelab/jobs/tiny-3d.json usr/share/scalelab/report-assets/chart.umd.js \
             usr/lib/python3/dist-packages/scalelab/__init__.py usr/lib/python3/dist-packages/scalelab/pytest_plugin.py \
             usr/lib/python3/dist-packages/scalelab-$version.dist-info/METADATA \
             usr/lib/python3/dist-packages/scalelab-$version.dist-info/entry_points.txt; do
      [ -e "$root/$f" ] || { echo "missing from the package: /$f" >&2; exit 1; }
    done
    grep -q 'Bring a cluster up from a topology file' "$root/usr/share/man/man1/scalelab-up.1"
    bash -n "$root/usr/share/bash-completion/completions/scalelab"
    # The unpacked binary runs from the fresh root and finds the packaged topologies.
    "$bin" plan "$root/usr/share/scalelab/topologies/tiny.json" | tee "$tmp/plan.txt"
    grep -q gpu0 "$tmp/plan.txt"
    "$bin" --version
    python_package "$root"
    ;;
  doctor)
    "$bin" doctor | tee "$tmp/doctor.txt"
    grep -q netns "$tmp/doctor.txt"
    # A shipped drill from the unpacked tree: its agents, scenario, topology and the report's
    # chart library all come from the package.
    "$bin" run-scenario "$root/usr/share/scalelab/scenarios/rail-flap-during-allreduce.json" --name "deb$$-drill" --report "$tmp/report" | tail -3
    grep -q 'Chart.js v' "$tmp/report/report.html" || { echo "the report lacks its chart library" >&2; exit 1; }
    ;;
  *) echo "mode: contents or doctor" >&2; exit 2 ;;
esac
