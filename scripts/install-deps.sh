#!/usr/bin/env bash
# Installs every Debian package hasync needs to build, test, fuzz and run its demo and
# benchmarks. Safe to run again: apt-get skips what is already there.
set -euo pipefail
packages=(
  build-essential cmake ninja-build clang-14 libclang-rt-14-dev clang-format clang-tidy
  libasio-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  nlohmann-json3-dev libxxhash-dev libgtest-dev libgmock-dev libbenchmark-dev
  iproute2 nftables procps python3 openssl
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(redis-server iperf3 keepalived gnuplot-nox)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}"
fi
