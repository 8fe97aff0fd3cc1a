//! Training a GPT-2 with burn's autodiff: next-token cross-entropy over packed windows,
//! AdamW with decoupled weight decay, gradient clipping, linear warm-up then cosine decay.
//!
//! A [`Trainer`] advances one step at a time, so the caller owns the loop (progress bar,
//! evaluation and checkpoint cadence). [`Trainer::save_checkpoint`] writes the weights and the
//! optimizer state in burn's own format (which keeps parameter identities, so the AdamW
//! moments find their parameters again) plus the step; [`Trainer::resume`] continues from
//! there with identical state. Dropout is not applied.

use std::path::{Path, PathBuf};

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::Gpt2Config;
use crate::data::{BatchOrder, TokenWindows};
use crate::error::{Error, Result};
use crate::model::{Batch, Gpt2Model};

/// Optimisation settings. Saved with every checkpoint; a resumed run keeps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    /// Optimiser steps in the whole run.
    pub steps: usize,
    /// Windows per step.
    pub batch_size: usize,
    /// Peak learning rate, reached at the end of the warm-up.
    pub learning_rate: f64,
    /// Steps of linear warm-up from `learning_rate / warmup_steps`.
    pub warmup_steps: usize,
    /// The cosine decay ends at `learning_rate * min_lr_ratio`.
    pub min_lr_ratio: f64,
    pub weight_decay: f32,
    /// Largest L2 norm of each parameter's gradient.
    pub grad_clip_norm: f32,
    /// Seeds the initial weights (when not fine-tuning), the split and the batch order.
    pub seed: u64,
}

impl TrainSettings {
    /// Defaults for `steps` steps of `batch_size` windows.
    pub fn new(steps: usize, batch_size: usize, learning_rate: f64, seed: u64) -> Self {
        Self {
            steps,
            batch_size,
            learning_rate,
            warmup_steps: (steps / 20).clamp(1, 500),
            min_lr_ratio: 0.1,
            weight_decay: 0.01,
            grad_clip_norm: 1.0,
            seed,
        }
    }

    /// The learning rate of step `step` (0-based).
    pub fn learning_rate_at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.learning_rate * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let decay_steps = self.steps.saturating_sub(self.warmup_steps).max(1);
        let progress = ((step - self.warmup_steps) as f64 / decay_steps as f64).min(1.0);
        let min = self.learning_rate * self.min_lr_ratio;
        min + (self.learning_rate - min) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

/// The version of `trainer.json` this crate writes and reads.
pub const CHECKPOINT_FORMAT: u32 = 1;

/// What a checkpoint records besides tensors.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointState {
    /// [`CHECKPOINT_FORMAT`] when written; checked on resume.
    pub format: u32,
    pub step: usize,
    pub settings: TrainSettings,
    pub config: Gpt2Config,
    /// [`crate::data::TrainingData::fingerprint`] of the data trained on.
    pub data_fingerprint: u64,
}

const STATE_FILE: &str = "trainer.json";
const MODEL_FILE: &str = "model.bpk";
const OPTIMIZER_FILE: &str = "optimizer.bpk";

/// A model being trained on an autodiff device.
pub struct Trainer {
    pub config: Gpt2Config,
    pub settings: TrainSettings,
    model: Gpt2Model,
    optimizer: ModuleOptimizer,
    loss: CrossEntropyLoss,
    order: BatchOrder,
    step: usize,
    data_fingerprint: u64,
    device: Device,
}

impl Trainer {
    /// Starts training `model` (fresh from [`Gpt2Model::init`] or a checkpoint to fine-tune)
    /// on `device`, which must be an autodiff device (`Device::flex().autodiff()`).
    pub fn new(
        config: Gpt2Config,
        model: Gpt2Model,
        settings: TrainSettings,
        train: &TokenWindows,
        data_fingerprint: u64,
        device: &Device,
    ) -> Result<Self> {
        if settings.steps == 0 || settings.batch_size == 0 {
            return Err(Error::Invalid("training needs at least one step and a batch of at least one window".into()));
        }
        if train.context() > config.n_positions {
            return Err(Error::Invalid(format!("--context {} is longer than the model's n_positions {}", train.context(), config.n_positions)));
        }
        let optimizer = AdamWConfig::new()
            .with_weight_decay(settings.weight_decay)
            .with_epsilon(1e-8)
            .with_beta_2(0.95)
            .with_grad_clipping(Some(GradientClippingConfig::Norm(settings.grad_clip_norm)))
            .init();
        Ok(Self {
            order: BatchOrder::new(settings.seed, train.len()),
            loss: CrossEntropyLossConfig::new().init(device),
            model: model.for_training(),
            config,
            settings,
            optimizer,
            step: 0,
            data_fingerprint,
            device: device.clone(),
        })
    }

    /// Steps done so far.
    pub fn step(&self) -> usize {
        self.step
    }

    pub fn is_done(&self) -> bool {
        self.step >= self.settings.steps
    }

    /// One optimiser step on the next batch; returns its mean training loss.
    pub fn train_step(&mut self, train: &TokenWindows) -> f32 {
        let indices = self.order.batch(self.step, self.settings.batch_size);
        let windows: Vec<&[u32]> = indices.iter().map(|&i| train.window(i)).collect();
        let loss = Self::batch_loss(&self.model, &self.loss, &windows, &self.device);
        let value = loss.clone().into_scalar::<f32>();
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        let learning_rate = self.settings.learning_rate_at(self.step);
        self.model = self.optimizer.step(learning_rate, self.model.clone(), grads);
        self.step += 1;
        value
    }

