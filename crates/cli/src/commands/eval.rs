//! `deskbot eval nlu`: the recognizer on labelled JSON lines or a domain's own examples
//! (train → test, or K-fold).

use std::path::PathBuf;

use anyhow::bail;
use indicatif::{ProgressBar, ProgressStyle};
use nlu::eval::{Example, Report, domain_examples, domain_from_examples, domain_with_examples, evaluate, evaluate_slots, folds, load_jsonl, score};
use nlu::{NluDomain, Parser};

use super::eval_advice::print_advice;
use super::{Gpt2FeaturesArg, describe_encoder_choice, print_line};

#[derive(clap::Subcommand, Debug)]
pub enum Eval {
    /// Intent accuracy, macro-F1, per-intent P/R/F1, confusions, out-of-scope recall, slot F1
    Nlu(NluArgs),
    /// A language model's perplexity on a corpus, and tokens/s
    Lm(super::eval_lm::Args),
    /// How the model rewords the domain's replies over scripted dialogues: how often a
    /// rewording is used or refused (and why), and every rewording used
    Rephrase(super::eval_rephrase::Args),
    /// Conversations judged by how they end: the actions called (with their slot values), the
    /// corrected values never submitted, hand-off or not — a pass rate per kind
    Dialogues(super::eval_dialogues::Args),
}

#[derive(clap::Args, Debug)]
pub struct NluArgs {
    /// Training utterances, one {"text", "intent"} JSON object per line
    #[arg(long, conflicts_with = "domain", required_unless_present = "domain")]
    train: Option<PathBuf>,
    /// Or a domain directory: its nlu.ron examples (entities, patterns and threshold kept; its
    /// out_of_scope examples count as `oos`), e.g. `--domain intents --cv 5`
    #[arg(long)]
    domain: Option<PathBuf>,
    /// Test utterances (same format); without it, use --cv
    #[arg(long)]
    test: Option<PathBuf>,
    /// K-fold cross-validation on --train
    #[arg(long)]
    cv: Option<usize>,
    /// With --train: below this confidence an utterance counts as out of scope (`oos`) [default:
    /// 0]; a domain uses its own `oos_threshold`
    #[arg(long, conflicts_with = "domain")]
    oos_threshold: Option<f32>,
    /// Intents below this F1 are listed with what they are mistaken for and the utterances
    /// they missed (examples to add)
    #[arg(long, default_value_t = 0.9, value_name = "F1")]
    weak_below: f64,
    /// Print the report(s) as JSON
    #[arg(long)]
    json: bool,
    /// With --domain and --test: "today" for the relative dates of the test lines' `values`
    #[arg(long, default_value = deskbot::replay::DEFAULT_TODAY)]
    today: chrono::NaiveDate,
    #[command(flatten)]
    gpt2: Gpt2FeaturesArg,
}

pub fn run(eval: Eval) -> anyhow::Result<()> {
    match eval {
        Eval::Nlu(args) => run_nlu(args),
        Eval::Lm(args) => super::eval_lm::run(args),
        Eval::Rephrase(args) => super::eval_rephrase::run(args),
        Eval::Dialogues(args) => super::eval_dialogues::run(args),
    }
}

fn run_nlu(args: NluArgs) -> anyhow::Result<()> {
    let (train, domain) = match (&args.train, &args.domain) {
        (Some(file), _) => (load_jsonl(file)?, None),
        (None, Some(dir)) => {
            let domain = NluDomain::load(&dir.join("nlu.ron"))?;
            (domain_examples(&domain), Some(domain))
        }
        (None, None) => bail!("give --train FILE or --domain DIR"),
    };
    let splits: Vec<(Vec<Example>, Vec<Example>)> = match (&args.test, args.cv) {
        (Some(test), None) => vec![(train, load_jsonl(test)?)],
        (None, Some(k)) if k >= 2 => folds(&train, k, 0),
        (None, Some(k)) => bail!("--cv {k}: needs at least 2 folds"),
        (Some(_), Some(_)) => bail!("give --test or --cv, not both"),
        (None, None) => bail!("give --test FILE or --cv K"),
    };
    let encoder = args.gpt2.encoder()?;
    let total: usize = splits.iter().map(|s| s.1.len()).sum();
    let bar = ProgressBar::new(total as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} utterances {per_sec} ETA {eta}").expect("template"))
        .with_message("evaluating");
    let mut reports = Vec::new();
    for (train, test) in &splits {
        let domain = match &domain {
            Some(domain) => domain_with_examples(domain, train),
            None => domain_from_examples(train, args.oos_threshold.unwrap_or(0.0)),
        };
        let parser = Parser::train_with(&domain, encoder.clone())?;
        if let Some(choice) = parser.encoder_choice() {
            bar.suspend(|| eprintln!("{}", describe_encoder_choice(choice)));
        }
        let mut report = evaluate(&parser, test, || bar.inc(1));
        report.slot_f1 = evaluate_slots(&parser, train, test);
        reports.push(report);
    }
    bar.finish_and_clear();
    let values = match (&args.domain, &args.test) {
        (Some(dir), Some(_)) => slot_values(dir, &splits[0].1, encoder.clone(), args.today)?,
        _ => None,
    };
    if args.json {
        let json = match values {
            Some(values) => serde_json::json!({"reports": reports, "slot_values": values}),
            None => serde_json::to_value(&reports)?,
        };
        return print_line(&json.to_string());
    }
    for (i, report) in reports.iter().enumerate() {
        if reports.len() > 1 {
            print_line(&format!("fold {}:", i + 1))?;
        }
        print_report(report)?;
    }
    // Advice over every test utterance at once (all folds pooled).
    let tests: Vec<Example> = splits.iter().flat_map(|(_, test)| test.iter().cloned()).collect();
    let predicted: Vec<String> = reports.iter().flat_map(|r| r.predicted.iter().cloned()).collect();
    let pooled = score(&tests, &predicted);
    print_line(if reports.len() > 1 { "advice (all folds):" } else { "advice:" })?;
    print_advice(&pooled, args.weak_below)?;
    if reports.len() > 1 {
        let mean = |f: fn(&Report) -> f64| reports.iter().map(f).sum::<f64>() / reports.len() as f64;
        print_line(&format!("mean over {} folds: accuracy {:.4}, macro-F1 {:.4}", reports.len(), mean(|r| r.accuracy), mean(|r| r.macro_f1)))?;
        if reports.iter().all(|r| r.calibration.is_some()) {
            print_line(&format!("mean expected calibration error {:.4}", mean(|r| r.calibration.as_ref().map_or(0.0, |c| c.ece))))?;
        }
        if reports.iter().all(|r| r.slot_f1.is_some()) {
            print_line(&format!("mean slot F1 (exact spans) {:.4}", mean(|r| r.slot_f1.unwrap_or(0.0))))?;
        }
    }
    if let Some(values) = values {
        print_values(&values)?;
    }
    Ok(())
}

