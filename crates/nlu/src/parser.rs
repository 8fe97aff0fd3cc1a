//! The trained recognizer: intent by a burn-trained classifier checked against intent centroids, plus entities.

use std::sync::Arc;

use chrono::NaiveDate;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::calibration::Calibration;
use crate::domain::{NluDomain, NluError};
use crate::encoder::SentenceEncoder;
use crate::entities::{Entity, EntityExtractor, Reading};
use crate::held_out::{self, WeightTrial};
use crate::scorer::Scorer;
use crate::segments::{char_offset, formula_line, negated, skip_connectives, split_points};
use crate::slots::{SlotSpan, SlotTagger};

/// The intent name given to utterances the domain does not cover.
pub const OUT_OF_SCOPE: &str = "out_of_scope";

/// CLINC150's name for its out-of-scope examples: learned as a class, reported as [`OUT_OF_SCOPE`].
const OOS_INTENT: &str = "oos";

/// Longest utterance the recognizer reads, in characters; the rest is ignored (but the caller
/// keeps the whole text).
const MAX_CHARS: usize = 2000;

/// A message is split into several requests only when each part is at least this likely to be
/// its intent: a detail such as "due 2026-12-20" can reach the out-of-scope threshold on its own
/// (0.65 for `request_leave` in the bundled domain) while real requests score 0.83 and more.
const SPLIT_CONFIDENCE: f32 = 0.8;

/// The most words a last part opening with a negation ("not reject", "not the contract one")
/// may have to be read as what was not asked for.
const NEGATED_WORDS: usize = 4;

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

/// A language model's sentence features as training weighed them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderChoice {
    /// The encoder's fingerprint ([`SentenceEncoder::fingerprint`]).
    pub fingerprint: String,
    /// The weight chosen (0: the features did not help, and parsing does not run the encoder).
    pub weight: f32,
    /// Every weight tried, with its held-out top-intent accuracy.
    pub trials: Vec<WeightTrial>,
}

/// A recognizer trained on a domain's examples.
#[derive(Clone)]
pub struct Parser {
    /// The domain it was trained on (saved with the model; entities and patterns come from it).
    pub(crate) domain: NluDomain,
    pub(crate) scorer: Scorer,
    pub(crate) calibration: Calibration,
    /// How a sentence encoder was weighed, when one was offered.
    pub(crate) encoder_choice: Option<EncoderChoice>,
    /// The encoder, kept only when its features are used.
    pub(crate) encoder: Option<Arc<dyn SentenceEncoder>>,
    /// Slots learned from annotated examples (`train nlu --data` with `slots`), if any.
    pub(crate) slot_tagger: Option<SlotTagger>,
    intents: Vec<String>,
    patterns: Vec<(usize, Regex)>,
    extractor: EntityExtractor,
    oos_threshold: f32,
    today: Option<NaiveDate>,
}

impl Parser {
    /// Trains on the domain's examples (entity values masked), on n-gram features alone.
    pub fn train(domain: &NluDomain) -> Self {
        let (texts, labels) = Self::training_texts(domain);
        let trained = held_out::train(&texts, None, &labels, domain.intents.len(), 7);
        Self::assemble(domain.clone(), trained.scorer, trained.calibration).with_slot_tagger(Self::domain_tagger(domain))
    }

    /// A slot tagger learned from the slot values the domain's examples mark, trained on every
    /// example (an unmarked one teaches where no value is); `None` when nothing is marked.
    fn domain_tagger(domain: &NluDomain) -> Option<SlotTagger> {
        let annotated: Vec<(String, &str, Vec<SlotSpan>)> =
            domain.intents.iter().flat_map(|(intent, def)| def.annotated().map(move |(text, spans)| (text, intent.as_str(), spans))).collect();
        let examples: Vec<(&str, &str, &[SlotSpan])> =
            annotated.iter().map(|(text, intent, spans)| (text.as_str(), *intent, spans.as_slice())).collect();
        SlotTagger::train(&examples)
    }

