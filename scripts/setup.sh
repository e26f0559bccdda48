#!/usr/bin/env bash
# Installs what kubehci needs on a Debian machine, idempotently. Run as root.
set -euo pipefail
need_apt=()
for pkg in build-essential pkg-config ca-certificates protobuf-compiler containerd runc containernetworking-plugins busybox-static iproute2 iptables tzdata; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}"
fi
command -v cargo >/dev/null || { echo "cargo is required (install Rust with rustup)" >&2; exit 1; }
