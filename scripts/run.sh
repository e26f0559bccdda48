#!/usr/bin/env bash
# The main job on the embedded defaults: build kubehci and start the API server.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release -q -p kubehci
exec ./target/release/kubehci server --data-dir "${KUBEHCI_DATA_DIR:-/var/lib/kubehci}" "$@"
