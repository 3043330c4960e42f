#!/bin/sh
# Installs the build tree into a temporary prefix, builds this directory's project against that
# prefix only (CMake package and pkg-config), and runs it. MODE unit: plan a topology (no root);
# netns: the installed fixture brings tiny up (root).
set -eu
build=$1 src=$2 mode=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ap-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
# A library built with sanitizers (make test SANITIZE=…) needs their runtime first in the program.
sanitize=
case ${SANITIZE:-} in 1) sanitize=-fsanitize=address,undefined ;; thread) sanitize=-fsanitize=thread ;; esac
cmake -S "$src" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXE_LINKER_FLAGS="$sanitize" > "$tmp/configure.log"
cmake --build "$tmp/build" -j 2 > "$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
# The library the consumer runs with is the installed one, not the build tree's.
ldd "$tmp/build/consumer_plan" | grep -q "$prefix/lib/libscalelab.so" || { ldd "$tmp/build/consumer_plan"; exit 1; }
tiny=$prefix/share/scalelab/topologies/tiny.json
case $mode in
  unit)
    "$tmp/build/consumer_plan" "$tiny"
    # The same program built with pkg-config alone.
    libdir=$(dirname "$(find "$prefix" -name scalelab.pc)")
    flags=$(PKG_CONFIG_PATH=$libdir pkg-config --cflags --libs scalelab)
    # shellcheck disable=SC2086
    c++ "$src/plan_main.cpp" $flags $sanitize -Wl,-rpath,"$prefix/lib" -o "$tmp/pc_plan"
    "$tmp/pc_plan" "$tiny"
    ;;
  netns)
    SCALELAB_TEST_PREFIX=ap SCALELAB_CONSUMER_TOPOLOGY=$tiny "$tmp/build/consumer_fixture_test"
    ;;
  *) echo "mode: unit or netns" >&2; exit 2 ;;
esac