/// The values the domain's bot takes from the test lines that carry `values`, each said as a
/// conversation's first message (None when no line does).
fn slot_values(
    dir: &std::path::Path,
    test: &[Example],
    encoder: Option<std::sync::Arc<dyn nlu::SentenceEncoder>>,
    today: chrono::NaiveDate,
) -> anyhow::Result<Option<std::collections::BTreeMap<String, deskbot::outcomes::SlotScore>>> {
    let cases: Vec<&Example> = test.iter().filter(|e| !e.values.is_empty()).collect();
    if cases.is_empty() {
        return Ok(None);
    }
    let domain = deskbot::Domain::load(dir, &dir.join("../templates"))?;
    let bot = deskbot::Bot::with_models(domain, None, encoder)?.with_today(today);
    let bar = ProgressBar::new(cases.len() as u64)
        .with_style(ProgressStyle::with_template("{msg} {bar:30} {pos}/{len}").expect("template"))
        .with_message("slot values");
    let scores = deskbot::outcomes::score_values(&bot, cases.iter().map(|e| (e.text.as_str(), &e.values)), today, || bar.inc(1));
    bar.finish_and_clear();
    Ok(Some(scores))
}

fn print_values(values: &std::collections::BTreeMap<String, deskbot::outcomes::SlotScore>) -> anyhow::Result<()> {
    let sum = |f: fn(&deskbot::outcomes::SlotScore) -> usize| values.values().map(f).sum::<usize>();
    let (expected, right) = (sum(|s| s.expected), sum(|s| s.right));
    print_line(&format!(
        "  slot values taken from a first message: {right} of {expected} right ({:.4}); {} wrong, {} where none was given",
        right as f64 / expected.max(1) as f64,
        sum(|s| s.wrong),
        sum(|s| s.extra)
    ))?;
    for (slot, s) in values {
        print_line(&format!(
            "    {slot:<18} P {:.3} R {:.3} F1 {:.3} (n={}, wrong {}, extra {})",
            s.precision(),
            s.recall(),
            s.f1(),
            s.expected,
            s.wrong,
            s.extra
        ))?;
    }
    Ok(())
}

fn print_report(report: &Report) -> anyhow::Result<()> {
    print_line(&format!("  {} utterances: accuracy {:.4}, macro-F1 {:.4}", report.examples, report.accuracy, report.macro_f1))?;
    if let Some(f1) = report.slot_f1 {
        print_line(&format!("  slot F1 (exact spans) {f1:.4}"))?;
    }
    if let Some(c) = &report.calibration {
        print_line(&format!(
            "  calibration (in scope): mean confidence {:.4} vs accuracy {:.4}, expected calibration error {:.4}",
            c.mean_confidence, c.accuracy, c.ece
        ))?;
    }
    if let (Some(recall), Some(in_scope)) = (report.oos_recall, report.in_scope_accuracy) {
        print_line(&format!("  out-of-scope recall {recall:.4}, in-scope accuracy {in_scope:.4}"))?;
        for point in &report.oos_sweep {
            print_line(&format!(
                "    at --oos-threshold {:.2}: out-of-scope recall {:.4}, in-scope accuracy {:.4}",
                point.threshold, point.oos_recall, point.in_scope_accuracy
            ))?;
        }
    }
    for (gold, predicted, n) in report.confusions.iter().take(5) {
        print_line(&format!("  confused: {gold} → {predicted} ×{n}"))?;
    }
    Ok(())
}
