//! A slot tagger learned from annotated examples (`slots` with character spans, as in SNIPS):
//! every token gets a BIO label (`B-artist`, `I-artist`, `O`) from the same burn-trained softmax
//! regression the intents use, over sparse context features (the word, its neighbours, affixes,
//! shape, the utterance's intent, and the previous token's label — trained on the true previous
//! labels, decoded left to right with a small beam that keeps the BIO order); spans are rebuilt
//! from the labels.
//! [`span_f1`] scores exact spans.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::classifier::{LinearClassifier, TrainOptions};
use crate::features::Vector;

/// One slot value in a text, by character offsets (end exclusive).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SlotSpan {
    pub slot: String,
    pub start: usize,
    pub end: usize,
    #[serde(default)]
    pub value: String,
}

/// Words, single CJK characters (Chinese and Japanese are written without spaces, so a value
/// may start or end inside a run of them) and single punctuation marks.
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    let cjk = words::cjk_class();
    Regex::new(&format!(r"[{cjk}]|[^\W{cjk}]+|[^\w\s]")).expect("a valid regex")
});

/// Label sequences the tagger's decoding keeps at each token.
const BEAM: usize = 4;

/// A token with its character span.
struct Token {
    lower: String,
    shape: String,
    start: usize,
    end: usize,
}

fn tokens(text: &str) -> Vec<Token> {
    let mut chars_before = 0;
    let mut last_byte = 0;
    TOKEN
        .find_iter(text)
        .map(|m| {
            chars_before += text[last_byte..m.start()].chars().count();
            let length = m.as_str().chars().count();
            let token = Token { lower: m.as_str().to_lowercase(), shape: shape(m.as_str()), start: chars_before, end: chars_before + length };
            chars_before += length;
            last_byte = m.end();
            token
        })
        .collect()
}

/// `Xx`, `x`, `X`, `d`, `.`: what kind of characters, runs collapsed.
fn shape(word: &str) -> String {
    let mut out = String::new();
    for c in word.chars() {
        let class = if c.is_uppercase() {
            'X'
        } else if c.is_lowercase() {
            'x'
        } else if c.is_numeric() {
            'd'
        } else {
            '.'
        };
        if !out.ends_with(class) {
            out.push(class);
        }
    }
    out
}

fn token_features(tokens: &[Token], i: usize, intent: &str, previous: &str) -> Vec<String> {
    let word = |offset: isize| -> &str {
        let j = i as isize + offset;
        if j < 0 { "<s>" } else { tokens.get(j as usize).map_or("</s>", |t| t.lower.as_str()) }
    };
    let shape_at = |offset: isize| -> &str {
        let j = i as isize + offset;
        if j < 0 { "<s>" } else { tokens.get(j as usize).map_or("</s>", |t| t.shape.as_str()) }
    };
    let w = &tokens[i].lower;
    let prefix: String = w.chars().take(3).collect();
    let suffix: String = w.chars().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect();
    vec![
        "bias".to_string(),
        format!("w={w}"),
        format!("w-1={}", word(-1)),
        format!("w+1={}", word(1)),
        format!("w-2={}", word(-2)),
        format!("w+2={}", word(2)),
        format!("w-1w={}|{w}", word(-1)),
        format!("ww+1={w}|{}", word(1)),
        format!("w-2w-1={}|{}", word(-2), word(-1)),
        format!("w+1w+2={}|{}", word(1), word(2)),
        format!("pre={prefix}"),
        format!("suf={suffix}"),
        format!("shape={}", tokens[i].shape),
        format!("shape-1={}|{}", shape_at(-1), tokens[i].shape),
        format!("shape+1={}|{}", tokens[i].shape, shape_at(1)),
        format!("pos={}", i.min(5)),
        format!("intent={intent}"),
        format!("intent={intent}|w={w}"),
        format!("prev={previous}"),
        format!("prev={previous}|w={w}"),
    ]
}

/// A trained tagger.
#[derive(Debug, Clone, PartialEq)]
pub struct SlotTagger {
    features: HashMap<String, u32>,
    labels: Vec<String>,
    classifier: LinearClassifier,
}

