#!/usr/bin/env bash
# Creates (once) the Python environment that the reference scripts need: PyTorch + Hugging Face
# transformers from PyPI, in ./.venv-ref at the repository root (git-ignored). Prints its python.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.venv-ref"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import torch, transformers, safetensors' 2>/dev/null; then
  echo "setting up $venv (torch, transformers, safetensors; a few GB the first time)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >&2
  "$venv/bin/pip" install -q "torch==2.15.*" "transformers==5.*" "safetensors>=0.4" "numpy" >&2
fi
echo "$venv/bin/python"
