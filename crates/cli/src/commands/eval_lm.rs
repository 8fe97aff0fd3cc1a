//! `deskbot eval lm`: a model's perplexity on a corpus, and how fast it reads it.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use gpt2::data::{TokenWindows, read_documents};
use gpt2::tokenizer::END_OF_TEXT;
use indicatif::{ProgressBar, ProgressStyle};

use super::{BackendArg, load_model, print_line};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model directory (HF layout)
    #[arg(long)]
    model: PathBuf,
    /// Text to score: .jsonl ({"text"} per line) or documents separated by blank lines
    #[arg(long)]
    data: PathBuf,
    /// Tokens per window [default: the model's n_positions, at most 1024]
    #[arg(long)]
    context: Option<usize>,
    /// Windows per forward pass
    #[arg(long, default_value_t = 8)]
    batch: usize,
    #[command(flatten)]
    backend: BackendArg,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let model = load_model(&args.model, args.backend.backend)?;
    let documents = read_documents(&args.data)?;
    if documents.is_empty() {
        bail!("{}: no text to evaluate on", args.data.display());
    }
    let context = args.context.unwrap_or(model.config.n_positions.min(1024));
    if context < 1 || context > model.config.n_positions {
        bail!("--context {context}: must be between 1 and the model's n_positions ({})", model.config.n_positions);
    }
    let eos = model.eos_id().or_else(|| model.tokenizer.token_id(END_OF_TEXT)).context("the model has no end-of-text token")?;
    let mut stream = Vec::new();
    for document in &documents {
        stream.extend(model.tokenizer.encode(document)?);
        stream.push(eos);
    }
    let windows = TokenWindows::new(stream, context);
    if windows.is_empty() {
        bail!("{}: {} tokens, fewer than one window of {} + 1", args.data.display(), windows.tokens(), context);
    }
    let bar = ProgressBar::new(windows.len() as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} windows ETA {eta}").expect("template"))
        .with_message("scoring");
    let started = Instant::now();
    let loss = gpt2::training::evaluate(&model.model, &windows, usize::MAX, args.batch, |n| bar.inc(n as u64));
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let scored = windows.len() * context;
    print_line(&format!(
        "{}: perplexity {:.2} (mean loss {loss:.4}) over {scored} tokens in {} windows of {context}; {:.0} tokens/s",
        args.data.display(),
        loss.exp(),
        windows.len(),
        scored as f64 / seconds.max(1e-9)
    ))
}
