//! Text generation: greedy, sampled (temperature, top-k, top-p, repetition penalty, seeded) and
//! beam search (`num_beams`, length penalty), with EOS and stop sequences. Each step feeds only
//! the new token through the KV cache.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::pipeline::Gpt2;
use crate::sampling::{Sampler, apply_repetition_penalty, log_softmax};

/// What to generate and how.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationConfig {
    pub max_new_tokens: usize,
    pub sampler: Sampler,
    /// Beam search when > 1 (deterministic; `sampler` then only adds its repetition penalty).
    pub num_beams: usize,
    /// Beam scores are `logprob / generated_len^length_penalty`; > 1 favours longer outputs.
    pub length_penalty: f32,
    /// Generation ends before the first occurrence of any of these strings.
    pub stop: Vec<String>,
    /// Seed of the sampling RNG: the same seed gives the same text.
    pub seed: u64,
}

impl Default for GenerationConfig {
    fn default() -> Self {
        Self { max_new_tokens: 32, sampler: Sampler::default(), num_beams: 1, length_penalty: 1.0, stop: Vec::new(), seed: 0 }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The model produced its end-of-text token.
    Eos,
    /// A stop sequence appeared.
    Stop,
    /// `max_new_tokens` were generated.
    MaxTokens,
    /// The model's context (`n_positions`) is full.
    Context,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Eos => "eos",
            StopReason::Stop => "stop",
            StopReason::MaxTokens => "max_tokens",
            StopReason::Context => "context",
        }
    }
}

/// A continuation: its text (stop sequence and EOS excluded) and its token ids.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub text: String,
    pub ids: Vec<u32>,
    pub stop_reason: StopReason,
}

impl Gpt2 {
    /// Continues `prompt` (an empty prompt starts from the BOS token).
    pub fn generate(&self, prompt: &str, config: &GenerationConfig) -> Result<Generation> {
        let ids = self.tokenizer.encode(prompt)?;
        self.generate_ids(&ids, config)
    }

    /// Continues a prompt given as token ids.
    pub fn generate_ids(&self, prompt: &[u32], config: &GenerationConfig) -> Result<Generation> {
        config.sampler.validate().map_err(Error::Invalid)?;
        if config.num_beams == 0 {
            return Err(Error::Invalid("num-beams must be at least 1".into()));
        }
        let prompt = if prompt.is_empty() { vec![self.bos_id()] } else { prompt.to_vec() };
        self.check_ids(&prompt)?;
        if config.num_beams > 1 { self.beam_search(&prompt, config) } else { self.sample(&prompt, config) }
    }

    fn sample(&self, prompt: &[u32], config: &GenerationConfig) -> Result<Generation> {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mut cache = self.new_cache();
        let mut seen = prompt.to_vec();
        let mut generated = Vec::new();
        let mut input = prompt.to_vec();
        let eos = self.eos_id();
        loop {
            if generated.len() >= config.max_new_tokens {
                return self.finish(generated, StopReason::MaxTokens, config);
            }
            if seen.len() >= self.config.n_positions {
                return self.finish(generated, StopReason::Context, config);
            }
            let mut logits = self.next_logits(&[input], &mut cache).remove(0);
            let token = config.sampler.pick(&mut logits, &seen, &mut rng);
            if Some(token) == eos {
                return self.finish(generated, StopReason::Eos, config);
            }
            generated.push(token);
            seen.push(token);
            if self.stop_at(&generated, config)?.is_some() {
                return self.finish(generated, StopReason::Stop, config);
            }
            input = vec![token];
        }
    }

