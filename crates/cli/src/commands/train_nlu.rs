//! `deskbot train nlu`: trains the intent recognizer and saves it as a versioned model.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::bail;
use indicatif::{ProgressBar, ProgressStyle};
use nlu::calibration::Calibration;
use nlu::eval::{Example, domain_from_examples, load_jsonl};
use nlu::slots::{SlotSpan, SlotTagger};
use nlu::{NluDomain, Parser};

use super::{Gpt2FeaturesArg, describe_encoder_choice, print_line, publish, staging_dir};

#[derive(clap::Subcommand, Debug)]
pub enum Train {
    /// Train the intent recognizer on a domain (nlu.ron) or labelled JSON lines, and save it
    Nlu(NluArgs),
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    deskbot train nlu --domain intents --out target/nlu-model\n  \
    deskbot train nlu --data ../shared/data/banking77/train.jsonl --out target/banking77-nlu\n  \
    deskbot train nlu --domain intents --gpt2 models/deskbot-mini --out target/nlu-gpt2\n  \
    deskbot parse --model target/nlu-model 'where is my order 12345?'")]
pub struct NluArgs {
    /// Domain directory with nlu.ron (intents, examples, entities)
    #[arg(long, conflicts_with = "data", required_unless_present = "data")]
    domain: Option<PathBuf>,
    /// Labelled utterances, one {"text", "intent"} JSON object per line (with "slots", a slot tagger is trained too)
    #[arg(long)]
    data: Option<PathBuf>,
    /// With --data: below this confidence an utterance is out of scope [default: 0]; a domain
    /// uses its own `oos_threshold`
    #[arg(long, conflicts_with = "domain")]
    oos_threshold: Option<f32>,
    /// Model directory to write (nlu.json, weights.safetensors)
    #[arg(long)]
    out: PathBuf,
    /// Replace OUT if it exists
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    gpt2: Gpt2FeaturesArg,
}

pub fn run(train: Train) -> anyhow::Result<()> {
    let Train::Nlu(args) = train;
    if args.out.exists() && !args.force {
        bail!("{} already exists; choose another --out, or pass --force to replace it", args.out.display());
    }
    let (domain, labelled): (NluDomain, Vec<Example>) = match (&args.domain, &args.data) {
        (Some(dir), None) => (NluDomain::load(&dir.join("nlu.ron"))?, Vec::new()),
        (None, Some(file)) => {
            let examples = load_jsonl(file)?;
            (domain_from_examples(&examples, args.oos_threshold.unwrap_or(0.0)), examples)
        }
        _ => bail!("give --domain DIR or --data FILE.jsonl"),
    };
    let examples: usize = domain.intents.values().map(|i| i.examples.len()).sum();
    if examples == 0 {
        bail!("no examples to train on");
    }
    let encoder = args.gpt2.encoder()?;
    let spinner = ProgressBar::new_spinner()
        .with_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("template"))
        .with_message(format!("training on {examples} examples of {} intents", domain.intents.len()));
    spinner.enable_steady_tick(Duration::from_millis(120));
    let started = Instant::now();
    let mut parser = Parser::train_with(&domain, encoder)?;
    // Annotated `slots` in JSON lines train a slot tagger too (a domain's marks already have).
    if !parser.has_slot_tagger() {
        let annotated: Vec<(&str, &str, &[SlotSpan])> = labelled.iter().map(|e| (e.text.as_str(), e.intent.as_str(), e.slots.as_slice())).collect();
        parser = parser.with_slot_tagger(SlotTagger::train(&annotated));
    }
    let slots = if parser.has_slot_tagger() { " and a slot tagger" } else { "" };
    let seconds = started.elapsed().as_secs_f64();
    spinner.finish_and_clear();
    let staging = staging_dir(&args.out);
    let _ = std::fs::remove_dir_all(&staging);
    parser.save(&staging)?;
    publish(&staging, &args.out)?;
    print_line(&format!(
        "trained an intent recognizer{slots} on {examples} examples of {} intents in {seconds:.1} s; model (format {} v{}) in {}",
        domain.intents.len(),
        nlu::model::FORMAT,
        nlu::model::FORMAT_VERSION,
        args.out.display()
    ))?;
    if let Some(choice) = parser.encoder_choice() {
        print_line(&describe_encoder_choice(choice))?;
    }
    print_line(&describe(parser.calibration()))
}

/// What the held-out fit says, for the domain's author.
fn describe(calibration: &Calibration) -> String {
    if calibration.held_out == 0 {
        return "too few examples to calibrate confidences: they are raw scores".into();
    }
    format!(
        "held out while calibrating: {} examples, top intent right for {:.1} %; confidence = σ({:.3}·logit(score) {:+.3})",
        calibration.held_out,
        100.0 * calibration.held_out_accuracy,
        calibration.slope,
        calibration.intercept
    )
}
