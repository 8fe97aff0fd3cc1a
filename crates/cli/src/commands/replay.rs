//! `deskbot replay`: scripted dialogues with expectations.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use deskbot::replay;

use super::{DomainArgs, print_line};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Dialogue files (RON), or directories of them. Without --domain, a bot laid out as
    /// `deskbot new` makes it (BOT/tests beside BOT/intents) is replayed on its own domain
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    domain: DomainArgs,
    /// Print one JSON report instead of text
    #[arg(long)]
    json: bool,
}

pub fn scripts(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .collect();
            found.sort();
            files.extend(found);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            anyhow::bail!("{}: no such file or directory", path.display());
        }
    }
    Ok(files)
}

/// The domain beside the dialogues, as `deskbot new` lays a bot out (`BOT/tests` next to
/// `BOT/intents`), when no `--domain` is given and the first path has one.
fn domain_beside(args: &Args) -> DomainArgs {
    let mut domain = args.domain.clone();
    if domain.domain.is_none()
        && let Some(first) = args.paths.first()
    {
        let tests = if first.is_dir() { first.clone() } else { first.parent().map(PathBuf::from).unwrap_or_default() };
        let beside = tests.join("../intents");
        if beside.join("nlu.ron").is_file() {
            domain.domain = Some(beside);
        }
    }
    domain
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let domain = domain_beside(&args).load()?;
    let mut reports = Vec::new();
    for path in scripts(&args.paths)? {
        let script = replay::load(&path)?;
        reports.push(replay::run(deskbot::Bot::new(domain.clone())?, &path, &script)?);
    }
    let failed = reports.iter().filter(|r| !r.passed()).count();
    if args.json {
        print_line(&serde_json::json!({ "passed": reports.len() - failed, "failed": failed, "dialogues": reports }).to_string())?;
    } else {
        for report in &reports {
            let status = if report.passed() { "PASS" } else { "FAIL" };
            print_line(&format!("{status} {} ({} turns, {})", report.name, report.turns, report.path.display()))?;
            for f in &report.failures {
                print_line(&format!("  turn {} {:?}: {}\n    expected: {}\n    actual:   {}", f.turn, f.user, f.what, f.expected, f.actual))?;
            }
        }
        print_line(&format!("replay: {} passed, {failed} failed", reports.len() - failed))?;
    }
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
