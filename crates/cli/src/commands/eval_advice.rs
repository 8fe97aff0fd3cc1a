//! What `deskbot eval nlu` advises after its numbers: the intents below an F1 bar, what each
//! is mistaken for, and the utterances it missed — phrasings to add to its examples.

use std::collections::BTreeMap;

use nlu::eval::{OOS_LABEL, Report};

use super::print_line;

/// Utterances shown per weak intent.
const SHOWN: usize = 3;

/// The intents of `report` with F1 below `bar`, weakest first, each with its confusions and
/// missed utterances; then whether the out-of-scope sweep ran.
pub fn print_advice(report: &Report, bar: f64) -> anyhow::Result<()> {
    let mut weak: Vec<_> = report.per_intent.iter().filter(|m| m.f1 < bar).collect();
    weak.sort_by(|a, b| a.f1.total_cmp(&b.f1).then(b.support.cmp(&a.support)));
    if weak.is_empty() {
        print_line(&format!("  every intent reaches F1 {bar:.2} (--weak-below)"))?;
    }
    for m in &weak {
        print_line(&format!("  weak: {:<32} P {:.3} R {:.3} F1 {:.3} (n={})", m.intent, m.precision, m.recall, m.f1, m.support))?;
        let mistaken_for = counts(report.missed.iter().filter(|x| x.intent == m.intent).map(|x| x.predicted.as_str()));
        if !mistaken_for.is_empty() {
            print_line(&format!("    read as {}", mistaken_for.join(", ")))?;
        }
        let taken = counts(report.missed.iter().filter(|x| x.predicted == m.intent).map(|x| x.intent.as_str()));
        if !taken.is_empty() {
            print_line(&format!("    given to utterances of {}", taken.join(", ")))?;
        }
        let missed: Vec<String> = report.missed.iter().filter(|x| x.intent == m.intent).take(SHOWN).map(|x| format!("{:?}", x.text)).collect();
        if !missed.is_empty() {
            print_line(&format!("    add examples like {}", missed.join(", ")))?;
        }
    }
    if report.oos_recall.is_none() {
        print_line(&format!(
            "  out-of-scope sweep skipped: no test utterance is labelled `{OOS_LABEL}` (label some, or give the domain an `out_of_scope` intent)"
        ))?;
    }
    Ok(())
}

/// "name ×n" for each distinct name, most frequent first.
fn counts<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for name in names {
        *by_name.entry(name).or_default() += 1;
    }
    let mut sorted: Vec<(&str, usize)> = by_name.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    sorted.into_iter().map(|(name, n)| format!("{name} ×{n}")).collect()
}
