#!/usr/bin/env bash
# Regenerates crates/gpt2/tests/fixtures/tiny-gpt2 (checkpoint + reference outputs) with
# PyTorch + Hugging Face transformers. Not needed to run the tests: the fixture is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=$("$root/tools/reference/venv.sh")
"$python" "$root/tools/reference/make_gpt2_fixture.py" "$root/crates/gpt2/tests/fixtures/tiny-gpt2"