    /// Trains with `encoder`'s sentence features, when given, offered beside the n-grams at the
    /// weight the held-out folds favour ([`crate::held_out`]; 0 when they do not help). Fails
    /// only if the encoder fails on an example.
    pub fn train_with(domain: &NluDomain, encoder: Option<Arc<dyn SentenceEncoder>>) -> Result<Self, NluError> {
        let Some(encoder) = encoder else { return Ok(Self::train(domain)) };
        let (texts, labels) = Self::training_texts(domain);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let embeddings = encoder.encode(&refs).map_err(|message| NluError::Encoder { message })?;
        if embeddings.len() != texts.len() {
            return Err(NluError::Encoder { message: format!("{} vectors for {} examples", embeddings.len(), texts.len()) });
        }
        let trained = held_out::train(&texts, Some(&embeddings), &labels, domain.intents.len(), 7);
        let weight = trained.scorer.dense.as_ref().map_or(0.0, |d| d.weight);
        let choice = EncoderChoice { fingerprint: encoder.fingerprint(), weight, trials: trained.trials };
        Ok(Self::assemble(domain.clone(), trained.scorer, trained.calibration)
            .with_encoder(Some(choice), Some(encoder))
            .with_slot_tagger(Self::domain_tagger(domain)))
    }

    /// The masked example texts and their intent indices.
    fn training_texts(domain: &NluDomain) -> (Vec<String>, Vec<usize>) {
        let extractor = EntityExtractor::new(domain);
        let today = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for (index, (_, def)) in domain.intents.iter().enumerate() {
            for example in def.plain_examples() {
                let entities = extractor.extract(&example, today);
                texts.push(extractor.mask(&example, &entities));
                labels.push(index);
            }
        }
        (texts, labels)
    }

    /// Records how an encoder was weighed, keeping the encoder only if its features are used.
    pub(crate) fn with_encoder(mut self, choice: Option<EncoderChoice>, encoder: Option<Arc<dyn SentenceEncoder>>) -> Self {
        self.encoder = encoder.filter(|_| self.scorer.dense.is_some());
        self.encoder_choice = choice;
        self
    }

    /// A parser from its learned parts and the domain they were learned from.
    pub(crate) fn assemble(domain: NluDomain, scorer: Scorer, calibration: Calibration) -> Self {
        let patterns = domain
            .intents
            .values()
            .enumerate()
            .flat_map(|(index, def)| def.patterns.iter().filter_map(move |p| Some((index, Regex::new(p).ok()?))))
            .collect();
        Self {
            extractor: EntityExtractor::new(&domain),
            intents: domain.intents.keys().cloned().collect(),
            oos_threshold: domain.oos_threshold,
            patterns,
            scorer,
            calibration,
            encoder_choice: None,
            encoder: None,
            slot_tagger: None,
            today: None,
            domain,
        }
    }

    /// Adds a slot tagger: its spans join the entities (extractor `tagger`).
    pub fn with_slot_tagger(mut self, tagger: Option<SlotTagger>) -> Self {
        self.slot_tagger = tagger;
        self
    }

    /// Whether slot values are tagged (the domain's examples mark some, or a tagger was added).
    pub fn has_slot_tagger(&self) -> bool {
        self.slot_tagger.is_some()
    }

    /// Fixes "today" for relative dates (tests, replays); otherwise the local date is used.
    pub fn with_today(mut self, today: NaiveDate) -> Self {
        self.today = Some(today);
        self
    }

    /// How raw scores become confidences, and what the held-out examples said.
    pub fn calibration(&self) -> &Calibration {
        &self.calibration
    }

    /// How a sentence encoder's features were weighed, if one was offered in training.
    pub fn encoder_choice(&self) -> Option<&EncoderChoice> {
        self.encoder_choice.as_ref()
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
        let Some(tagger) = &self.slot_tagger else {
            let intents = self.requests(&read, &intent, &entities, today);
            let intent = after_lead_in(intent, &intents);
            crate::repair::drop_repaired(&read, &mut entities);
            return ParseResult { text: text.to_string(), intent, ranking, entities, intents };
        };
        // Tagged as the message's intent first (a tagged value is never split into requests),
        // then each further request of another intent as that request, where nothing is
        // tagged yet ("never mind, I want to complain - the driver was rude": a complaint's
        // text, which the cancel the message starts with does not hold).
        join_tagged(&mut entities, tagger.tag(&read, &intent.name));
        let intents = self.requests(&read, &intent, &entities, today);
        let chars: Vec<char> = read.chars().collect();
        for request in intents.iter().filter(|r| r.name != intent.name) {
            let part: String = chars[request.start.min(chars.len())..request.end.min(chars.len())].iter().collect();
            let shift = |span: SlotSpan| SlotSpan { start: span.start + request.start, end: span.end + request.start, ..span };
            let fresh: Vec<SlotSpan> = tagger
                .tag(&part, &request.name)
                .into_iter()
                .map(shift)
                .filter(|span| !entities.iter().any(|e| e.extractor == "tagger" && e.start < span.end && span.start < e.end))
                .collect();
            join_tagged(&mut entities, fresh);
        }
        let intent = after_lead_in(intent, &intents);
        crate::repair::drop_repaired(&read, &mut entities);
        ParseResult { text: text.to_string(), intent, ranking, entities, intents }
    }

