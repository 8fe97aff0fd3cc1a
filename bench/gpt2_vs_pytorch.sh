#!/usr/bin/env bash
# deskbot's GPT-2 against Hugging Face transformers (PyTorch, 2 threads) on the same shape, in
# one run, one after the other on a quiet machine. Prints a table with the ratio to PyTorch.
#   bench/gpt2_vs_pytorch.sh [--preset gpt2] [--prompt-len 128] [--new-tokens 128] [--batch 1] [--backends "cpu wgpu"]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
preset=gpt2 prompt=128 new=128 batch=1 backends="cpu wgpu"
while [ $# -gt 0 ]; do
  case $1 in
    --preset) preset=$2; shift 2 ;;
    --prompt-len) prompt=$2; shift 2 ;;
    --new-tokens) new=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --backends) backends=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
python=$("$root/tools/reference/venv.sh")
cargo build --release --quiet --bin deskbot --manifest-path "$root/Cargo.toml"
deskbot="$root/target/release/deskbot"
args=(--preset "$preset" --prompt-len "$prompt" --new-tokens "$new" --batch "$batch")

torch_json=$("$python" "$root/bench/hf_gpt2_bench.py" "${args[@]}" --threads 2)
rows=()
for b in $backends; do
  rows+=("$("$deskbot" bench gpt2 "${args[@]}" --backend "$b" --json)")
  # On the CPU, the host decode kernel in bf16 and burn's own gemm beside it, in the same run.
  if [ "$b" = cpu ]; then
    rows+=("$("$deskbot" bench gpt2 "${args[@]}" --backend cpu --host-precision bf16 --json)")
    rows+=("$("$deskbot" bench gpt2 "${args[@]}" --backend cpu --burn-decode --json)")
  fi
done
"$python" - "$torch_json" "${rows[@]}" <<'PY'
import json, sys
torch = json.loads(sys.argv[1])
print(f"{'engine':<44}{'prefill tok/s':>14}{'decode tok/s':>14}{'ms/token':>10}{'RSS MB':>8}{'decode vs torch':>17}")
def row(name, r):
    ratio = r["decode_tok_s"] / torch["decode_tok_s"]
    print(f"{name:<44}{r['prefill_tok_s']:>14.1f}{r['decode_tok_s']:>14.1f}{r['ms_per_token']:>10.2f}{r['peak_rss_mb']:>8.0f}{ratio:>16.2f}x")
row(torch["peer"], torch)
for text in sys.argv[2:]:
    r = json.loads(text)
    row("deskbot " + r["backend"], r)
PY
