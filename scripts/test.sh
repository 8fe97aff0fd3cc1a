#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set-up, release build, every test on the CPU
# backend and on wgpu (lavapipe where there is no GPU). burn is far too slow unoptimised, so
# everything builds with the release profile (one dependency build shared by binary and tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Mesa wants a runtime dir; give it a private one if the session has none.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -w "${XDG_RUNTIME_DIR}" ]; then
  export XDG_RUNTIME_DIR=$(mktemp -d)
fi
cargo build --release --workspace --locked
cargo test --release --workspace --locked