    /// Every intent with its (calibrated) confidence, best first; a matching pattern gives 1.
    fn rank(&self, read: &str, entities: &[Entity]) -> Vec<IntentScore> {
        let (raw, confidences) = match self.patterns.iter().find(|(_, p)| p.is_match(read)) {
            Some((index, _)) => {
                let one_hot: Vec<f32> = (0..self.intents.len()).map(|i| if i == *index { 1.0 } else { 0.0 }).collect();
                (one_hot.clone(), one_hot)
            }
            None => {
                let masked = self.extractor.mask(read, entities);
                let raw = self.scorer.scores(&masked, self.embedding(&masked).as_deref());
                let confidences = self.calibration.confidences(&raw);
                (raw, confidences)
            }
        };
        // Ordered by raw score: an alternative's confidence may be capped at the top's.
        let mut order: Vec<usize> = (0..self.intents.len()).collect();
        order.sort_by(|&a, &b| raw[b].total_cmp(&raw[a]).then(self.intents[a].cmp(&self.intents[b])));
        order.into_iter().map(|i| IntentScore { name: self.intents[i].clone(), confidence: confidences[i] }).collect()
    }

    /// The text's sentence features, when the scorer uses them; `None` if the encoder fails
    /// on it (the scorer then reads the n-grams alone).
    fn embedding(&self, masked: &str) -> Option<Vec<f32>> {
        self.encoder.as_ref()?.encode(&[masked]).ok()?.pop()
    }

    /// The intent to act on: the best one, unless it is out of scope or below the threshold.
    fn decide(&self, best: Option<&IntentScore>) -> IntentScore {
        match best {
            Some(best) if best.name == OOS_INTENT => IntentScore { name: OUT_OF_SCOPE.into(), confidence: best.confidence },
            Some(best) if best.confidence >= self.oos_threshold => best.clone(),
            best => IntentScore { name: OUT_OF_SCOPE.into(), confidence: 1.0 - best.map_or(0.0, |b| b.confidence) },
        }
    }

    /// The requests in `read`: split at a connective when both sides are different in-scope
    /// intents, each at [`SPLIT_CONFIDENCE`] or more (left to right, greedily). Words that
    /// are no request of their own belong to a request beside them: to the one before, or, at
    /// the start of a message, to the one after where that reads surer than the message whole
    /// ("this is ridiculous, get me a manager").
    fn requests(&self, read: &str, whole: &IntentScore, entities: &[Entity], today: NaiveDate) -> Vec<IntentSpan> {
        let classify = |part: &str| self.decide(self.rank(part, &self.extractor.extract(part, today)).first());
        let request = |i: &IntentScore| i.name != OUT_OF_SCOPE && i.confidence >= SPLIT_CONFIDENCE;
        // A last part that opens with a negation was not asked for: "I meant to approve it, not
        // reject" is read up to its comma ("no, not the refund, where is my order" is not cut),
        // where it is a few words, no more ("sorry, not feeling great — I need sick leave
        // starting tomorrow" is not cut).
        let mut points = split_points(read);
        let short = |part: &str| words::spans(part).len() <= NEGATED_WORDS;
        let negation = points.last().copied().filter(|&(_, right)| {
            let part = &read[skip_connectives(read, right)..];
            negated(part) && short(part)
        });
        let (read, whole) = match negation {
            Some((left_end, _)) => {
                // The split points of the text up to there, as `split_points` would find them.
                points.retain(|&(_, right)| right < left_end);
                (&read[..left_end], classify(&read[..left_end]))
            }
            None => (read, whole.clone()),
        };
        let mut spans = Vec::new();
        let mut start = 0;
        // A connective inside a value ("$4,000") splits nothing.
        let inside_a_value = |byte: usize| {
            let at = char_offset(read, byte);
            entities.iter().any(|e| e.start < at && at < e.end)
        };
        for (left_end, right_start) in points {
            if left_end <= start || inside_a_value(left_end) {
                continue;
            }
            let right_start = skip_connectives(read, right_start);
            let left = if formula_line(read, start, left_end) {
                IntentScore { name: OUT_OF_SCOPE.into(), confidence: 0.0 }
            } else {
                classify(&read[start..left_end])
            };
            let right = classify(&read[right_start..]);
            if !request(&right) {
                continue;
            }
            // The first span starts with the message, lead-in words included.
            let from = if spans.is_empty() { 0 } else { char_offset(read, start) };
            if request(&left) && left.name != right.name {
                spans.push(IntentSpan { name: left.name, confidence: left.confidence, start: from, end: char_offset(read, left_end) });
                start = right_start;
            } else if let Some(previous) = spans.last_mut().filter(|p| !request(&left) && p.name != right.name) {
                // Words that are no request of their own ("I've explained it three times.")
                // belong to the request before them, and a new request follows.
                previous.end = char_offset(read, left_end);
                start = right_start;
            } else if spans.is_empty() && !request(&left) && (!request(&whole) || right.confidence > whole.confidence) {
                start = right_start;
            }
        }
        if start == 0 {
            return vec![IntentSpan { name: whole.name.clone(), confidence: whole.confidence, start: 0, end: read.chars().count() }];
        }
        let last = classify(&read[start..]);
        let from = if spans.is_empty() { 0 } else { char_offset(read, start) };
        spans.push(IntentSpan { name: last.name, confidence: last.confidence, start: from, end: read.chars().count() });
        spans
    }
}

