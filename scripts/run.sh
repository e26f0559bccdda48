#!/usr/bin/env bash
# The main job on the embedded defaults: build kubehci and bring up a single-host cluster
# (control plane, controllers, scheduler, containerd and a node agent) with `kubehci up`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release -q -p kubehci
exec ./target/release/kubehci up --data-dir "${KUBEHCI_DATA_DIR:-/var/lib/kubehci}" "$@"
