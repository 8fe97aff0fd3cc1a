//! GPT-2 in the bot: ranking template variations by the model's log-probability given the
//! conversation (best-response search), rephrasing, and sentence features offered to the intent
//! recognizer. A rewording is offered if it is clean text; the `templates` crate decides whether
//! it is used (`templates::check_rewording`, then this model's score as ranker).

use std::path::Path;
use std::sync::Arc;

use gpt2::{Backend, GenerationConfig, Gpt2, Sampler};
use templates::{Ranker, Rephraser};

/// The longest rewording generated, in tokens.
const MAX_REWORDING_TOKENS: usize = 48;

/// The line start after which the model writes a rewording of the reply above it; the corpus's
/// paraphrase pairs are written with it, so the model learns exactly what it is asked.
pub(crate) const REWORDING_CUE: &str = "Bot (rephrased):";

/// A loaded GPT-2 serving as the templates' ranker and rephraser and, shared with the
/// recognizer, as its sentence encoder.
pub struct ModelHooks {
    pub model: Arc<Gpt2>,
    /// Whether replies are also reworded, under the templates' guard (on by default; ranking is
    /// always on).
    pub rephrase: bool,
    /// Whether the intent recognizer is offered the model's sentence features (on by default).
    pub intent_features: bool,
}

impl ModelHooks {
    pub fn load(dir: &Path, backend: Backend) -> Result<Self, gpt2::Error> {
        let device = backend.device()?.device;
        Ok(Self { model: Arc::new(Gpt2::load(dir, &device)?), rephrase: true, intent_features: true })
    }

    /// Replies keep their template wording (the model still ranks the variations).
    pub fn without_rephrasing(mut self) -> Self {
        self.rephrase = false;
        self
    }

    /// Keeps the recognizer on its n-gram features alone (a faster start: no held-out trials).
    pub fn without_intent_features(mut self) -> Self {
        self.intent_features = false;
        self
    }

    /// The context, cut from the front to leave room for a reply within the model's window.
    fn context_ids(&self, context: &str, room: usize) -> Option<Vec<u32>> {
        let ids = self.model.tokenizer.encode(context).ok()?;
        let keep = self.model.config.n_positions.saturating_sub(room);
        Some(ids[ids.len().saturating_sub(keep)..].to_vec())
    }
}

impl Ranker for ModelHooks {
    fn rank(&self, context: &str, candidates: &[String]) -> Vec<f64> {
        let encoded: Option<Vec<Vec<u32>>> = candidates.iter().map(|c| self.model.tokenizer.encode(&format!(" {c}")).ok()).collect();
        let longest = encoded.as_ref().map_or(0, |e| e.iter().map(Vec::len).max().unwrap_or(0));
        match (encoded, self.context_ids(context, longest + 1)) {
            (Some(candidates), Some(context)) => match self.model.score_ids(&context, &candidates) {
                Ok(scores) => scores.iter().map(|s| s.mean()).collect(),
                Err(_) => vec![0.0; candidates.len()],
            },
            _ => vec![0.0; candidates.len()],
        }
    }
}

impl Rephraser for ModelHooks {
    fn rephrase(&self, context: &str, reply: &str, seed: u64) -> Option<String> {
        // A rewording much longer than the reply would not pass the guard: stop early.
        let reply_tokens = self.model.tokenizer.encode(reply).ok()?.len();
        let config = GenerationConfig {
            max_new_tokens: (reply_tokens * 3 / 2 + 8).min(MAX_REWORDING_TOKENS),
            sampler: Sampler { temperature: 0.7, top_k: 40, ..Sampler::default() },
            stop: vec!["\n".into()],
            seed,
            ..GenerationConfig::default()
        };
        let prompt = self.context_ids(&format!("{context} {reply}\n{REWORDING_CUE}"), config.max_new_tokens + 1)?;
        let text = self.model.generate_ids(&prompt, &config).ok()?.text;
        let text = text.trim().to_string();
        let clean = !text.is_empty() && !text.contains(char::REPLACEMENT_CHARACTER) && !text.chars().any(char::is_control);
        clean.then_some(text)
    }
}
