//! The intent recognizer's [`SentenceEncoder`]s: the pretrained sentence encoder
//! (multilingual-e5-small by default), with each text's vector kept — training encodes the
//! domain's examples once per process, and a conversation's repeated messages ("yes", "no")
//! cost one pass — and the bot's GPT-2 ([`Gpt2Sentences`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use encoder::Encoder;
use encoder::locate::Located;
use gpt2::{Backend, Gpt2};
use nlu::SentenceEncoder;

use crate::corpus::user_line;

/// GPT-2 as a sentence encoder: the mean-pooled final hidden states of a message written as
/// the corpus writes a user's turn (`User: …`), the context the model learned it in.
pub struct Gpt2Sentences(pub Arc<Gpt2>);

impl SentenceEncoder for Gpt2Sentences {
    fn fingerprint(&self) -> String {
        self.0.fingerprint()
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        let prompts: Vec<String> = texts.iter().map(|t| user_line(t)).collect();
        let prompts: Vec<&str> = prompts.iter().map(String::as_str).collect();
        self.0.embed(&prompts).map_err(|e| e.to_string())
    }
}

/// Texts whose vectors are kept; past this the cache starts again empty.
const CACHE_TEXTS: usize = 50_000;

/// An [`Encoder`] with a per-text cache.
pub struct PretrainedEncoder {
    encoder: Encoder,
    cache: Mutex<HashMap<String, Vec<f32>>>,
}

impl PretrainedEncoder {
    pub fn new(encoder: Encoder) -> Self {
        Self { encoder, cache: Mutex::new(HashMap::new()) }
    }

    /// Loads the encoder at `located` (checking its pinned digest, if any) on `backend`.
    pub fn load(located: &Located, backend: Backend) -> Result<Self, String> {
        if !located.path.exists() {
            return Err(format!("{}: not there (scripts/fetch_encoder.sh installs it)", located.path.display()));
        }
        let device = backend.device().map_err(|e| e.to_string())?.device;
        let encoder = Encoder::load_checked(&located.path, located.sha256, &device).map_err(|e| e.to_string())?;
        Ok(Self::new(encoder))
    }

    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    pub fn into_shared(self) -> Arc<dyn SentenceEncoder> {
        Arc::new(self)
    }
}

impl SentenceEncoder for PretrainedEncoder {
    fn fingerprint(&self) -> String {
        self.encoder.fingerprint().to_string()
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        let missing: Vec<&str> = {
            let cache = self.cache.lock().map_err(|_| "encoder cache poisoned".to_string())?;
            let mut seen = std::collections::HashSet::new();
            texts.iter().copied().filter(|t| !cache.contains_key(*t) && seen.insert(*t)).collect()
        };
        let fresh = if missing.is_empty() { Vec::new() } else { self.encoder.embed(&missing).map_err(|e| e.to_string())? };
        let mut cache = self.cache.lock().map_err(|_| "encoder cache poisoned".to_string())?;
        if cache.len() + fresh.len() > CACHE_TEXTS {
            cache.clear();
        }
        let mut fresh_by_text: HashMap<&str, Vec<f32>> = missing.iter().copied().zip(fresh).collect();
        let out = texts
            .iter()
            .map(|t| fresh_by_text.get(t).cloned().or_else(|| cache.get(*t).cloned()).ok_or_else(|| format!("no vector for {t:?}")))
            .collect::<Result<Vec<_>, String>>()?;
        for (text, vector) in fresh_by_text.drain() {
            cache.insert(text.to_string(), vector);
        }
        Ok(out)
    }
}
