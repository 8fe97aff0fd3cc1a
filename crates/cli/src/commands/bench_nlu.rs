//! `deskbot bench nlu`: how long the recognizer takes to train on labelled data, and the
//! latency of `parse` once trained (p50 / p99 over the data's utterances).

use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use nlu::Parser;
use nlu::eval::{domain_from_examples, load_jsonl};

use super::{Gpt2FeaturesArg, describe_encoder_choice, print_line};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Labelled utterances ({"text", "intent"} JSON lines), e.g. ../shared/data/banking77/train.jsonl
    #[arg(long)]
    train: PathBuf,
    /// Utterances parsed for the latency figures (the first N of the file)
    #[arg(long, default_value_t = 2000)]
    parses: usize,
    #[command(flatten)]
    gpt2: Gpt2FeaturesArg,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let examples = load_jsonl(&args.train)?;
    let domain = domain_from_examples(&examples, 0.0);
    let encoder = args.gpt2.encoder()?;
    let spinner = ProgressBar::new_spinner().with_message(format!("training on {} utterances", examples.len()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(120));
    let started = Instant::now();
    let parser = Parser::train_with(&domain, encoder)?;
    let training = started.elapsed().as_secs_f64();
    spinner.finish_and_clear();
    if let Some(choice) = parser.encoder_choice() {
        print_line(&describe_encoder_choice(choice))?;
    }
    let texts: Vec<&str> = examples.iter().take(args.parses).map(|e| e.text.as_str()).collect();
    let bar = ProgressBar::new(texts.len() as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:30} {pos}/{len}").expect("template"))
        .with_message("parsing");
    let mut micros: Vec<f64> = texts
        .iter()
        .map(|text| {
            let started = Instant::now();
            std::hint::black_box(parser.parse(text));
            bar.inc(1);
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    bar.finish_and_clear();
    micros.sort_by(f64::total_cmp);
    let percentile = |q: f64| super::bench::percentile(&micros, q).unwrap_or(0.0);
    print_line("| data | utterances | intents | training s | parse p50 µs | parse p99 µs |")?;
    print_line("|---|---|---|---|---|---|")?;
    print_line(&format!(
        "| {} | {} | {} | {training:.1} | {:.0} | {:.0} |",
        args.train.display(),
        examples.len(),
        domain.intents.len(),
        percentile(0.5),
        percentile(0.99)
    ))
}
