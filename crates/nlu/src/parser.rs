//! The trained recognizer: intent by a burn-trained classifier checked against intent centroids, plus entities.

use chrono::NaiveDate;
use regex::Regex;
use serde::Serialize;

use crate::domain::NluDomain;
use crate::entities::{Entity, EntityExtractor};
use crate::classifier::{LinearClassifier, TrainOptions};
use crate::features::{Featurizer, Vector, cosine};
use crate::segments::{char_offset, skip_connectives, split_points};
use crate::slots::SlotTagger;

/// The intent name given to utterances the domain does not cover.
pub const OUT_OF_SCOPE: &str = "out_of_scope";

/// CLINC150's name for its out-of-scope examples: learned as a class, reported as [`OUT_OF_SCOPE`].
const OOS_INTENT: &str = "oos";

/// Longest utterance the recognizer reads, in characters; the rest is ignored (but the caller
/// keeps the whole text).
const MAX_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntentScore {
    pub name: String,
    pub confidence: f32,
}

/// One of the requests in an utterance, with its character span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntentSpan {
    pub name: String,
    pub confidence: f32,
    pub start: usize,
    pub end: usize,
}

/// What [`Parser::parse`] found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParseResult {
    pub text: String,
    pub intent: IntentScore,
    /// Every intent, best first.
    pub ranking: Vec<IntentScore>,
    pub entities: Vec<Entity>,
    /// Every request in the utterance, in order: one span for the whole text, or several
    /// when it joins requests ("where is my order and can I change my address").
    pub intents: Vec<IntentSpan>,
}

/// A recognizer trained on a domain's examples.
pub struct Parser {
    /// The domain it was trained on (saved with the model; entities and patterns come from it).
    pub(crate) domain: NluDomain,
    pub(crate) featurizer: Featurizer,
    pub(crate) classifier: LinearClassifier,
    /// Slots learned from annotated examples (`train nlu --data` with `slots`), if any.
    pub(crate) slot_tagger: Option<SlotTagger>,
    /// Per intent, the normalised mean of its examples' vectors.
    pub(crate) centroids: Vec<Vector>,
    intents: Vec<String>,
    patterns: Vec<(usize, Regex)>,
    extractor: EntityExtractor,
    oos_threshold: f32,
    today: Option<NaiveDate>,
}

impl Parser {
    /// Trains on the domain's examples (entity values masked).
    pub fn train(domain: &NluDomain) -> Self {
        let extractor = EntityExtractor::new(domain);
        let today = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
        let intents: Vec<String> = domain.intents.keys().cloned().collect();
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for (index, (_, def)) in domain.intents.iter().enumerate() {
            for example in &def.examples {
                let entities = extractor.extract(example, today);
                texts.push(extractor.mask(example, &entities));
                labels.push(index);
            }
        }
        let featurizer = Featurizer::fit(&texts);
        let vectors: Vec<Vector> = texts.iter().map(|t| featurizer.transform(t)).collect();
        let classifier = LinearClassifier::train(&vectors, &labels, featurizer.len(), intents.len(), &TrainOptions::default());
        let centroids = centroids(&vectors, &labels, intents.len());
        Self::assemble(domain.clone(), featurizer, classifier, centroids)
    }

    /// A parser from its learned parts and the domain they were learned from.
    pub(crate) fn assemble(domain: NluDomain, featurizer: Featurizer, classifier: LinearClassifier, centroids: Vec<Vector>) -> Self {
        let patterns = domain
            .intents
            .values()
            .enumerate()
            .flat_map(|(index, def)| def.patterns.iter().map(move |p| (index, Regex::new(p).expect("validated when loaded"))))
            .collect();
        Self {
            extractor: EntityExtractor::new(&domain),
            intents: domain.intents.keys().cloned().collect(),
            oos_threshold: domain.oos_threshold,
            patterns,
            featurizer,
            classifier,
            slot_tagger: None,
            centroids,
            today: None,
            domain,
        }
    }

    /// Adds a slot tagger: its spans join the entities (extractor `tagger`).
    pub fn with_slot_tagger(mut self, tagger: Option<SlotTagger>) -> Self {
        self.slot_tagger = tagger;
        self
    }

    /// Fixes "today" for relative dates (tests, replays); otherwise the local date is used.
    pub fn with_today(mut self, today: NaiveDate) -> Self {
        self.today = Some(today);
        self
    }

    pub fn intents(&self) -> &[String] {
        &self.intents
    }

    pub fn parse(&self, text: &str) -> ParseResult {
        let today = self.today.unwrap_or_else(|| chrono::Local::now().date_naive());
        let read: String = text.chars().take(MAX_CHARS).collect();
        let mut entities = self.extractor.extract(&read, today);
        let ranking = self.rank(&read, &entities);
        let intent = self.decide(ranking.first());
        if let Some(tagger) = &self.slot_tagger {
            entities.extend(tagger.tag(&read, &intent.name).into_iter().map(|span| Entity {
                entity: span.slot,
                normalized: serde_json::Value::String(span.value.clone()),
                value: span.value,
                start: span.start,
                end: span.end,
                extractor: "tagger".into(),
            }));
        }
        let intents = self.requests(&read, &intent, today);
        ParseResult { text: text.to_string(), intent, ranking, entities, intents }
    }