impl SlotTagger {
    /// Trains on (text, intent, slot spans); `None` when no example has a slot.
    pub fn train(examples: &[(&str, &str, &[SlotSpan])]) -> Option<Self> {
        let slot_names: BTreeSet<&str> = examples.iter().flat_map(|(_, _, spans)| spans.iter().map(|s| s.slot.as_str())).collect();
        if slot_names.is_empty() {
            return None;
        }
        let mut labels = vec!["O".to_string()];
        for name in &slot_names {
            labels.push(format!("B-{name}"));
            labels.push(format!("I-{name}"));
        }
        let label_id: HashMap<&str, usize> = labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
        let tokenized: Vec<Vec<Token>> = examples.iter().map(|(text, _, _)| tokens(text)).collect();
        let gold: Vec<Vec<String>> = tokenized.iter().zip(examples).map(|(toks, (_, _, spans))| bio_labels(toks, spans)).collect();
        // Feature vocabulary: features seen at least twice (once-seen ones cannot generalise).
        let mut counts: HashMap<String, usize> = HashMap::new();
        for ((toks, labels), (_, intent, _)) in tokenized.iter().zip(&gold).zip(examples) {
            for i in 0..toks.len() {
                for feature in token_features(toks, i, intent, previous(labels, i)) {
                    *counts.entry(feature).or_default() += 1;
                }
            }
        }
        let mut kept: Vec<String> = counts.into_iter().filter(|(_, n)| *n >= 2).map(|(f, _)| f).collect();
        kept.sort_unstable();
        let features: HashMap<String, u32> = kept.into_iter().enumerate().map(|(i, f)| (f, i as u32)).collect();
        let mut vectors = Vec::new();
        let mut targets = Vec::new();
        for ((toks, labels), (_, intent, _)) in tokenized.iter().zip(&gold).zip(examples) {
            for i in 0..toks.len() {
                vectors.push(vectorize(&features, token_features(toks, i, intent, previous(labels, i))));
                targets.push(label_id[labels[i].as_str()]);
            }
        }
        let options = TrainOptions { epochs: 20, min_steps: 400, batch_size: 256, learning_rate: 0.05, weight_decay: 0.0, seed: 11 };
        let classifier = LinearClassifier::train(&vectors, &targets, features.len(), labels.len(), &options);
        Some(Self { features, labels, classifier })
    }

    /// Feature vocabulary (in id order) and labels: what a saved model stores besides weights.
    pub(crate) fn parts(&self) -> (Vec<String>, &[String], &LinearClassifier) {
        let mut vocabulary = vec![String::new(); self.features.len()];
        for (feature, &id) in &self.features {
            vocabulary[id as usize] = feature.clone();
        }
        (vocabulary, &self.labels, &self.classifier)
    }

    pub(crate) fn from_parts(vocabulary: Vec<String>, labels: Vec<String>, classifier: LinearClassifier) -> Self {
        let features = vocabulary.into_iter().enumerate().map(|(id, f)| (f, id as u32)).collect();
        Self { features, labels, classifier }
    }

    /// The slot spans the tagger finds in `text`, an utterance of `intent`: punctuation at a
    /// span's edges is left out, and where a slot gets several spans the one the tagger is
    /// surest of (summed over its tokens, so a longer one wins a tie) is kept.
    pub fn tag(&self, text: &str, intent: &str) -> Vec<SlotSpan> {
        let toks = tokens(text);
        let chars: Vec<char> = text.chars().collect();
        // (span, its first and last token, summed probability)
        let mut spans: Vec<(SlotSpan, usize, usize, f32)> = Vec::new();
        for (i, (label, probability)) in self.decode(&toks, intent).into_iter().enumerate() {
            let (kind, slot) = self.labels[label].split_once('-').unwrap_or(("O", ""));
            match (kind, spans.last_mut()) {
                // An inside label (it always follows its own slot's) extends the open span.
                ("I", Some((_, _, last, score))) => {
                    *last = i;
                    *score += probability;
                }
                ("B", _) => spans.push((SlotSpan { slot: slot.to_string(), start: 0, end: 0, value: String::new() }, i, i, probability)),
                _ => {}
            }
        }
        let mut kept: Vec<(SlotSpan, f32)> = Vec::new();
        for (mut span, mut first, mut last, score) in spans {
            while first <= last && toks[first].shape == "." {
                first += 1;
            }
            while last > first && toks[last].shape == "." {
                last -= 1;
            }
            if first > last || toks[first].shape == "." {
                continue;
            }
            (span.start, span.end) = (toks[first].start, toks[last].end);
            span.value = chars[span.start..span.end].iter().collect();
            match kept.iter().position(|(k, _)| k.slot == span.slot) {
                Some(at) if kept[at].1 >= score => {}
                Some(at) => kept[at] = (span, score),
                None => kept.push((span, score)),
            }
        }
        kept.into_iter().map(|(span, _)| span).collect()
    }

