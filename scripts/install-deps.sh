#!/usr/bin/env bash
# Installs every Debian package scalelab needs: build, tests, benches and the kernel-VM tier.
# Idempotent: packages already present are skipped without touching apt's lists.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git
  libnl-3-dev libnl-route-3-dev
  libboost-dev libboost-filesystem-dev
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev
  libibverbs-dev librdmacm-dev nodejs
  # package: man pages (help2man); fuzzing: clang's libFuzzer and sanitizer runtimes; ccache
  help2man clang libclang-rt-14-dev ccache
  # multi-machine tier (issue 14): sshd inside namespaces
  openssh-server openssh-client
  # runtime tools used by tests and users (never by the emulator itself)
  iproute2 iputils-ping iperf3 bc rdma-core ibverbs-utils perftest graphviz procps psmisc chromium
  # benches: peers measured in the same run; PyTorch (gloo) for examples/torch and its tests
  mininet bridge-utils openmpi-bin libopenmpi-dev python3-torch
  # tests/python (the Python package and its pytest plugin; yaml for the CI example)
  python3-pytest python3-yaml
  # kernel-VM tier
  qemu-system-x86 busybox-static zstd xz-utils cpio kmod dpkg-dev
)

# npm: Debian's package on a plain Debian 12; machines with NodeSource's nodejs already have npm
# (and Debian's npm conflicts with it).
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing ${missing[*]}; run as root (sudo make deps)" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
