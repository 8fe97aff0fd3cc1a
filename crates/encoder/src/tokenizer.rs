//! Text to token ids, through the `tokenizers` crate.
//!
//! - From an e5 `E5S1` file: a SentencePiece Unigram over the file's pieces and scores
//!   ([`CompactUnigram`]), with the file's normalization (a per-character replacement map,
//!   then runs of spaces collapsed) applied first and the metaspace `▁` marking word starts.
//! - From a Hugging Face directory: its `tokenizer.json`, through the `tokenizers` crate.
//!
//! Either way a text becomes `<s> pieces… </s>` (`[CLS] … [SEP]` for BERT), cut to the
//! model's window: the start of a longer text is kept, the closing special token too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tokenizers::Tokenizer;

use crate::error::{Error, Result};
use crate::unigram::CompactUnigram;

/// The file's normalization: each mapped character becomes zero or more characters.
#[derive(Debug, Clone, Default)]
pub struct CharMap(HashMap<char, String>);

impl CharMap {
    pub fn new(map: HashMap<char, String>) -> Self {
        Self(map)
    }

    /// `text` with every mapped character replaced and runs of spaces made one.
    pub fn apply(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match self.0.get(&c) {
                Some(replacement) => replacement.chars().for_each(|r| push_collapsed(&mut out, r)),
                None => push_collapsed(&mut out, c),
            }
        }
        out
    }
}

fn push_collapsed(out: &mut String, c: char) {
    if !(c == ' ' && out.ends_with(' ')) {
        out.push(c);
    }
}

/// The pieces of an e5 file: `(piece, score)` in id order and the special ids.
#[derive(Debug, Clone)]
pub struct Pieces {
    pub vocab: Vec<(String, f64)>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    pub normalization: CharMap,
}

/// A sentence tokenizer with the model's special tokens and window.
#[derive(Clone)]
pub struct SentenceTokenizer {
    kind: Kind,
    max_tokens: usize,
}

#[derive(Clone)]
enum Kind {
    /// An e5 file's pieces; `<s>` and `</s>` added here.
    Pieces { unigram: CompactUnigram, normalization: CharMap, bos: u32, eos: u32 },
    /// A `tokenizer.json`, whose post-processor adds the special tokens.
    Json(Box<Tokenizer>),
}

impl SentenceTokenizer {
    /// A Unigram tokenizer over an e5 file's pieces.
    pub fn from_pieces(pieces: Pieces, max_tokens: usize) -> Self {
        let unigram = CompactUnigram::new(&pieces.vocab, pieces.unk);
        Self { kind: Kind::Pieces { unigram, normalization: pieces.normalization, bos: pieces.bos, eos: pieces.eos }, max_tokens }
    }

    /// A Hugging Face `tokenizer.json`.
    pub fn from_file(path: &Path, max_tokens: usize) -> Result<Self> {
        if !path.is_file() {
            return Err(Error::MissingFile { path: PathBuf::from(path), what: "the tokenizer (tokenizer.json)" });
        }
        let mut inner = Tokenizer::from_file(path).map_err(|e| Error::Tokenizer { path: path.into(), message: e.to_string() })?;
        // The window is cut here, keeping the closing token; padding is the batch's business.
        inner.with_truncation(None).map_err(|e| Error::Tokenizer { path: path.into(), message: e.to_string() })?;
        inner.with_padding(None);
        Ok(Self { kind: Kind::Json(Box::new(inner)), max_tokens })
    }

    /// The largest id this tokenizer can produce, plus one.
    pub fn vocab_size(&self) -> usize {
        match &self.kind {
            Kind::Pieces { unigram, .. } => unigram.len(),
            Kind::Json(inner) => inner.get_vocab_size(true),
        }
    }

    /// Token ids of `text` with the special tokens, at most the model's window.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let ids = match &self.kind {
            Kind::Pieces { unigram, normalization, bos, eos } => {
                let content = unigram.encode(&normalization.apply(text));
                let mut ids = Vec::with_capacity(content.len() + 2);
                ids.push(*bos);
                ids.extend(content);
                ids.push(*eos);
                ids
            }
            Kind::Json(inner) => inner.encode(text, true).map_err(|e| Error::Encode(e.to_string()))?.get_ids().to_vec(),
        };
        Ok(cut(ids, self.max_tokens))
    }
}

/// Keeps the first `max - 1` ids and the last one (the closing special token).
fn cut(mut ids: Vec<u32>, max: usize) -> Vec<u32> {
    if ids.len() > max && max >= 2 {
        let last = ids[ids.len() - 1];
        ids.truncate(max - 1);
        ids.push(last);
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_replaces_and_spaces_collapse() {
        let map = CharMap::new(HashMap::from([('\t', " ".to_string()), ('\u{7}', String::new()), ('Ａ', "A".to_string())]));
        assert_eq!(map.apply("a\t  b\u{7}Ａ"), "a bA");
    }

    #[test]
    fn a_long_text_keeps_its_start_and_the_closing_token() {
        assert_eq!(cut(vec![0, 5, 6, 7, 8, 2], 4), vec![0, 5, 6, 2]);
        assert_eq!(cut(vec![0, 5, 2], 4), vec![0, 5, 2]);
    }
}
