"""Writes the tiny GPT-2 fixture that crates/gpt2's reference tests compare against.

A byte-level BPE tokenizer trained on a few lines, a 2-layer GPT-2 with *every* weight random
(LayerNorm scales and biases too, so a name mix-up cannot hide), saved with
`save_pretrained` exactly as Hugging Face saves real checkpoints, and `reference.json` holding
what `transformers` computes with it: token ids, logits, greedy and beam continuations,
continuation log-probabilities and mean-pooled embeddings.

Run through tools/reference/make_gpt2_fixture.sh (it brings torch + transformers).
"""
import json
import sys
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
torch.manual_seed(1234)

corpus = [
    "Hello world, I'd like a refund for order #12345.",
    "Where is my order? It was due on Monday.",
    "Please submit contract C-2024-001 for approval, amount $4,000.00.",
    "我想查询我的订单。退款需要多久？",
    "Thanks! 🙂 Have a nice day.",
    "Can I talk to a human agent please",
]
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
tok.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(
    vocab_size=400, min_frequency=1, special_tokens=["<|endoftext|>"],
    initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
tok.train_from_iterator(corpus * 4, trainer)
eos = tok.token_to_id("<|endoftext|>")
tok.save(str(out / "tokenizer.json"))
tok.model.save(str(out))  # vocab.json + merges.txt

config = GPT2Config(vocab_size=tok.get_vocab_size(), n_positions=64, n_embd=32, n_layer=2, n_head=4,
                    bos_token_id=eos, eos_token_id=eos, attn_implementation="eager")
model = GPT2LMHeadModel(config).eval()
with torch.no_grad():
    for name, p in model.named_parameters():
        if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
            p.copy_(1.0 + 0.3 * torch.randn_like(p))
        else:
            p.copy_(0.2 * torch.randn_like(p))
model.save_pretrained(out, safe_serialization=True)

texts = [
    "Hello world, I'd like a refund for order #12345.",
    "我想查询订单 🙂",
    "Where is",
]
ref = {"eos_token_id": eos, "texts": [], "greedy": [], "beam": [], "scores": [], "embeddings": []}
with torch.no_grad():
    for text in texts:
        ids = tok.encode(text).ids
        logits = model(torch.tensor([ids])).logits[0]
        ref["texts"].append({"text": text, "ids": ids, "logits": logits.tolist()})

    prompt = tok.encode("Where is my").ids
    for max_new in (20,):
        g = model.generate(torch.tensor([prompt]), max_new_tokens=max_new, do_sample=False,
                           pad_token_id=eos, eos_token_id=eos)
        ref["greedy"].append({"prompt_ids": prompt, "max_new_tokens": max_new, "ids": g[0, len(prompt):].tolist()})
    b = model.generate(torch.tensor([prompt]), max_new_tokens=8, do_sample=False, num_beams=3,
                       length_penalty=1.0, early_stopping=False, pad_token_id=eos, eos_token_id=eos)
    ref["beam"].append({"prompt_ids": prompt, "max_new_tokens": 8, "num_beams": 3, "length_penalty": 1.0,
                        "ids": b[0, len(prompt):].tolist()})

    context = tok.encode("Where is my").ids
    for cand in [" order?", " refund", "退款"]:
        cand_ids = tok.encode(cand).ids
        full = torch.tensor([context + cand_ids])
        logp = torch.log_softmax(model(full).logits[0], dim=-1)
        total = sum(logp[len(context) - 1 + i, t].item() for i, t in enumerate(cand_ids))
        ref["scores"].append({"context_ids": context, "candidate_ids": cand_ids, "logprob": total})

    for text in texts:
        ids = tok.encode(text).ids
        hidden = model.transformer(torch.tensor([ids])).last_hidden_state[0]
        ref["embeddings"].append({"ids": ids, "mean": hidden.mean(dim=0).tolist()})

(out / "reference.json").write_text(json.dumps(ref))
print(f"wrote {out}: vocab {config.vocab_size}, eos {eos}, greedy {ref['greedy'][0]['ids']}, beam {ref['beam'][0]['ids']}")