    /// The likeliest label sequence (with each label's probability) that keeps the BIO order —
    /// an inside label only after its own slot's — found by a beam search over the sums of log
    /// probabilities: a greedy choice token by token leaves a span's first words out whenever
    /// they alone look like no value ("北京市朝阳区建国路88号" tagged "88").
    fn decode(&self, toks: &[Token], intent: &str) -> Vec<(usize, f32)> {
        // (labels with their probabilities, summed log probability)
        let mut beam: Vec<(Vec<(usize, f32)>, f32)> = vec![(Vec::new(), 0.0)];
        for i in 0..toks.len() {
            let mut next = Vec::with_capacity(beam.len() * self.labels.len());
            for (path, score) in &beam {
                let previous = path.last().map_or("<s>", |&(label, _)| self.labels[label].as_str());
                let features = token_features(toks, i, intent, previous);
                let probabilities = self.classifier.probabilities(&vectorize(&self.features, features));
                for (label, &probability) in probabilities.iter().enumerate().filter(|&(label, _)| self.may_follow(previous, label)) {
                    let mut path = path.clone();
                    path.push((label, probability));
                    next.push((path, score + probability.max(f32::MIN_POSITIVE).ln()));
                }
            }
            next.sort_by(|a, b| b.1.total_cmp(&a.1));
            next.truncate(BEAM);
            beam = next;
        }
        beam.into_iter().next().map(|(path, _)| path).unwrap_or_default()
    }

    /// Whether `label` may come after the label `previous`: an inside label only after the
    /// beginning or inside of its own slot.
    fn may_follow(&self, previous: &str, label: usize) -> bool {
        match self.labels[label].strip_prefix("I-") {
            Some(slot) => previous.split_once('-').is_some_and(|(_, p)| p == slot),
            None => true,
        }
    }
}

/// The BIO label of every token, from the spans.
fn bio_labels(toks: &[Token], spans: &[SlotSpan]) -> Vec<String> {
    toks.iter()
        .enumerate()
        .map(|(i, token)| match spans.iter().find(|s| token.start >= s.start && token.start < s.end) {
            Some(span) if toks[..i].iter().all(|t| t.start < span.start || t.start >= span.end) => format!("B-{}", span.slot),
            Some(span) => format!("I-{}", span.slot),
            None => "O".to_string(),
        })
        .collect()
}

fn previous(labels: &[String], i: usize) -> &str {
    if i == 0 { "<s>" } else { labels[i - 1].as_str() }
}

fn vectorize(vocabulary: &HashMap<String, u32>, features: Vec<String>) -> Vector {
    let mut ids: Vec<u32> = features.iter().filter_map(|f| vocabulary.get(f).copied()).collect();
    ids.sort_unstable();
    ids.dedup();
    let value = 1.0 / (ids.len().max(1) as f32).sqrt();
    ids.into_iter().map(|id| (id, value)).collect()
}

