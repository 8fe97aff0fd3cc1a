#!/usr/bin/env bash
# A Python virtual environment with rasa-sdk 3.21.1 (Apache-2.0) from PyPI, for the test that
# runs a real Rasa action server against `deskbot serve --action-protocol rasa`
# (crates/cli/tests/serve.rs). It lives in ${XDG_CACHE_HOME:-~/.cache}/deskbot/rasa-sdk-3.21.1
# and its python path is printed. Safe to run again: a working environment is kept.
set -euo pipefail
version=3.21.1
dir="${XDG_CACHE_HOME:-$HOME/.cache}/deskbot/rasa-sdk-$version"
if "$dir/bin/python" -c "import rasa_sdk" >/dev/null 2>&1; then
  echo "$dir/bin/python"
  exit 0
fi
command -v python3 >/dev/null || { echo "fetch_rasa_sdk: python3 (with venv and pip) is needed" >&2; exit 1; }
echo "fetch_rasa_sdk: installing rasa-sdk==$version from PyPI into $dir" >&2
rm -rf "$dir"
python3 -m venv "$dir" >&2
"$dir/bin/python" -m pip install -q --disable-pip-version-check "rasa-sdk==$version" >&2
echo "$dir/bin/python"
