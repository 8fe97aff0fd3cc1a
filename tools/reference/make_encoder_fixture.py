"""A tiny random XLM-RoBERTa in Hugging Face layout, and what transformers computes with it.

Writes to the directory named on the command line: config.json and model.safetensors
(transformers' save_pretrained), tokenizer.json (a small SentencePiece-style Unigram trained
here), and reference.json: for each text, the token ids of "query: " + text and the mean-pooled,
L2-normalised final hidden states. deskbot's encoder must load the directory unchanged and agree
to 1e-4; a text longer than the window is cut as deskbot cuts it. Run by make_encoder_fixture.sh.
"""
import json
import os
import sys

import torch
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram
from tokenizers.trainers import UnigramTrainer
from transformers import XLMRobertaConfig, XLMRobertaModel

CORPUS = [
    "where is my order", "I want a refund for my order", "the parcel never arrived",
    "change the delivery address please", "submit an expense for the team lunch",
    "the contract with Northwind is worth twelve thousand", "can I talk to a person",
    "thanks, that is all", "query: hello world", "我的包裹还没到", "我要退款", "Café crème",
]
TEXTS = ["where is my order?", "I want a refund", "我的包裹还没到", "Café", "", "an unseen word: zebra 🦓",
         "where is my order? " * 12,
         "the contract with Northwind is worth twelve thousand and the parcel never arrived"]


def tokenizer():
    tok = Tokenizer(Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = UnigramTrainer(vocab_size=120, special_tokens=["<s>", "<pad>", "</s>", "<unk>"], unk_token="<unk>")
    tok.train_from_iterator(CORPUS * 20, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    return tok


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(7)
    tok = tokenizer()
    tok.save(os.path.join(out, "tokenizer.json"))
    config = XLMRobertaConfig(vocab_size=tok.get_vocab_size(), hidden_size=32, num_hidden_layers=2,
                              num_attention_heads=4, intermediate_size=64, max_position_embeddings=40,
                              type_vocab_size=1, pad_token_id=1, bos_token_id=0, eos_token_id=2)
    model = XLMRobertaModel(config).eval()
    model.save_pretrained(out, safe_serialization=True)
    cases = []
    with torch.no_grad():
        for text in TEXTS:
            ids = tok.encode("query: " + text).ids
            window = config.max_position_embeddings - config.pad_token_id - 1
            if len(ids) > window:  # deskbot keeps the start and the closing </s>
                ids = ids[: window - 1] + ids[-1:]
            hidden = model(input_ids=torch.tensor([ids])).last_hidden_state[0]
            vector = torch.nn.functional.normalize(hidden.mean(0), dim=0)
            cases.append({"text": text, "ids": ids, "vector": [round(float(x), 7) for x in vector]})
    with open(os.path.join(out, "reference.json"), "w", encoding="utf-8") as f:
        f.write('{"cases": [\n' + ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n]}\n")


if __name__ == "__main__":
    main(sys.argv[1])