    /// Every intent with its confidence, best first.
    fn rank(&self, read: &str, entities: &[Entity]) -> Vec<IntentScore> {
        let mut scores = vec![0.0f32; self.intents.len()];
        if let Some((index, _)) = self.patterns.iter().find(|(_, p)| p.is_match(read)) {
            scores[*index] = 1.0;
        } else {
            let vector = self.featurizer.transform(&self.extractor.mask(read, entities));
            // The classifier separates intents well but is confident even far from anything it
            // was trained on; the similarity to each intent's centroid says how close the text
            // is. Their geometric mean is the confidence.
            let probabilities = self.classifier.probabilities(&vector);
            scores = probabilities.iter().zip(&self.centroids).map(|(p, c)| (p * cosine(&vector, c).max(0.0)).sqrt()).collect();
        }
        let mut ranking: Vec<IntentScore> =
            self.intents.iter().zip(&scores).map(|(name, &confidence)| IntentScore { name: name.clone(), confidence }).collect();
        ranking.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(a.name.cmp(&b.name)));
        ranking
    }

    /// The intent to act on: the best one, unless it is out of scope or below the threshold.
    fn decide(&self, best: Option<&IntentScore>) -> IntentScore {
        match best {
            Some(best) if best.name == OOS_INTENT => IntentScore { name: OUT_OF_SCOPE.into(), confidence: best.confidence },
            Some(best) if best.confidence >= self.oos_threshold => best.clone(),
            best => IntentScore { name: OUT_OF_SCOPE.into(), confidence: 1.0 - best.map_or(0.0, |b| b.confidence) },
        }
    }

    /// The requests in `read`: split at a connective when both sides are confidently
    /// different in-scope intents (left to right, greedily).
    fn requests(&self, read: &str, whole: &IntentScore, today: NaiveDate) -> Vec<IntentSpan> {
        let classify = |part: &str| self.decide(self.rank(part, &self.extractor.extract(part, today)).first());
        let in_scope = |i: &IntentScore| i.name != OUT_OF_SCOPE;
        let mut spans = Vec::new();
        let mut start = 0;
        for (left_end, right_start) in split_points(read) {
            if left_end <= start {
                continue;
            }
            let right_start = skip_connectives(read, right_start);
            let (left, right) = (classify(&read[start..left_end]), classify(&read[right_start..]));
            if in_scope(&left) && in_scope(&right) && left.name != right.name {
                spans.push(IntentSpan { name: left.name, confidence: left.confidence, start: char_offset(read, start), end: char_offset(read, left_end) });
                start = right_start;
            }
        }
        if spans.is_empty() {
            return vec![IntentSpan { name: whole.name.clone(), confidence: whole.confidence, start: 0, end: read.chars().count() }];
        }
        let last = classify(&read[start..]);
        spans.push(IntentSpan { name: last.name, confidence: last.confidence, start: char_offset(read, start), end: read.chars().count() });
        spans
    }
}

/// The normalised mean vector of each label's examples.
fn centroids(vectors: &[Vector], labels: &[usize], classes: usize) -> Vec<Vector> {
    let mut sums: Vec<std::collections::BTreeMap<u32, f32>> = vec![Default::default(); classes];
    for (vector, &label) in vectors.iter().zip(labels) {
        for &(id, value) in vector {
            *sums[label].entry(id).or_default() += value;
        }
    }
    sums.into_iter()
        .map(|sum| {
            let norm = sum.values().map(|v| v * v).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
            sum.into_iter().map(|(id, v)| (id, v / norm)).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn bundled() -> Parser {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../intents/nlu.ron");
        Parser::train(&NluDomain::load(&path).unwrap())
    }

    fn requests(parser: &Parser, text: &str) -> Vec<(String, String)> {
        let chars: Vec<char> = text.chars().collect();
        parser.parse(text).intents.iter().map(|i| (i.name.clone(), chars[i.start..i.end].iter().collect())).collect()
    }

    #[test]
    fn joined_requests_come_back_in_order_with_their_spans() {
        let parser = bundled();
        let pair = |a: &str, b: &str, c: &str, d: &str| vec![(a.to_string(), b.to_string()), (c.to_string(), d.to_string())];
        assert_eq!(
            requests(&parser, "where is my order and can I change my address"),
            pair("order_status", "where is my order", "change_address", "can I change my address")
        );
        assert_eq!(
            requests(&parser, "I want a refund, and also where is my order 12345"),
            pair("request_refund", "I want a refund", "order_status", "where is my order 12345")
        );
        assert_eq!(requests(&parser, "我的订单到哪了，还有我要退款"), pair("order_status", "我的订单到哪了", "request_refund", "我要退款"));
        // One request: one span over the whole text, even with "and" inside.
        assert_eq!(requests(&parser, "i want to return this and get my money back").len(), 1);
        let text = "refund order 12345 and ship it back";
        let single = parser.parse(text);
        assert_eq!(single.intents.len(), 1);
        assert_eq!((single.intents[0].start, single.intents[0].end), (0, text.chars().count()));
    }

    #[test]
    fn empty_huge_emoji_and_chinese_inputs_parse() {
        let parser = bundled();
        for text in ["", "🙂🙂🙂", "我要退款", &"where is my order ".repeat(6000)] {
            let result = parser.parse(text);
            assert_eq!(result.text, text);
            assert!(!result.intents.is_empty());
        }
    }
}
