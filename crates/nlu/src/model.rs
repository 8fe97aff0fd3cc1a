//! Saved NLU models (`deskbot train nlu --out DIR`, `deskbot parse --model DIR`).
//!
//! A model directory holds `nlu.json` (format name and version, the domain it was trained on
//! and its fingerprint, the feature vocabulary, the intent centroids, the confidence
//! calibration, how a sentence encoder was weighed and, when its features are used, their
//! standardisation) and `weights.safetensors` (the classifier's `weights` `[features,
//! intents]` and `bias`). Loading checks the format version; a model that uses sentence
//! features must be loaded with the encoder it was trained with
//! ([`Parser::load_with`], checked by fingerprint); [`Parser::check_domain`] refuses a
//! model trained for another domain.

use std::path::Path;
use std::sync::Arc;

use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::calibration::Calibration;
use crate::classifier::LinearClassifier;
use crate::domain::{NluDomain, NluError};
use crate::encoder::{DenseFeatures, SentenceEncoder};
use crate::features::{Featurizer, Vector};
use crate::parser::{EncoderChoice, Parser};
use crate::scorer::Scorer;
use crate::slots::SlotTagger;

/// What `nlu.json` says it is.
pub const FORMAT: &str = "deskbot-nlu";
/// Bumped whenever the saved layout or the meaning of a field changes (2: calibrated
/// confidences, so thresholds mean something else).
pub const FORMAT_VERSION: u32 = 2;
const META_FILE: &str = "nlu.json";
const WEIGHTS_FILE: &str = "weights.safetensors";

#[derive(Serialize, Deserialize)]
struct Meta {
    format: String,
    version: u32,
    domain_fingerprint: String,
    domain: NluDomain,
    terms: Vec<String>,
    idf: Vec<f32>,
    centroids: Vec<Vector>,
    calibration: Calibration,
    /// How a sentence encoder was weighed in training (absent: none was offered).
    #[serde(default)]
    encoder: Option<EncoderChoice>,
    /// The sentence features' standardisation, when they are used.
    #[serde(default)]
    dense: Option<DenseFeatures>,
    /// The slot tagger's feature vocabulary and labels (empty without a tagger).
    #[serde(default)]
    slot_features: Vec<String>,
    #[serde(default)]
    slot_labels: Vec<String>,
}

/// A stable fingerprint of a domain's intents, examples, patterns, entities and threshold.
pub fn fingerprint(domain: &NluDomain) -> String {
    let json = serde_json::to_string(domain).expect("a domain serializes");
    // FNV-1a: stable across runs and platforms.
    let mut hasher = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut hasher, json.as_bytes());
    format!("{:016x}", std::hash::Hasher::finish(&hasher))
}

fn invalid(path: &Path, message: impl Into<String>) -> NluError {
    NluError::Invalid { path: path.into(), message: message.into() }
}

impl Parser {
    /// Writes the model into `dir` (created if needed).
    pub fn save(&self, dir: &Path) -> Result<(), NluError> {
        std::fs::create_dir_all(dir).map_err(|e| invalid(dir, e.to_string()))?;
        let (terms, idf) = self.scorer.featurizer.parts();
        let tagger = self.slot_tagger.as_ref().map(|t| t.parts());
        let meta = Meta {
            slot_features: tagger.as_ref().map_or_else(Vec::new, |(vocabulary, _, _)| vocabulary.clone()),
            slot_labels: tagger.as_ref().map_or_else(Vec::new, |(_, labels, _)| labels.to_vec()),
            format: FORMAT.into(),
            version: FORMAT_VERSION,
            domain_fingerprint: fingerprint(&self.domain),
            domain: self.domain.clone(),
            terms,
            idf,
            centroids: self.scorer.centroids.clone(),
            calibration: self.calibration,
            encoder: self.encoder_choice.clone(),
            dense: self.scorer.dense.clone(),
        };
        let meta_path = dir.join(META_FILE);
        std::fs::write(&meta_path, serde_json::to_vec(&meta).expect("meta serializes")).map_err(|e| invalid(&meta_path, e.to_string()))?;
        let bytes = |values: &[f32]| values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();
        let mut classifiers = vec![("", &self.scorer.classifier)];
        if let Some((_, _, classifier)) = &tagger {
            classifiers.push(("slot_", classifier));
        }
        let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = classifiers
            .iter()
            .flat_map(|(prefix, classifier)| {
                let (weights, bias) = classifier.parts();
                let classes = bias.len();
                [
                    (format!("{prefix}weights"), vec![weights.len() / classes.max(1), classes], bytes(weights)),
                    (format!("{prefix}bias"), vec![classes], bytes(bias)),
                ]
            })
            .collect();
        let tensors: Vec<(&str, TensorView)> = buffers
            .iter()
            .map(|(name, shape, data)| (name.as_str(), TensorView::new(Dtype::F32, shape.clone(), data).expect("consistent shape")))
            .collect();
        let weights_path = dir.join(WEIGHTS_FILE);
        safetensors::serialize_to_file(tensors, None, &weights_path).map_err(|e| invalid(&weights_path, e.to_string()))
    }

