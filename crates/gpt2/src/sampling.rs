//! Turning next-token logits into a token: repetition penalty, temperature, top-k, top-p, then
//! argmax or a draw from a seeded RNG. Runs on the host over one row of `vocab_size` logits.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// How the next token is picked.
#[derive(Debug, Clone, PartialEq)]
pub struct Sampler {
    /// Pick the most likely token instead of drawing one.
    pub greedy: bool,
    /// Divides the logits before the softmax; below 1 sharpens, above 1 flattens.
    pub temperature: f32,
    /// Keep only the `k` most likely tokens (0 = all).
    pub top_k: usize,
    /// Keep the smallest set of tokens whose probability adds up to `p` (1.0 = all).
    pub top_p: f32,
    /// CTRL-style penalty (> 1 discourages) on tokens already in the prompt or the output.
    pub repetition_penalty: f32,
}

impl Default for Sampler {
    fn default() -> Self {
        Self { greedy: false, temperature: 1.0, top_k: 50, top_p: 1.0, repetition_penalty: 1.0 }
    }
}

impl Sampler {
    pub fn greedy() -> Self {
        Self { greedy: true, ..Self::default() }
    }

    /// Checks the option values; the message names the option.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.temperature > 0.0 && self.temperature.is_finite()) {
            return Err(format!("temperature must be > 0, got {}", self.temperature));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(format!("top-p must be in (0, 1], got {}", self.top_p));
        }
        if !(self.repetition_penalty > 0.0 && self.repetition_penalty.is_finite()) {
            return Err(format!("repetition penalty must be > 0, got {}", self.repetition_penalty));
        }
        Ok(())
    }

    /// Picks the next token from `logits` given the ids seen so far (prompt + generated).
    pub fn pick(&self, logits: &mut [f32], seen: &[u32], rng: &mut ChaCha8Rng) -> u32 {
        apply_repetition_penalty(logits, seen, self.repetition_penalty);
        if self.greedy {
            return argmax(logits);
        }
        let probs = self.distribution(logits);
        draw(&probs, rng)
    }

    /// The filtered, renormalised distribution the sampler draws from, as (token, probability)
    /// pairs in descending probability.
    pub fn distribution(&self, logits: &[f32]) -> Vec<(u32, f64)> {
        let t = self.temperature as f64;
        let mut ranked: Vec<(u32, f64)> = logits.iter().enumerate().map(|(i, &l)| (i as u32, l as f64 / t)).collect();
        // Most likely first, lower id first on ties: a total order, so the kept set is exact.
        let order = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if self.top_k > 0 && self.top_k < ranked.len() {
            // Select the top k in linear time instead of sorting the whole vocabulary.
            ranked.select_nth_unstable_by(self.top_k - 1, order);
            ranked.truncate(self.top_k);
        }
        ranked.sort_by(order);
        let max = ranked[0].1;
        let mut total = 0.0;
        for entry in &mut ranked {
            entry.1 = (entry.1 - max).exp();
            total += entry.1;
        }
        for entry in &mut ranked {
            entry.1 /= total;
        }
        if self.top_p < 1.0 {
            let mut cumulative = 0.0;
            let keep = ranked
                .iter()
                .position(|&(_, p)| {
                    cumulative += p;
                    cumulative >= self.top_p as f64
                })
                .map_or(ranked.len(), |i| i + 1);
            ranked.truncate(keep);
            let kept: f64 = ranked.iter().map(|e| e.1).sum();
            for entry in &mut ranked {
                entry.1 /= kept;
            }
        }
        ranked
    }
}

/// Divides positive logits / multiplies negative ones of every token in `seen` by `penalty`.
pub fn apply_repetition_penalty(logits: &mut [f32], seen: &[u32], penalty: f32) {
    if penalty == 1.0 {
        return;
    }
    let mut done = vec![false; logits.len()];
    for &id in seen {
        let i = id as usize;
        if i < logits.len() && !done[i] {
            done[i] = true;
            logits[i] = if logits[i] > 0.0 { logits[i] / penalty } else { logits[i] * penalty };
        }
    }
}

/// Index of the largest logit (the first one on ties, as PyTorch's argmax).
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as u32
}

fn draw(probs: &[(u32, f64)], rng: &mut ChaCha8Rng) -> u32 {
    let mut target: f64 = rng.random::<f64>();
    for &(token, p) in probs {
        if target < p {
            return token;
        }
        target -= p;
    }
    probs.last().expect("distribution is never empty").0
}

/// Log-softmax of one row, in f64.
pub fn log_softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let log_sum = logits.iter().map(|&l| (l as f64 - max).exp()).sum::<f64>().ln() + max;
    logits.iter().map(|&l| l as f64 - log_sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn top_k_one_is_greedy() {
        let logits = [0.1, 2.0, -1.0, 1.9];
        let sampler = Sampler { top_k: 1, ..Sampler::default() };
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..20 {
            assert_eq!(sampler.pick(&mut logits.clone(), &[], &mut rng), 1);
        }
    }

    #[test]
    fn top_p_keeps_the_smallest_nucleus() {
        // softmax([2, 1, 0, -5]) ≈ [0.66, 0.24, 0.09, 0.0006]
        let sampler = Sampler { top_k: 0, top_p: 0.8, ..Sampler::default() };
        let dist = sampler.distribution(&[2.0, 1.0, 0.0, -5.0]);
        assert_eq!(dist.iter().map(|e| e.0).collect::<Vec<_>>(), vec![0, 1]);
        assert!((dist.iter().map(|e| e.1).sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn repetition_penalty_discourages_seen_tokens() {
        let mut logits = [2.0, -2.0, 1.0];
        apply_repetition_penalty(&mut logits, &[0, 1, 0], 2.0);
        assert_eq!(logits, [1.0, -4.0, 1.0]);
        assert_eq!(argmax(&logits), 0);
    }

    #[test]
    fn same_seed_same_draws() {
        let sampler = Sampler { top_k: 0, ..Sampler::default() };
        let logits: Vec<f32> = (0..50).map(|i| (i as f32 * 0.37).sin()).collect();
        let run = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..30).map(|_| sampler.pick(&mut logits.clone(), &[], &mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }

    #[test]
    fn invalid_options_are_named() {
        assert!(Sampler { temperature: 0.0, ..Sampler::default() }.validate().unwrap_err().contains("temperature"));
        assert!(Sampler { top_p: 1.5, ..Sampler::default() }.validate().unwrap_err().contains("top-p"));
    }
}
