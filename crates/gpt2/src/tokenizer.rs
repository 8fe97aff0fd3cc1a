//! GPT-2's byte-level BPE tokenizer, through the `tokenizers` crate.
//!
//! Loads `tokenizer.json`, or the older `vocab.json` + `merges.txt` pair (GPT-2's own
//! `encoder.json` + `vocab.bpe` are the same two files under other names).

use std::path::{Path, PathBuf};

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::TrainerWrapper;
use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::{AddedToken, Tokenizer};

use crate::error::{Error, Result};

/// The end-of-text token GPT-2 uses as BOS, EOS and document separator.
pub const END_OF_TEXT: &str = "<|endoftext|>";

/// A GPT-2 tokenizer: text ↔ token ids, exact on any UTF-8 input.
#[derive(Clone)]
pub struct Gpt2Tokenizer {
    inner: Tokenizer,
    source: PathBuf,
}

impl std::fmt::Debug for Gpt2Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gpt2Tokenizer").field("source", &self.source).field("vocab_size", &self.vocab_size()).finish()
    }
}

impl Gpt2Tokenizer {
    /// Loads the tokenizer of a model directory: `tokenizer.json` if present, else
    /// `vocab.json` + `merges.txt`.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let json = dir.join("tokenizer.json");
        if json.is_file() {
            return Self::from_file(&json);
        }
        let (vocab, merges) = (dir.join("vocab.json"), dir.join("merges.txt"));
        if vocab.is_file() && merges.is_file() {
            return Self::from_vocab_and_merges(&vocab, &merges);
        }
        Err(Error::MissingFile { path: json, what: "a tokenizer: tokenizer.json, or vocab.json + merges.txt" })
    }

    /// Loads a `tokenizer.json` as written by Hugging Face `tokenizers`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let inner = Tokenizer::from_file(path).map_err(|e| Error::Tokenizer { path: path.into(), message: e.to_string() })?;
        Ok(Self { inner, source: path.into() })
    }

    /// Builds the GPT-2 pipeline (byte-level pre-tokenizer without prefix space, byte-level
    /// decoder, `<|endoftext|>` special) around a BPE vocabulary and merge list.
    pub fn from_vocab_and_merges(vocab: &Path, merges: &Path) -> Result<Self> {
        for path in [vocab, merges] {
            if !path.is_file() {
                return Err(Error::MissingFile { path: path.into(), what: "BPE vocabulary or merges" });
            }
        }
        let to_str = |p: &Path| p.to_string_lossy().into_owned();
        let bpe =
            BPE::from_file(&to_str(vocab), &to_str(merges)).build().map_err(|e| Error::Tokenizer { path: vocab.into(), message: e.to_string() })?;
        let mut inner = Tokenizer::new(bpe);
        Self::byte_level_pipeline(&mut inner);
        if inner.token_to_id(END_OF_TEXT).is_some() {
            inner
                .add_special_tokens(vec![AddedToken::from(END_OF_TEXT, true)])
                .map_err(|e| Error::Tokenizer { path: vocab.into(), message: e.to_string() })?;
        }
        Ok(Self { inner, source: vocab.into() })
    }

    /// Trains a GPT-2 style byte-level BPE of `vocab_size` ids on `documents`, with
    /// `<|endoftext|>` as id 0. Every byte is in the initial alphabet, so any text encodes.
    pub fn train(documents: &[String], vocab_size: usize) -> Result<Self> {
        let alphabet = ByteLevel::alphabet();
        if vocab_size < alphabet.len() + 1 {
            return Err(Error::Invalid(format!(
                "--vocab-size {vocab_size} is too small: a byte-level BPE needs at least {} ids (256 bytes + <|endoftext|>)",
                alphabet.len() + 1
            )));
        }
        let mut inner = Tokenizer::new(BPE::default());
        Self::byte_level_pipeline(&mut inner);
        let mut trainer: TrainerWrapper = BpeTrainerBuilder::new()
            .vocab_size(vocab_size)
            .min_frequency(2)
            .show_progress(false)
            .initial_alphabet(alphabet.into_iter().collect())
            .special_tokens(vec![AddedToken::from(END_OF_TEXT, true)])
            .build()
            .into();
        inner.train(&mut trainer, documents.iter()).map_err(|e| Error::Invalid(format!("training the tokenizer failed: {e}")))?;
        Ok(Self { inner, source: "trained tokenizer".into() })
    }

    /// Sets GPT-2's byte-level pre-tokenizer and decoder on `tokenizer`.
    pub fn byte_level_pipeline(tokenizer: &mut Tokenizer) {
        tokenizer.with_pre_tokenizer(Some(ByteLevel::new(false, true, true)));
        tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
    }

    /// Writes `tokenizer.json` into `dir`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join("tokenizer.json");
        self.inner.save(&path, false).map_err(|e| Error::Tokenizer { path, message: e.to_string() })
    }

    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let encoding =
            self.inner.encode(text, false).map_err(|e| Error::Tokenizer { path: self.source.clone(), message: format!("encoding failed: {e}") })?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Decodes ids to text, special tokens included, so that `decode(encode(s)) == s`.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.inner.decode(ids, false).map_err(|e| Error::Tokenizer { path: self.source.clone(), message: format!("decoding failed: {e}") })
    }

    /// Number of ids, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The largest id the tokenizer can produce.
    pub fn max_id(&self) -> Option<u32> {
        self.inner.get_vocab(true).into_values().max()
    }

    pub fn source(&self) -> &Path {
        &self.source
    }
}