/// Micro-averaged F1 of exact spans (same slot, start and end) over all texts.
pub fn span_f1(gold: &[Vec<SlotSpan>], predicted: &[Vec<SlotSpan>]) -> f64 {
    let key = |s: &SlotSpan| (s.slot.clone(), s.start, s.end);
    let (mut hits, mut gold_total, mut predicted_total) = (0usize, 0usize, 0usize);
    for (g, p) in gold.iter().zip(predicted) {
        let g: BTreeSet<_> = g.iter().map(key).collect();
        let p: BTreeSet<_> = p.iter().map(key).collect();
        hits += g.intersection(&p).count();
        gold_total += g.len();
        predicted_total += p.len();
    }
    if hits == 0 {
        return 0.0;
    }
    let precision = hits as f64 / predicted_total as f64;
    let recall = hits as f64 / gold_total as f64;
    2.0 * precision * recall / (precision + recall)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(slot: &str, text: &str, value: &str) -> SlotSpan {
        let byte = text.find(value).unwrap();
        let start = text[..byte].chars().count();
        SlotSpan { slot: slot.into(), start, end: start + value.chars().count(), value: value.into() }
    }

    #[test]
    fn slots_are_learned_from_context_and_rebuilt_as_spans() {
        let cities = ["Paris", "Berlin", "New York", "Rome", "San Jose", "Lyon", "Oslo", "Kyoto"];
        let days = ["tomorrow", "friday", "monday", "tonight"];
        let mut data = Vec::new();
        for (i, city) in cities.iter().enumerate() {
            let day = days[i % days.len()];
            for template in ["book a table in {c} for {d}", "weather in {c} {d}", "is it raining in {c} {d} ?"] {
                let text = template.replace("{c}", city).replace("{d}", day);
                let spans = vec![span("city", &text, city), span("day", &text, day)];
                data.push((text, spans));
            }
        }
        let examples: Vec<(&str, &str, &[SlotSpan])> = data.iter().map(|(t, s)| (t.as_str(), "ask", s.as_slice())).collect();
        let tagger = SlotTagger::train(&examples).unwrap();
        let text = "book a table in Rome for tonight";
        assert_eq!(tagger.tag(text, "ask"), vec![span("city", text, "Rome"), span("day", text, "tonight")]);
        let gold: Vec<Vec<SlotSpan>> = data.iter().map(|(_, s)| s.clone()).collect();
        let predicted: Vec<Vec<SlotSpan>> = data.iter().map(|(t, _)| tagger.tag(t, "ask")).collect();
        assert!(span_f1(&gold, &predicted) > 0.95);
        assert!(SlotTagger::train(&[("no slots here", "ask", &[][..])]).is_none());
    }

    #[test]
    fn decoding_keeps_the_bio_order_and_finds_whole_values() {
        // Multi-word values after varied lead-ins: the first word of a value alone looks like
        // no value, so a token-by-token choice may start the span late.
        let places = ["12 Baker Street London", "5 Elm Road Leeds", "221 King Street Toronto", "88 Rue Rivoli Paris", "14 Birch Lane Portland"];
        let mut data = Vec::new();
        for (i, place) in places.iter().enumerate() {
            for template in ["send it to {p} please", "my new address is {p}", "deliver to {p}", "ship order 4410{i} to {p} instead"] {
                let text = template.replace("{p}", place).replace("{i}", &i.to_string());
                let spans = vec![span("address", &text, place)];
                data.push((text, spans));
            }
        }
        let examples: Vec<(&str, &str, &[SlotSpan])> = data.iter().map(|(t, s)| (t.as_str(), "move", s.as_slice())).collect();
        let tagger = SlotTagger::train(&examples).unwrap();
        for text in ["please send it to 9 Mill Street Oxford", "deliver to 3 Quay Road Bristol instead", "hello there"] {
            let labels: Vec<&str> = tagger.decode(&tokens(text), "move").into_iter().map(|(l, _)| tagger.labels[l].as_str()).collect();
            for (i, label) in labels.iter().enumerate().filter(|(_, l)| l.starts_with("I-")) {
                assert!(i > 0 && labels[i - 1][2..] == label[2..], "{text}: {labels:?}");
            }
        }
        let text = "please send it to 9 Mill Street Oxford";
        assert_eq!(tagger.tag(text, "move"), vec![span("address", text, "9 Mill Street Oxford")]);
    }

    #[test]
    fn span_f1_counts_exact_matches() {
        let a = SlotSpan { slot: "x".into(), start: 0, end: 2, value: String::new() };
        let b = SlotSpan { slot: "x".into(), start: 3, end: 5, value: String::new() };
        let shifted = SlotSpan { start: 1, ..a.clone() };
        assert_eq!(span_f1(&[vec![a.clone(), b.clone()]], &[vec![a.clone(), b.clone()]]), 1.0);
        assert!((span_f1(&[vec![a.clone(), b]], &[vec![a, shifted]]) - 0.5).abs() < 1e-12);
    }
}