    /// Reads a model written by [`Parser::save`] that needs no sentence encoder.
    pub fn load(dir: &Path) -> Result<Self, NluError> {
        Self::load_with(dir, None)
    }

    /// Reads a model written by [`Parser::save`], with the sentence encoder it was trained
    /// with (needed when it uses sentence features; checked by fingerprint).
    pub fn load_with(dir: &Path, encoder: Option<Arc<dyn SentenceEncoder>>) -> Result<Self, NluError> {
        let meta_path = dir.join(META_FILE);
        let text = std::fs::read(&meta_path).map_err(|e| invalid(&meta_path, format!("{e} (is {} an NLU model directory?)", dir.display())))?;
        let header: serde_json::Value = serde_json::from_slice(&text).map_err(|e| invalid(&meta_path, format!("not JSON: {e}")))?;
        if header["format"] != FORMAT {
            return Err(invalid(&meta_path, format!("not a deskbot NLU model (format {})", header["format"])));
        }
        if header["version"] != FORMAT_VERSION {
            return Err(invalid(
                &meta_path,
                format!("model format version {} — this deskbot reads version {FORMAT_VERSION}; retrain with `deskbot train nlu`", header["version"]),
            ));
        }
        let meta: Meta = serde_json::from_value(header).map_err(|e| invalid(&meta_path, e.to_string()))?;
        if meta.dense.is_some() {
            let choice = meta.encoder.as_ref().ok_or_else(|| invalid(&meta_path, "`dense` features without the `encoder` that made them"))?;
            match &encoder {
                None => {
                    return Err(invalid(
                        &meta_path,
                        format!(
                            "this model uses a GPT-2's sentence features (fingerprint {}); load it with that model (`--gpt2 DIR`)",
                            choice.fingerprint
                        ),
                    ));
                }
                Some(encoder) if encoder.fingerprint() != choice.fingerprint => {
                    return Err(invalid(
                        &meta_path,
                        format!(
                            "this model was trained on the sentence features of another GPT-2 (fingerprint {}, the one given is {}); retrain it with `deskbot train nlu --gpt2 DIR`",
                            choice.fingerprint,
                            encoder.fingerprint()
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        meta.domain.validate().map_err(|message| invalid(&meta_path, format!("the domain saved with the model: {message}")))?;
        let weights_path = dir.join(WEIGHTS_FILE);
        let bytes = std::fs::read(&weights_path).map_err(|e| invalid(&weights_path, e.to_string()))?;
        let file =
            SafeTensors::deserialize(&bytes).map_err(|e| invalid(&weights_path, format!("not a valid safetensors file ({e}); is it truncated?")))?;
        let read = |name: &str, shape: &[usize]| -> Result<Vec<f32>, NluError> {
            let view = file.tensor(name).map_err(|_| invalid(&weights_path, format!("tensor `{name}` is missing")))?;
            if view.dtype() != Dtype::F32 || view.shape() != shape {
                return Err(invalid(
                    &weights_path,
                    format!("tensor `{name}` is {:?} {:?}; nlu.json implies F32 {shape:?}", view.dtype(), view.shape()),
                ));
            }
            Ok(view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
        };
        let classes = meta.domain.intents.len();
        let features = meta.terms.len() + meta.dense.as_ref().map_or(0, DenseFeatures::dim);
        let classifier = LinearClassifier::from_parts(read("weights", &[features, classes])?, read("bias", &[classes])?)
            .ok_or_else(|| invalid(&weights_path, "the domain has no intents"))?;
        if meta.centroids.len() != classes {
            return Err(invalid(&meta_path, format!("{} centroids for {classes} intents", meta.centroids.len())));
        }
        let tagger = if meta.slot_labels.is_empty() {
            None
        } else {
            let labels = meta.slot_labels.len();
            let classifier = LinearClassifier::from_parts(read("slot_weights", &[meta.slot_features.len(), labels])?, read("slot_bias", &[labels])?)
                .ok_or_else(|| invalid(&weights_path, "the slot tagger has no labels"))?;
            Some(SlotTagger::from_parts(meta.slot_features, meta.slot_labels, classifier))
        };
        let scorer = Scorer { featurizer: Featurizer::from_parts(meta.terms, meta.idf), dense: meta.dense, classifier, centroids: meta.centroids };
        Ok(Self::assemble(meta.domain, scorer, meta.calibration).with_encoder(meta.encoder, encoder).with_slot_tagger(tagger))
    }

    /// Errors unless this parser was trained on `domain` (same intents, examples, entities).
    pub fn check_domain(&self, domain: &NluDomain, model_dir: &Path) -> Result<(), NluError> {
        let (trained, given) = (fingerprint(&self.domain), fingerprint(domain));
        if trained != given {
            return Err(invalid(
                model_dir,
                format!(
                    "this NLU model was trained for another domain (fingerprint {trained}, the domain given is {given}); retrain it with `deskbot train nlu`"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Example, domain_from_examples};

    fn domain(extra: &str) -> NluDomain {
        let examples: Vec<Example> = [
            ("where is my parcel", "track"),
            ("track my package", "track"),
            ("i want my money back", "refund"),
            ("refund please", "refund"),
            (extra, "refund"),
        ]
        .iter()
        .map(|(t, i)| Example::new(*t, *i))
        .collect();
        domain_from_examples(&examples, 0.1)
    }

    #[test]
    fn a_saved_model_parses_exactly_as_the_trained_one() {
        let parser = Parser::train(&domain("give it back"));
        let dir = tempfile::tempdir().unwrap();
        parser.save(dir.path()).unwrap();
        let loaded = Parser::load(dir.path()).unwrap();
        for text in ["where is my package", "can i get a refund", "我的包裹在哪里", ""] {
            assert_eq!(parser.parse(text), loaded.parse(text));
        }
        loaded.check_domain(&domain("give it back"), dir.path()).unwrap();
        let error = loaded.check_domain(&domain("another example"), dir.path()).unwrap_err().to_string();
        assert!(error.contains("another domain"), "{error}");
    }

    #[test]
    fn a_slot_tagger_is_saved_with_the_model() {
        let texts = ["fly to Paris", "fly to Rome", "a flight to Oslo", "fly to Lyon", "a flight to Kyoto", "fly to Paris now"];
        let spans: Vec<Vec<crate::slots::SlotSpan>> = texts
            .iter()
            .map(|t| {
                let city = t.split(' ').find(|w| w.chars().next().is_some_and(char::is_uppercase)).unwrap();
                let start = t.find(city).unwrap();
                vec![crate::slots::SlotSpan { slot: "city".into(), start, end: start + city.len(), value: city.into() }]
            })
            .collect();
        let annotated: Vec<(&str, &str, &[crate::slots::SlotSpan])> = texts.iter().zip(&spans).map(|(t, s)| (*t, "track", s.as_slice())).collect();
        let parser = Parser::train(&domain("x")).with_slot_tagger(SlotTagger::train(&annotated));
        let dir = tempfile::tempdir().unwrap();
        parser.save(dir.path()).unwrap();
        let loaded = Parser::load(dir.path()).unwrap();
        let parsed = loaded.parse("fly to Rome");
        assert_eq!(parsed, parser.parse("fly to Rome"));
        assert!(parsed.entities.iter().any(|e| e.extractor == "tagger" && e.entity == "city" && e.value == "Rome"), "{parsed:?}");
    }

    #[test]
    fn wrong_versions_and_truncated_weights_are_named() {
        let dir = tempfile::tempdir().unwrap();
        Parser::train(&domain("x")).save(dir.path()).unwrap();
        let weights = dir.path().join(WEIGHTS_FILE);
        let bytes = std::fs::read(&weights).unwrap();
        std::fs::write(&weights, &bytes[..bytes.len() / 2]).unwrap();
        let error = Parser::load(dir.path()).err().unwrap().to_string();
        assert!(error.contains("weights.safetensors") && error.contains("truncated"), "{error}");

        let meta = dir.path().join(META_FILE);
        let text = std::fs::read_to_string(&meta).unwrap().replacen("\"version\":2", "\"version\":99", 1);
        std::fs::write(&meta, text).unwrap();
        let error = Parser::load(dir.path()).err().unwrap().to_string();
        assert!(error.contains("nlu.json") && error.contains("version 99"), "{error}");
        assert!(Parser::load(&dir.path().join("none")).err().unwrap().to_string().contains("NLU model directory"));
    }

    #[test]
    fn a_saved_domain_that_does_not_compile_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let mut with_entity = domain("x");
        with_entity.entities.insert("code".into(), crate::domain::EntityDef::Regex("[A-Z]+".into()));
        Parser::train(&with_entity).save(dir.path()).unwrap();
        let meta = dir.path().join(META_FILE);
        let text = std::fs::read_to_string(&meta).unwrap();
        assert!(text.contains("[A-Z]+"));
        std::fs::write(&meta, text.replacen("[A-Z]+", "[A-Z+", 1)).unwrap();
        let error = Parser::load(dir.path()).err().unwrap().to_string();
        assert!(error.contains("nlu.json") && error.contains("entity `code`"), "{error}");
    }
}
