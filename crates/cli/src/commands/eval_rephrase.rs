//! `deskbot eval rephrase`: what the model's rewording does to the domain's replies — how
//! often a rewording is offered, used or refused (and why), with every rewording used printed
//! beside the reply it replaced, for a person to read.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use deskbot::{Bot, ModelHooks, replay};
use indicatif::{ProgressBar, ProgressStyle};

use super::{BackendArg, DomainArgs, bundled_model, print_line};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Dialogue files (RON) or directories whose conversations give the replies
    #[arg(default_value = "tests/dialogues")]
    paths: Vec<PathBuf>,
    /// Model directory [default: the bundled models/deskbot-mini, or $DESKBOT_MODEL]
    #[arg(long)]
    model: Option<PathBuf>,
    /// Plays of each dialogue, with different reply seeds
    #[arg(long, default_value_t = 3)]
    seeds: u64,
    #[command(flatten)]
    domain: DomainArgs,
    #[command(flatten)]
    backend: BackendArg,
}

#[derive(Default)]
struct Tally {
    replies: usize,
    reworded: usize,
    kept_as_written: usize,
    refused: BTreeMap<&'static str, usize>,
    /// (reply, rewording) → times used.
    used: BTreeMap<(String, String), usize>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let dir = args
        .model
        .clone()
        .or_else(bundled_model)
        .ok_or_else(|| anyhow::anyhow!("no model: pass --model DIR (see README to train models/deskbot-mini)"))?;
    let domain = args.domain.load()?;
    // The recognizer on n-grams alone: this evaluates the replies, not the intent features.
    let hooks = ModelHooks::load(&dir, args.backend.backend).with_context(|| format!("loading model {}", dir.display()))?.without_intent_features();
    let mut bot = Bot::with_model(domain, hooks)?.rewording_every_reply();
    let scripts = super::replay::scripts(&args.paths)?;
    let bar = ProgressBar::new(scripts.len() as u64 * args.seeds)
        .with_style(ProgressStyle::with_template("{bar:30} {pos}/{len} dialogue plays, {elapsed} (ETA {eta})").expect("valid template"));
    let mut tally = Tally::default();
    for path in &scripts {
        let script = replay::load(path)?;
        for seed in 0..args.seeds {
            let (prepared, conversation) = replay::prepare(bot, path, &script)?;
            bot = prepared;
            let mut conversation = conversation.with_seed(seed);
            for turn in &script.turns {
                for _ in 0..turn.repeat.unwrap_or(1) {
                    for reply in bot.respond(&mut conversation, &turn.user_text()).replies {
                        tally.count(&bot, reply);
                    }
                }
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    report(&tally, &dir)
}

impl Tally {
    fn count(&mut self, bot: &Bot, reply: deskbot::Reply) {
        self.replies += 1;
        if reply.rephrased {
            let written = bot.domain.templates.variations(&reply.response)[reply.variation].text.clone();
            *self.used.entry((written, reply.text)).or_default() += 1;
            self.reworded += 1;
        } else if let Some((_, why)) = reply.refused_rewording {
            *self.refused.entry(why.summary()).or_default() += 1;
        } else {
            self.kept_as_written += 1;
        }
    }
}

fn report(tally: &Tally, model: &std::path::Path) -> anyhow::Result<()> {
    let share = |n: usize| 100.0 * n as f64 / tally.replies.max(1) as f64;
    print_line(&format!("model {}: {} replies", model.display(), tally.replies))?;
    print_line(&format!("  {:>5} ({:>5.1} %)  reworded", tally.reworded, share(tally.reworded)))?;
    print_line(&format!(
        "  {:>5} ({:>5.1} %)  no rewording offered (the model offered none, or the variation says rephrase: false)",
        tally.kept_as_written,
        share(tally.kept_as_written)
    ))?;
    for (reason, n) in &tally.refused {
        print_line(&format!("  {n:>5} ({:>5.1} %)  refused: {reason}", share(*n)))?;
    }
    print_line("Rewordings used (the template as written → what the user saw, times):")?;
    for ((written, reworded), n) in &tally.used {
        print_line(&format!("  {written}\n    → {reworded}  ({n}×)"))?;
    }
    Ok(())
}
