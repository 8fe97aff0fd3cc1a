//! `deskbot check`: every problem of a domain in one run, with file:line:column and what to do.

use std::path::PathBuf;
use std::process::ExitCode;

use super::print_line;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Domain directory with nlu.ron and flows.ron (default: the bundled domain's intents/)
    #[arg(long, default_value = "intents")]
    domain: PathBuf,
    /// Template file or directory (default: DOMAIN/../templates)
    #[arg(long)]
    templates: Option<PathBuf>,
}

/// Prints the report; exits 1 when there is any problem (warnings too: `chat` and `serve` run
/// with warnings, but a domain that checks clean is the goal).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let templates = args.templates.unwrap_or_else(|| args.domain.join("../templates"));
    let report = deskbot::Domain::check(&args.domain, &templates);
    if report.problems.is_empty() {
        print_line(&format!("{}: no problems found", args.domain.display()))?;
        return Ok(ExitCode::SUCCESS);
    }
    print_line(&report.to_string())?;
    Ok(ExitCode::FAILURE)
}
