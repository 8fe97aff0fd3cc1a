//! `deskbot bench train`: language-model training speed (tokens/s) per backend, on random
//! tokens, for a given shape (default: `train-lm`'s).

use std::time::Instant;

use gpt2::{Backend, Gpt2Model, TokenWindows, TrainSettings, Trainer};
use indicatif::{ProgressBar, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::print_line;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    shape: super::train_lm::ModelShape,
    /// Timed steps per backend (after one untimed warm-up step)
    #[arg(long, default_value_t = 5)]
    steps: usize,
    /// Backends to compare
    #[arg(long, value_delimiter = ',', default_value = "cpu,wgpu")]
    backends: Vec<Backend>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let shape = &args.shape;
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let tokens: Vec<u32> = (0..(args.steps + 1) * shape.batch * shape.context + 1).map(|_| rng.random_range(0..shape.vocab_size as u32)).collect();
    let windows = TokenWindows::new(tokens, shape.context);
    let config = shape.config(shape.vocab_size);
    let mut rows = Vec::new();
    for backend in &args.backends {
        let selected = backend.device()?;
        let device = selected.device.autodiff();
        let settings = TrainSettings::new(args.steps + 1, shape.batch, 1e-4, 0);
        let mut trainer = Trainer::new(config.clone(), Gpt2Model::init(&config, &device), settings, &windows, 0, &device)?;
        let bar = ProgressBar::new(args.steps as u64 + 1)
            .with_style(ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} steps").expect("template"))
            .with_message(selected.name.clone());
        trainer.train_step(&windows);
        bar.inc(1);
        let started = Instant::now();
        while !trainer.is_done() {
            trainer.train_step(&windows);
            bar.inc(1);
        }
        let seconds = started.elapsed().as_secs_f64();
        bar.finish_and_clear();
        let tokens = (args.steps * shape.batch * shape.context) as f64;
        rows.push((selected.name, seconds * 1000.0 / args.steps as f64, tokens / seconds));
    }
    print_line(&format!(
        "GPT-2 training, {} parameters ({} layers, dim {}, {} heads, vocab {}), {} windows × {} tokens per step",
        config.num_params(),
        shape.layers,
        shape.dim,
        shape.heads,
        shape.vocab_size,
        shape.batch,
        shape.context
    ))?;
    print_line("| backend | ms/step | tokens/s | vs first |")?;
    print_line("|---|---|---|---|")?;
    let first = rows.first().map_or(1.0, |r| r.2);
    for (name, ms, tokens_per_second) in &rows {
        print_line(&format!("| {name} | {ms:.0} | {tokens_per_second:.0} | {:.2}x |", tokens_per_second / first))?;
    }
    Ok(())
}
