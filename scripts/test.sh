#!/usr/bin/env bash
# The whole test suite, from a fresh clone: set-up, release build, every test on the CPU
# backend and on wgpu (lavapipe where there is no GPU). burn is far too slow unoptimised, so
# everything builds with the release profile (one dependency build shared by binary and tests).
# The server tests also run against Redis and PostgreSQL, started here by scripts/services.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Mesa wants a runtime dir; give it a private one if the session has none.
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -w "${XDG_RUNTIME_DIR}" ]; then
  export XDG_RUNTIME_DIR=$(mktemp -d)
fi
# Redis and PostgreSQL for the conversation-store tests (stopped again on exit).
services=$(mktemp -d)
trap 'bash scripts/services.sh stop "$services"' EXIT
bash scripts/services.sh start "$services"
source "$services/env"
export DESKBOT_REQUIRE_SERVICES=1
# The e5 reference tests must run here: setup fetched the model file.
export DESKBOT_REQUIRE_ENCODER=1
# A real Rasa action server (rasa-sdk from PyPI) for the --action-protocol rasa test.
DESKBOT_RASA_SDK_PYTHON=$(bash scripts/fetch_rasa_sdk.sh)
export DESKBOT_RASA_SDK_PYTHON
# Style first: formatting fails in seconds, lints before the long build.
cargo fmt --check
cargo clippy --release --workspace --all-targets --locked -- -D warnings
cargo build --release --workspace --locked --timings
log=$(mktemp)
# Fuzz targets and the soak append their counts here (crates/cli/tests/common).
rm -f target/tmp/fuzz-report.txt
set +e
cargo test --release --workspace --locked 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary (cargo prints one "test result" line per binary).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
cat target/tmp/fuzz-report.txt 2>/dev/null || echo "fuzz: no report (the fuzz tests did not finish)"
rm -f "$log"
exit "$status"
