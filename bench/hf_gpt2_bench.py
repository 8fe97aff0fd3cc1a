"""The PyTorch peer for `deskbot bench gpt2`: the same shape, random weights, the same loop
(prefill the prompt, then greedy decoding one token at a time through the KV cache, logits read
each step). Prints one JSON object. Run through bench/gpt2_vs_pytorch.sh."""
import argparse
import json
import resource
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel

p = argparse.ArgumentParser()
p.add_argument("--preset", default="gpt2", choices=["tiny", "gpt2"])
p.add_argument("--prompt-len", type=int, default=128)
p.add_argument("--new-tokens", type=int, default=128)
p.add_argument("--batch", type=int, default=1)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
shape = dict(n_positions=1024, n_embd=768, n_layer=12, n_head=12) if a.preset == "gpt2" else dict(n_positions=256, n_embd=64, n_layer=2, n_head=4)
model = GPT2LMHeadModel(GPT2Config(vocab_size=50257, attn_implementation="sdpa", **shape)).eval()
prompt = torch.randint(0, 50257, (a.batch, a.prompt_len))


def run(steps):
    with torch.inference_mode():
        t0 = time.perf_counter()
        out = model(prompt, use_cache=True)
        past, nxt = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
        prefill = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(steps):
            out = model(nxt, past_key_values=past, use_cache=True)
            past, nxt = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
        return prefill, time.perf_counter() - t0


run(4)  # warm-up
prefill, decode = run(a.new_tokens)
print(json.dumps({
    "peer": f"transformers + torch {torch.__version__}, {a.threads} threads",
    "prefill_tok_s": a.batch * a.prompt_len / prefill,
    "decode_tok_s": a.batch * a.new_tokens / decode,
    "ms_per_token": decode * 1e3 / a.new_tokens,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
