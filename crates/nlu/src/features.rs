//! TF-IDF vectors over character n-grams (2–4) and words. Characters make it work without
//! whitespace (Chinese) and forgive typos; words add exact-term evidence.

use std::collections::HashMap;

use words::is_cjk;

/// A sparse, L2-normalised feature vector, sorted by feature id.
pub type Vector = Vec<(u32, f32)>;

/// Feature vocabulary and inverse document frequencies, fitted on training texts.
#[derive(Debug, Clone, Default)]
pub struct Featurizer {
    ids: HashMap<String, u32>,
    idf: Vec<f32>,
}

fn normalise(text: &str) -> String {
    let lower = text.to_lowercase();
    let mut out = String::with_capacity(lower.len() + 2);
    out.push(' ');
    let mut space = true;
    for c in lower.chars() {
        let c = if c.is_alphanumeric() || c == '<' || c == '>' || c == '_' { c } else { ' ' };
        if c == ' ' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    if !space {
        out.push(' ');
    }
    out
}

/// The words of a normalised text; in a word with CJK characters, each character is a word.
fn split_words(norm: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in norm.split_whitespace() {
        if word.chars().any(is_cjk) {
            out.extend(word.chars().map(String::from));
        } else {
            out.push(word.to_string());
        }
    }
    out
}

/// The words of a text as the featurizer sees them: lowercase, punctuation dropped, each CJK
/// character a word of its own.
pub(crate) fn words(text: &str) -> Vec<String> {
    split_words(&normalise(text))
}

/// The raw terms of a text: `w:` words (CJK characters count as words) and `c:` n-grams.
fn terms(text: &str) -> Vec<String> {
    let norm = normalise(text);
    let chars: Vec<char> = norm.chars().collect();
    let mut out: Vec<String> = split_words(&norm).into_iter().map(|word| format!("w:{word}")).collect();
    for n in 2..=4 {
        for window in chars.windows(n) {
            if window.iter().all(|c| *c == ' ') {
                continue;
            }
            out.push(format!("c:{}", window.iter().collect::<String>()));
        }
    }
    out
}

impl Featurizer {
    /// Fits the vocabulary on training texts. In large training sets (1,000 texts or more) a
    /// term seen in only one text is dropped: it cannot generalise, and it costs a row of
    /// weights per intent.
    pub fn fit(texts: &[String]) -> Self {
        let min_df = if texts.len() >= 1000 { 2.0 } else { 1.0 };
        let mut all: HashMap<String, u32> = HashMap::new();
        let mut df: Vec<f32> = Vec::new();
        for text in texts {
            let mut seen: Vec<u32> = terms(text)
                .into_iter()
                .map(|t| {
                    let next = all.len() as u32;
                    *all.entry(t).or_insert(next)
                })
                .collect();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                if id as usize >= df.len() {
                    df.resize(id as usize + 1, 0.0);
                }
                df[id as usize] += 1.0;
            }
        }
        let n = texts.len().max(1) as f32;
        let mut kept: Vec<(String, f32)> = all.into_iter().filter(|(_, id)| df[*id as usize] >= min_df).map(|(t, id)| (t, df[id as usize])).collect();
        kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let idf = kept.iter().map(|(_, d)| ((1.0 + n) / (1.0 + d)).ln() + 1.0).collect();
        let ids = kept.into_iter().enumerate().map(|(id, (term, _))| (term, id as u32)).collect();
        Self { ids, idf }
    }

    /// The terms in id order, and their idf: what a saved model stores.
    pub fn parts(&self) -> (Vec<String>, Vec<f32>) {
        let mut terms = vec![String::new(); self.idf.len()];
        for (term, &id) in &self.ids {
            terms[id as usize] = term.clone();
        }
        (terms, self.idf.clone())
    }

    /// Rebuilds a fitted featurizer from [`Featurizer::parts`].
    pub fn from_parts(terms: Vec<String>, idf: Vec<f32>) -> Self {
        let ids = terms.into_iter().enumerate().map(|(id, term)| (term, id as u32)).collect();
        Self { ids, idf }
    }

    /// Number of features (ids run from 0 to this, exclusive).
    pub fn len(&self) -> usize {
        self.idf.len()
    }

    /// The text's vector (sublinear term frequency × idf, L2-normalised). Unknown terms are dropped.
    pub fn transform(&self, text: &str) -> Vector {
        let mut counts: HashMap<u32, f32> = HashMap::new();
        for term in terms(text) {
            if let Some(&id) = self.ids.get(&term) {
                *counts.entry(id).or_default() += 1.0;
            }
        }
        let mut vector: Vector = counts.into_iter().map(|(id, tf)| (id, (1.0 + tf.ln()) * self.idf[id as usize])).collect();
        // Sorted before summing, so that the same text always gives the same bits.
        vector.sort_unstable_by_key(|e| e.0);
        let norm = vector.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for entry in &mut vector {
                entry.1 /= norm;
            }
        }
        vector
    }
}

/// Cosine similarity of two normalised sparse vectors.
pub fn cosine(a: &Vector, b: &Vector) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}
