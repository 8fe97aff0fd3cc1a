#!/usr/bin/env bash
# Regenerates crates/encoder/tests/fixtures/tiny-xlmr with PyTorch + transformers.
# Not needed to run the tests: the fixture is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=$("$root/tools/reference/venv.sh")
"$python" "$root/tools/reference/make_encoder_fixture.py" "$root/crates/encoder/tests/fixtures/tiny-xlmr"