/// The message's intent: the one request its words beside make it (one span), where that
/// reads as another intent than the message whole.
fn after_lead_in(whole: IntentScore, requests: &[IntentSpan]) -> IntentScore {
    match requests {
        [only] if only.name != whole.name => IntentScore { name: only.name.clone(), confidence: only.confidence },
        _ => whole,
    }
}

/// Adds tagged slot values to the entities. A find inside a tagged value of another slot is part
/// of it (the zip code of an address is no order number, the house number no amount); one over
/// exactly the same text stays as another reading of it, first if a lookup listed it (a
/// directory name the tagger reads as a counterparty is an approver, and still a counterparty
/// where the bot asked for one). A span without a content
/// word ("i" of "i paid 120 for it") is no value.
fn join_tagged(entities: &mut Vec<Entity>, tagged: Vec<SlotSpan>) {
    let mut joined: Vec<Entity> = tagged
        .into_iter()
        .filter(|span| words::spans(&span.value).into_iter().any(|r| words::is_content(&span.value[r])))
        .map(|span| Entity {
            entity: span.slot,
            normalized: serde_json::Value::String(span.value.clone()),
            value: span.value,
            start: span.start,
            end: span.end,
            extractor: "tagger".into(),
            alternatives: Vec::new(),
        })
        .collect();
    let mut listed = vec![false; joined.len()];
    entities.retain_mut(|e| {
        let Some(at) = joined.iter().position(|t| t.start <= e.start && e.end <= t.end && t.entity != e.entity) else { return true };
        let tag = &mut joined[at];
        if (tag.start, tag.end) != (e.start, e.end) {
            return false;
        }
        if e.extractor == "lookup" {
            // A value the domain lists by name is that first, the tagger's guess after it.
            e.alternatives.push(Reading { entity: tag.entity.clone(), normalized: tag.normalized.clone() });
            listed[at] = true;
            return true;
        }
        let readings = std::iter::once(Reading { entity: e.entity.clone(), normalized: e.normalized.clone() }).chain(e.alternatives.iter().cloned());
        tag.alternatives.extend(readings.filter(|r| r.entity != tag.entity));
        false
    });
    let mut listed = listed.into_iter();
    joined.retain(|_| !listed.next().unwrap_or(false));
    entities.extend(joined);
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
    fn a_listed_value_under_a_tagged_span_of_the_same_text_keeps_the_tag_as_another_reading() {
        let found = |entity: &str, start: usize, end: usize| Entity {
            entity: entity.into(),
            value: "Aisha Khan".into(),
            normalized: serde_json::json!("Aisha Khan"),
            start,
            end,
            extractor: "lookup".into(),
            alternatives: Vec::new(),
        };
        let span = |slot: &str, start: usize, end: usize| SlotSpan { slot: slot.into(), start, end, value: "Aisha Khan".into() };
        let mut entities = vec![found("approver", 10, 20)];
        join_tagged(&mut entities, vec![span("counterparty", 10, 20)]);
        // A directory's name is an approver first, the tagger's counterparty after ("actually
        // Kenji Sato should approve this one" at a contract's summary changes the approver).
        assert_eq!(entities.len(), 1);
        assert_eq!((entities[0].entity.as_str(), entities[0].extractor.as_str()), ("approver", "lookup"));
        assert_eq!(entities[0].alternatives, [Reading { entity: "counterparty".into(), normalized: serde_json::json!("Aisha Khan") }]);
        // Inside a longer tagged span, a find of another kind gives way without a trace.
        let mut entities = vec![found("approver", 10, 20)];
        join_tagged(&mut entities, vec![span("counterparty", 4, 20)]);
        assert_eq!(entities.len(), 1);
        assert!(entities[0].alternatives.is_empty());
        // A span without a content word is no value: "i" of "i paid 120 for it".
        let mut entities = Vec::new();
        join_tagged(&mut entities, vec![SlotSpan { slot: "refund_reason".into(), start: 0, end: 1, value: "i".into() }]);
        assert!(entities.is_empty());
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
        // Details after commas are no other request: at most a value (`inform`), whose entities
        // the dialogue tracker gives to the request before it.
        let detailed = requests(&parser, "submit contract C-2024-004 with Umbrella for ¥8,000, approver Priya, due 2026-12-20");
        assert_eq!(detailed[0].0, "submit_contract");
        assert!(detailed[1..].iter().all(|(intent, _)| intent == "inform"), "{detailed:?}");
        // A comma inside a value is no connective.
        assert_eq!(requests(&parser, "submit contract C-2024-001 with Acme for $4,000").len(), 1);
        // One request: one span over the whole text, even with "and" inside.
        assert_eq!(requests(&parser, "i want to return this and get my money back").len(), 1);
        // A sentence is a request of its own; words between that are none join the one before.
        let text = "where is my order 12345? I've been waiting for weeks. Please put me through to a member of staff.";
        let found = requests(&parser, text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0], ("order_status".to_string(), "where is my order 12345? I've been waiting for weeks".to_string()));
        assert_eq!(found[1], ("human".to_string(), "Please put me through to a member of staff.".to_string()));
        let text = "refund order 12345 and ship it back";
        let single = parser.parse(text);
        assert_eq!(single.intents.len(), 1);
        assert_eq!((single.intents[0].start, single.intents[0].end), (0, text.chars().count()));
    }

    #[test]
    fn lead_in_words_join_a_surer_request_after_them() {
        // "this is ridiculous" reads as a complaint, less sure than the request after it.
        let parser = bundled();
        let text = "this is ridiculous, get me a manager";
        assert_eq!(requests(&parser, text), [("human".to_string(), text.to_string())]);
        assert_eq!(parser.parse(text).intent.name, "human");
    }

    #[test]
    fn a_negated_last_part_is_no_request() {
        let parser = bundled();
        // Whole, the message reads as a rejection (its last word); what was asked is before it.
        let text = "wait no, I meant to approve it, not reject";
        assert_eq!(requests(&parser, text), [("approve_request".to_string(), "wait no, I meant to approve it".to_string())]);
        assert_eq!(parser.parse(text).intent.name, "approve_request");
        // A negation before another part is read as usual.
        let found = requests(&parser, "no, not the refund, I want to check my order");
        assert_eq!(found.last().map(|(intent, _)| intent.as_str()), Some("order_status"), "{found:?}");
        // A long last part that opens with "not" is no negated alternative: it holds the request.
        let text = "Hi, sorry, not feeling great — I need sick leave starting tomorrow";
        assert_eq!(parser.parse(text).intent.name, "request_leave");
    }

    #[test]
    fn calibration_changes_no_ranking() {
        // A calibration so harsh that every top confidence is below one half, where the
        // alternatives' shares are capped at the top's: the order must still be the raw one.
        let mut parser = bundled();
        parser.calibration = Calibration { slope: 1.0, intercept: -6.0, ..Calibration::IDENTITY };
        for text in ["where is my order", "i want my money back", "hello", "change my address to 5 Main St", "我要退款", "blah"] {
            let raw = parser.scorer.scores(&parser.extractor.mask(text, &parser.extractor.extract(text, NaiveDate::MIN)), None);
            let ranking = parser.parse(text).ranking;
            let best = raw.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0))).unwrap().0;
            assert_eq!(ranking[0].name, parser.intents[best], "{text}: {ranking:?}");
            assert!(ranking.windows(2).all(|w| w[0].confidence >= w[1].confidence), "{text}: {ranking:?}");
        }
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