    /// Beam search: keeps the `num_beams` best partial continuations by total log-probability,
    /// moves finished ones (EOS, stop sequence) aside, and returns the best finished one by
    /// length-normalised score.
    fn beam_search(&self, prompt: &[u32], config: &GenerationConfig) -> Result<Generation> {
        let num_beams = config.num_beams;
        let eos = self.eos_id();
        let mut cache = self.new_cache();
        let mut beams: Vec<Beam> = vec![Beam { ids: Vec::new(), logprob: 0.0 }];
        let mut finished: Vec<(f64, Beam, StopReason)> = Vec::new();
        let normalised = |beam: &Beam, len: usize| beam.logprob / (len.max(1) as f64).powf(config.length_penalty as f64);
        let mut inputs: Vec<Vec<u32>> = vec![prompt.to_vec()];
        let mut reason = StopReason::MaxTokens; // of the beams still live at the end
        for step in 0..config.max_new_tokens {
            if prompt.len() + step >= self.config.n_positions {
                reason = StopReason::Context;
                break;
            }
            let logits = self.next_logits(&inputs, &mut cache);
            let mut candidates: Vec<(f64, usize, u32)> = Vec::new();
            for (b, mut row) in logits.into_iter().enumerate() {
                let penalty = config.sampler.repetition_penalty;
                if penalty != 1.0 {
                    apply_repetition_penalty(&mut row, &[prompt, &beams[b].ids].concat(), penalty);
                }
                let logp = log_softmax(&row);
                let mut best: Vec<(f64, u32)> = logp.iter().enumerate().map(|(t, &l)| (l, t as u32)).collect();
                let keep = (2 * num_beams).min(best.len());
                best.select_nth_unstable_by(keep - 1, |a, b| b.0.total_cmp(&a.0));
                best.truncate(keep);
                candidates.extend(best.into_iter().map(|(l, t)| (beams[b].logprob + l, b, t)));
            }
            candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            let mut next: Vec<Beam> = Vec::with_capacity(num_beams);
            let mut origins = Vec::with_capacity(num_beams);
            for (logprob, origin, token) in candidates {
                if next.len() == num_beams {
                    break;
                }
                let mut ids = beams[origin].ids.clone();
                if Some(token) == eos {
                    let beam = Beam { ids, logprob };
                    finished.push((normalised(&beam, step + 1), beam, StopReason::Eos));
                    continue;
                }
                ids.push(token);
                let beam = Beam { ids, logprob };
                if self.stop_at(&beam.ids, config)?.is_some() {
                    finished.push((normalised(&beam, step + 1), beam, StopReason::Stop));
                    continue;
                }
                next.push(beam);
                origins.push(origin);
            }
            let best_live = next.first().map(|b| normalised(b, step + 1));
            let worst_kept = worst_of_best(&finished, num_beams);
            if next.is_empty() || matches!((best_live, worst_kept), (Some(live), Some(worst)) if live <= worst) {
                // No live beam can beat the finished ones any more.
                beams = Vec::new();
                break;
            }
            cache.select_rows(&origins);
            inputs = next.iter().map(|b| vec![*b.ids.last().expect("live beams are non-empty")]).collect();
            beams = next;
        }
        for beam in beams {
            let len = beam.ids.len();
            finished.push((normalised(&beam, len), beam, reason));
        }
        let (_, best, reason) = finished.into_iter().max_by(|a, b| a.0.total_cmp(&b.0)).expect("beam search keeps at least one hypothesis");
        self.finish(best.ids, reason, config)
    }

    /// Byte offset in the decoded `generated` text where a stop sequence begins, if any.
    fn stop_at(&self, generated: &[u32], config: &GenerationConfig) -> Result<Option<usize>> {
        if config.stop.is_empty() {
            return Ok(None);
        }
        let text = self.tokenizer.decode(generated)?;
        Ok(config.stop.iter().filter(|s| !s.is_empty()).filter_map(|s| text.find(s.as_str())).min())
    }

    fn finish(&self, ids: Vec<u32>, stop_reason: StopReason, config: &GenerationConfig) -> Result<Generation> {
        let mut text = self.tokenizer.decode(&ids)?;
        if let Some(at) = self.stop_at(&ids, config)? {
            text.truncate(at);
        }
        Ok(Generation { text, ids, stop_reason })
    }
}

#[derive(Debug, Clone)]
struct Beam {
    ids: Vec<u32>,
    logprob: f64,
}

/// The lowest score among the `n` best finished hypotheses, once there are `n` of them.
fn worst_of_best(finished: &[(f64, Beam, StopReason)], n: usize) -> Option<f64> {
    if finished.len() < n {
        return None;
    }
    let mut scores: Vec<f64> = finished.iter().map(|f| f.0).collect();
    scores.sort_by(|a, b| b.total_cmp(a));
    Some(scores[n - 1])
}
