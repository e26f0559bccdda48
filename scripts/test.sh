#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests (the latter drive
# the real kubectl 1.33 against a freshly started server).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -q -- -D warnings
cargo test --workspace --no-fail-fast
