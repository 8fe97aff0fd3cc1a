//! `deskbot train-lm`: a byte-level BPE tokenizer and a GPT-2, trained from domain text.
//!
//! Everything is written under `OUT.partial/` (tokenizer first, checkpoints as training goes)
//! and renamed to `OUT` only when the final model is complete, so an interrupted or failed
//! run never leaves a half-written model where one is expected; `--resume` continues it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use burn::prelude::*;
use gpt2::tokenizer::END_OF_TEXT;
use gpt2::training::evaluate;
use gpt2::{Gpt2, Gpt2Config, Gpt2Model, Gpt2Tokenizer, TrainSettings, Trainer, TrainingData};
use indicatif::{ProgressBar, ProgressStyle};

use super::{BackendArg, print_line, publish, staging_dir};

#[derive(clap::Args, Debug)]
#[command(after_help = "Example (the bundled model, see README):\n  \
    deskbot corpus --domain intents --templates templates --out target/corpus.txt\n  \
    deskbot train-lm --corpus target/corpus.txt --out models/deskbot-mini --steps 3000")]
pub struct Args {
    /// Corpus files or directories: .jsonl (one {"text"} per line) or text (documents separated by a blank line)
    #[arg(long, required = true, num_args = 1..)]
    corpus: Vec<PathBuf>,
    /// Where the model goes (config.json, model.safetensors, tokenizer.json, training.json)
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    shape: ModelShape,
    /// Optimiser steps [default: one epoch]
    #[arg(long, conflicts_with = "epochs")]
    steps: Option<usize>,
    /// Passes over the training windows
    #[arg(long)]
    epochs: Option<f64>,
    /// Peak learning rate (after warm-up; cosine decay to a tenth of it)
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Fine-tune this GPT-2 checkpoint (HF layout) and keep its tokenizer and shape
    #[arg(long)]
    init: Option<PathBuf>,
    /// Continue the interrupted run in OUT.partial from its last checkpoint (its saved settings apply)
    #[arg(long)]
    resume: bool,
    /// Replace OUT if it exists
    #[arg(long)]
    force: bool,
    /// Seeds the weights, the validation split and the batch order
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Share of the documents held out for validation
    #[arg(long, default_value_t = 0.05)]
    validation: f64,
    /// Steps between checkpoints
    #[arg(long, default_value_t = 250)]
    checkpoint_every: usize,
    /// Validation windows used for the running perplexity (the final one uses all)
    #[arg(long, default_value_t = 32)]
    eval_windows: usize,
    #[command(flatten)]
    backend: BackendArg,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let staging = staging_dir(&args.out);
    check_destination(&args, &staging)?;
    let documents = read_corpus(&args.corpus)?;
    let result = train(&args, &staging, &documents);
    // A run that failed before its first checkpoint has nothing to resume: leave no trace.
    if result.is_err() && !args.resume && !staging.join("checkpoint").exists() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn train(args: &Args, staging: &Path, documents: &[String]) -> anyhow::Result<()> {
    let selected = args.backend.backend.device()?;
    let device = selected.device.autodiff();
    std::fs::create_dir_all(staging).with_context(|| format!("creating {}", staging.display()))?;

    let (tokenizer, init) = tokenizer_and_init(args, staging, documents, &device)?;
    tokenizer.save(staging)?;
    let eos =
        tokenizer.token_id(END_OF_TEXT).with_context(|| format!("{}: the tokenizer has no {END_OF_TEXT} token", tokenizer.source().display()))?;
    let data = tokenize(&tokenizer, documents, eos, args)?;
    let checkpoint = staging.join("checkpoint");
    let mut trainer = if args.resume {
        Trainer::resume(&checkpoint, &data.train, data.fingerprint(), &device)?
    } else {
        new_trainer(args, init, &tokenizer, eos, &data, &device)?
    };
    print_line(&format!(
        "training {} parameters ({} layers, dim {}, {} heads, vocab {}) on {}: {} training windows ({} tokens), {} validation windows; {} steps of {} windows{}",
        trainer.config.num_params(),
        trainer.config.n_layer,
        trainer.config.n_embd,
        trainer.config.n_head,
        trainer.config.vocab_size,
        selected.name,
        data.train.len(),
        data.train.tokens(),
        data.validation.len(),
        trainer.settings.steps,
        trainer.settings.batch_size,
        if trainer.step() > 0 { format!(", resuming at step {}", trainer.step()) } else { String::new() },
    ))?;

    let started = Instant::now();
    let trained_tokens = train_loop(&mut trainer, &data, &checkpoint, args)?;
    let seconds = started.elapsed().as_secs_f64();
    let model = trainer.model();
    let bar = progress_bar(data.validation.len() as u64, "{msg} {bar:30} {pos}/{len} windows ETA {eta}", "validation");
    let validation_loss = evaluate(&model, &data.validation, usize::MAX, trainer.settings.batch_size, |n| bar.inc(n as u64));
    bar.finish_and_clear();
    finish(args, staging, &checkpoint, trainer, model, tokenizer, &data, validation_loss, seconds, trained_tokens)
}

/// The model's shape and batch, shared by `train-lm` and `bench train`.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelShape {
    /// Vocabulary size (train-lm: of the tokenizer it trains; ignored with --init)
    #[arg(long, default_value_t = 8000)]
    pub vocab_size: usize,
    /// Transformer blocks
    #[arg(long, default_value_t = 4)]
    pub layers: usize,
    /// Hidden width (n_embd)
    #[arg(long, default_value_t = 256)]
    pub dim: usize,
    /// Attention heads
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    /// Tokens per training window (and the model's n_positions)
    #[arg(long, default_value_t = 128)]
    pub context: usize,
    /// Windows per step
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
}