    /// Mean next-token loss over the first `max_windows` windows of `data` (all of them with
    /// `usize::MAX`); `exp` of it is the perplexity.
    pub fn evaluate(&self, data: &TokenWindows, max_windows: usize) -> f32 {
        evaluate(&self.model.valid(), data, max_windows, self.settings.batch_size, |_| {})
    }

    /// The model as trained so far, for inference (no autodiff).
    pub fn model(&self) -> Gpt2Model {
        self.model.valid()
    }

    /// Writes `trainer.json`, `model.bpk` and `optimizer.bpk` into `dir` (created if needed),
    /// through temporary names so that an interrupted save leaves the previous checkpoint whole.
    pub fn save_checkpoint(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let temp = |name: &str| dir.join(format!("{name}.tmp"));
        let record_error = |path: &Path, e: burn::store::RecordError| Error::Weights { path: path.into(), message: e.to_string() };
        self.model.clone().save_file(temp(MODEL_FILE)).map_err(|e| record_error(&temp(MODEL_FILE), e))?;
        self.optimizer.save(temp(OPTIMIZER_FILE)).map_err(|e| record_error(&temp(OPTIMIZER_FILE), e))?;
        let state = CheckpointState {
            format: CHECKPOINT_FORMAT,
            step: self.step,
            settings: self.settings.clone(),
            config: self.config.clone(),
            data_fingerprint: self.data_fingerprint,
        };
        let json = serde_json::to_string_pretty(&state).expect("checkpoint state serializes");
        std::fs::write(temp(STATE_FILE), json).map_err(|e| Error::io(temp(STATE_FILE), e))?;
        for name in [MODEL_FILE, OPTIMIZER_FILE, STATE_FILE] {
            std::fs::rename(temp(name), dir.join(name)).map_err(|e| Error::io(dir.join(name), e))?;
        }
        Ok(())
    }

    /// Reads the state of a checkpoint directory without loading tensors.
    pub fn checkpoint_state(dir: &Path) -> Result<CheckpointState> {
        let path = dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::MissingFile { path: path.clone(), what: "a training checkpoint to resume from" },
            _ => Error::io(&path, e),
        })?;
        let state: CheckpointState = serde_json::from_str(&text).map_err(|e| Error::Config { path: path.clone(), message: e.to_string() })?;
        if state.format != CHECKPOINT_FORMAT {
            let message = format!("checkpoint format {} — this deskbot resumes format {CHECKPOINT_FORMAT}; start the training afresh", state.format);
            return Err(Error::Config { path, message });
        }
        Ok(state)
    }

    /// Continues from a checkpoint written by [`Trainer::save_checkpoint`]. The data must be
    /// the data it was trained on (same fingerprint).
    pub fn resume(dir: &Path, train: &TokenWindows, data_fingerprint: u64, device: &Device) -> Result<Self> {
        let state = Self::checkpoint_state(dir)?;
        if state.data_fingerprint != data_fingerprint {
            return Err(Error::Invalid(format!(
                "{}: this checkpoint was trained on other data (corpus, tokenizer, --context or --seed changed); \
                 resume with the same corpus and options, or start afresh",
                dir.display()
            )));
        }
        let weights: PathBuf = dir.join(MODEL_FILE);
        let model = Gpt2Model::init(&state.config, device)
            .try_load_file(&weights)
            .map_err(|e| Error::Weights { path: weights.clone(), message: e.to_string() })?;
        let mut trainer = Self::new(state.config, model, state.settings, train, data_fingerprint, device)?;
        let optimizer_path = dir.join(OPTIMIZER_FILE);
        trainer.optimizer = trainer.optimizer.load(&optimizer_path).map_err(|e| Error::Weights { path: optimizer_path, message: e.to_string() })?;
        trainer.step = state.step;
        Ok(trainer)
    }

    fn batch_loss(model: &Gpt2Model, loss: &CrossEntropyLoss, windows: &[&[u32]], device: &Device) -> Tensor<1> {
        let inputs: Vec<Vec<u32>> = windows.iter().map(|w| w[..w.len() - 1].to_vec()).collect();
        let targets: Vec<i64> = windows.iter().flat_map(|w| w[1..].iter().map(|&t| t as i64)).collect();
        let hidden = model.forward(Batch::dense(&inputs, 0, device), None);
        let [rows, seq, _] = hidden.dims();
        let logits = model.logits(hidden);
        let vocab = logits.dims()[2];
        let targets = Tensor::from_data(TensorData::new(targets, [rows * seq]), device);
        loss.forward(logits.reshape([rows * seq, vocab]), targets)
    }
}

/// Mean next-token loss of `model` over the first `max_windows` windows of `data`, in batches;
/// `progress` hears how many windows each batch covered.
pub fn evaluate(model: &Gpt2Model, data: &TokenWindows, max_windows: usize, batch_size: usize, mut progress: impl FnMut(usize)) -> f32 {
    let device = model.wte.weight.device();
    let loss = CrossEntropyLossConfig::new().init(&device);
    let count = data.len().min(max_windows);
    let (mut total, mut counted) = (0.0f64, 0usize);
    let indices: Vec<usize> = (0..count).collect();
    for chunk in indices.chunks(batch_size.max(1)) {
        let windows: Vec<&[u32]> = chunk.iter().map(|&i| data.window(i)).collect();
        let value = Trainer::batch_loss(model, &loss, &windows, &device).into_scalar::<f32>();
        total += f64::from(value) * chunk.len() as f64;
        counted += chunk.len();
        progress(chunk.len());
    }
    (total / counted.max(1) as f64) as f32
}
