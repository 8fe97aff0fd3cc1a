//! `deskbot eval dialogues`: fresh conversations judged by how they end (see
//! `deskbot::outcomes`), with a pass rate per kind — the measure of the policy on text nobody
//! wrote beside the domain.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use deskbot::outcomes;
use indicatif::{ProgressBar, ProgressStyle};

use super::{DomainArgs, ModelArgs, print_line};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Conversations, one {"id", "kind", "turns": [...], "expect": {...}} JSON object per line
    /// (e.g. tests/fresh/conversations.jsonl)
    file: PathBuf,
    #[command(flatten)]
    domain: DomainArgs,
    #[command(flatten)]
    model: ModelArgs,
    /// "Today" for relative dates and the demo actions
    #[arg(long, default_value = deskbot::replay::DEFAULT_TODAY)]
    today: NaiveDate,
    /// Print every failed conversation's transcript
    #[arg(long)]
    show_failures: bool,
    /// Print the reports as JSON
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let cases = outcomes::load(&args.file)?;
    anyhow::ensure!(!cases.is_empty(), "{}: no conversations", args.file.display());
    let bot = args.model.bot(args.domain.load()?)?.with_today(args.today);
    let bar = ProgressBar::new(cases.len() as u64)
        .with_style(ProgressStyle::with_template("{bar:40} {pos}/{len} conversations").context("progress style")?);
    let reports: Vec<outcomes::CaseReport> = cases
        .iter()
        .map(|case| {
            let report = outcomes::run(&bot, case, args.today);
            bar.inc(1);
            report
        })
        .collect();
    bar.finish_and_clear();
    let passed = reports.iter().filter(|r| r.passed()).count();
    if args.json {
        return print_line(&serde_json::json!({"passed": passed, "total": reports.len(), "conversations": reports}).to_string());
    }
    let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for report in &reports {
        let entry = kinds.entry(report.kind.as_str()).or_default();
        entry.1 += 1;
        entry.0 += usize::from(report.passed());
    }
    print_line(&format!("{:<28} {:>6} {:>6}", "kind", "right", "total"))?;
    for (kind, (right, total)) in &kinds {
        print_line(&format!("{kind:<28} {right:>6} {total:>6}"))?;
    }
    for report in reports.iter().filter(|r| !r.passed()) {
        print_line(&format!("FAIL {} ({}): {}", report.id, report.kind, report.problems.join("; ")))?;
        if args.show_failures {
            for (user, bot) in &report.transcript {
                print_line(&format!("    you> {user}\n    bot> {}", bot.replace('\n', "\n         ")))?;
            }
        }
    }
    print_line(&format!("conversations: {passed} of {} went right", reports.len()))
}