impl ModelShape {
    /// A GPT-2 config of this shape over `vocab_size` ids.
    pub fn config(&self, vocab_size: usize) -> Gpt2Config {
        Gpt2Config::with_shape(vocab_size, self.context, self.dim, self.layers, self.heads)
    }
}

fn check_destination(args: &Args, staging: &Path) -> anyhow::Result<()> {
    if args.out.exists() && !args.force {
        bail!("{} already exists; choose another --out, or pass --force to replace it", args.out.display());
    }
    if args.resume && !staging.join("checkpoint").is_dir() {
        bail!("--resume: {} has no checkpoint to continue from", staging.display());
    }
    if !args.resume && staging.exists() {
        bail!("{} is left from an unfinished run; pass --resume to continue it, or remove it to start afresh", staging.display());
    }
    if args.shape.context < 2 {
        bail!("--context must be at least 2");
    }
    Ok(())
}

/// All documents of the corpus paths (directories: their files, sorted by name).
fn read_corpus(paths: &[PathBuf]) -> anyhow::Result<Vec<String>> {
    let mut documents = Vec::new();
    for path in paths {
        let files = if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            files
        } else {
            vec![path.clone()]
        };
        for file in files {
            let found = gpt2::data::read_documents(&file)?;
            if found.is_empty() {
                bail!("{}: the corpus file has no text", file.display());
            }
            documents.extend(found);
        }
    }
    if documents.is_empty() {
        bail!("the corpus is empty ({} given)", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    Ok(documents)
}

/// The tokenizer (kept from --init, reloaded on --resume, else trained) and the model to
/// fine-tune, if any.
fn tokenizer_and_init(args: &Args, staging: &Path, documents: &[String], device: &Device) -> anyhow::Result<(Gpt2Tokenizer, Option<Gpt2>)> {
    if let Some(dir) = &args.init {
        let model = Gpt2::load(dir, device).with_context(|| format!("--init {}: not a GPT-2 checkpoint", dir.display()))?;
        return Ok((model.tokenizer.clone(), Some(model)));
    }
    if args.resume {
        return Ok((Gpt2Tokenizer::from_dir(staging)?, None));
    }
    let spinner = ProgressBar::new_spinner().with_message(format!("training a {}-token BPE on {} documents", args.shape.vocab_size, documents.len()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let tokenizer = Gpt2Tokenizer::train(documents, args.shape.vocab_size);
    spinner.finish_and_clear();
    Ok((tokenizer?, None))
}

fn tokenize(tokenizer: &Gpt2Tokenizer, documents: &[String], eos: u32, args: &Args) -> anyhow::Result<TrainingData> {
    let bar = progress_bar(documents.len() as u64, "{msg} {bar:30} {pos}/{len} documents", "tokenizing");
    let ids = documents
        .iter()
        .map(|d| {
            bar.inc(1);
            tokenizer.encode(d)
        })
        .collect::<Result<Vec<_>, _>>()?;
    bar.finish_and_clear();
    Ok(TrainingData::split(&ids, eos, args.shape.context, args.validation, args.seed)?)
}

fn new_trainer(
    args: &Args,
    init: Option<Gpt2>,
    tokenizer: &Gpt2Tokenizer,
    eos: u32,
    data: &TrainingData,
    device: &Device,
) -> anyhow::Result<Trainer> {
    device.seed(args.seed);
    let (config, model) = match init {
        Some(pretrained) => (pretrained.config, pretrained.model),
        None => {
            let mut config = args.shape.config(tokenizer.vocab_size());
            config.bos_token_id = Some(eos);
            config.eos_token_id = Some(eos);
            config.validate().map_err(|e| anyhow::anyhow!("model shape: {e}"))?;
            let model = Gpt2Model::init(&config, device);
            (config, model)
        }
    };
    let steps_per_epoch = data.train.len().div_ceil(args.shape.batch.max(1));
    let steps = match (args.steps, args.epochs) {
        (Some(steps), _) => steps,
        (None, Some(epochs)) if epochs > 0.0 => ((epochs * steps_per_epoch as f64).ceil() as usize).max(1),
        (None, Some(epochs)) => bail!("--epochs {epochs}: must be more than 0"),
        (None, None) => steps_per_epoch,
    };
    let settings = TrainSettings::new(steps, args.shape.batch, args.lr, args.seed);
    Ok(Trainer::new(config, model, settings, &data.train, data.fingerprint(), device)?)
}

/// Runs the remaining steps with a progress bar; returns the tokens trained on in this run.
fn train_loop(trainer: &mut Trainer, data: &TrainingData, checkpoint: &Path, args: &Args) -> anyhow::Result<usize> {
    let total = trainer.settings.steps as u64;
    let bar = progress_bar(total, "{bar:30} step {pos}/{len} {msg} ETA {eta}", "");
    bar.set_position(trainer.step() as u64);
    let tokens_per_step = trainer.settings.batch_size * data.train.context();
    let eval_every = (trainer.settings.steps / 20).clamp(1, 200);
    let (started, first_step) = (Instant::now(), trainer.step());
    let (mut smoothed, mut validation_ppl) = (None::<f32>, f32::NAN);
    while !trainer.is_done() {
        let loss = trainer.train_step(&data.train);
        if !loss.is_finite() {
            bail!("the loss became {loss} at step {}; lower --lr", trainer.step());
        }
        smoothed = Some(smoothed.map_or(loss, |s| 0.9 * s + 0.1 * loss));
        let step = trainer.step();
        if step.is_multiple_of(eval_every) || trainer.is_done() {
            validation_ppl = trainer.evaluate(&data.validation, args.eval_windows).exp();
        }
        if step.is_multiple_of(args.checkpoint_every.max(1)) && !trainer.is_done() {
            trainer.save_checkpoint(checkpoint)?;
        }
        let tokens_per_second = ((step - first_step) * tokens_per_step) as f64 / started.elapsed().as_secs_f64();
        bar.set_message(format!("loss {:.3} val ppl {validation_ppl:.1} {tokens_per_second:.0} tok/s", smoothed.unwrap_or(loss)));
        bar.set_position(step as u64);
    }
    bar.finish_and_clear();
    Ok((trainer.step() - first_step) * tokens_per_step)
}

#[allow(clippy::too_many_arguments)]
fn finish(
    args: &Args,
    staging: &Path,
    checkpoint: &Path,
    trainer: Trainer,
    model: Gpt2Model,
    tokenizer: Gpt2Tokenizer,
    data: &TrainingData,
    validation_loss: f32,
    seconds: f64,
    trained_tokens: usize,
) -> anyhow::Result<()> {
    let cpu = Device::flex();
    let steps = trainer.settings.steps;
    let summary = serde_json::json!({
        "corpus": args.corpus.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "train_windows": data.train.len(),
        "train_tokens": data.train.tokens(),
        "validation_tokens": data.validation.tokens(),
        "context": data.train.context(),
        "settings": trainer.settings,
        "validation_loss": validation_loss,
        "validation_perplexity": validation_loss.exp(),
        "seconds_this_run": seconds,
        "tokens_per_second": trained_tokens as f64 / seconds.max(1e-9),
        "fine_tuned_from": args.init.as_ref().map(|p| p.display().to_string()),
    });
    let gpt2 = Gpt2::new(trainer.config.clone(), model.to_device(&cpu), tokenizer, cpu)?;
    gpt2.save(staging)?;
    std::fs::write(staging.join("training.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
    std::fs::remove_dir_all(checkpoint).or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) })?;
    publish(staging, &args.out)?;
    print_line(&format!(
        "done: {steps} steps in {seconds:.0} s ({:.0} tokens/s); validation perplexity {:.2}; model in {}",
        trained_tokens as f64 / seconds.max(1e-9),
        validation_loss.exp(),
        args.out.display()
    ))
}

fn progress_bar(len: u64, template: &str, message: &'static str) -> ProgressBar {
    ProgressBar::new(len).with_style(ProgressStyle::with_template(template).expect("template")).with_message(message)
}
