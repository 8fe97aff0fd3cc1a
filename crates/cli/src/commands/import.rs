//! `deskbot import rasa`: a Rasa project as a runnable deskbot bot (or, for a folder of NLU
//! data alone, its `nlu.ron`).

use std::path::PathBuf;

use anyhow::{Context, bail};

use super::print_line;

#[derive(clap::Subcommand, Debug)]
pub enum Import {
    /// Convert a Rasa project (domain, forms, rules, stories, responses, NLU data) to a deskbot bot
    Rasa(RasaArgs),
}

#[derive(clap::Args, Debug)]
#[command(after_help = "With a domain.yml in DIR, OUT gets intents/nlu.ron, intents/flows.ron, templates/ and tests/ \
    (stories and rules as replays), and what could not be converted is listed with file:line. \
    Without one, OUT gets nlu.ron alone.\n\nExample:\n  \
    deskbot import rasa ../shared/data/rasa_examples/formbot --out target/formbot\n  \
    deskbot replay target/formbot/tests --domain target/formbot/intents\n  \
    deskbot serve --domain target/formbot/intents")]
pub struct RasaArgs {
    /// A Rasa project (domain.yml and data/) or a folder of NLU YAML
    dir: PathBuf,
    /// Directory to write the bot into (created if needed)
    #[arg(long)]
    out: PathBuf,
    /// Replace the files of an earlier import
    #[arg(long)]
    force: bool,
}

pub fn run(import: Import) -> anyhow::Result<()> {
    let Import::Rasa(args) = import;
    if !args.dir.join("domain.yml").exists() {
        return nlu_only(&args);
    }
    let converted = deskbot::rasa::import(&args.dir)?;
    converted.write(&args.out, args.force)?;
    for (path, _) in &converted.files {
        print_line(&format!("wrote {}", args.out.join(path).display()))?;
    }
    print_line(&format!("{} flows, {} replays → {}", converted.flows, converted.replays, args.out.display()))?;
    if !converted.skipped.is_empty() {
        print_line(&format!("not converted ({}):", converted.skipped.len()))?;
        for skipped in &converted.skipped {
            print_line(&format!("  {}: {} — {}", skipped.at, skipped.what, skipped.why))?;
        }
    }
    let (out, intents) = (args.out.display(), args.out.join("intents"));
    print_line(&format!("try it: deskbot chat --domain {}   (replays: deskbot replay {out}/tests --domain {})", intents.display(), intents.display()))
}

/// NLU data alone (no domain.yml): `OUT/nlu.ron`.
fn nlu_only(args: &RasaArgs) -> anyhow::Result<()> {
    let target = args.out.join("nlu.ron");
    if target.exists() && !args.force {
        bail!("{} already exists; pass --force to replace it", target.display());
    }
    let (domain, report) = nlu::rasa::import(&args.dir)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let header = format!("// Imported from Rasa NLU data in {} by `deskbot import rasa`.\n", args.dir.display());
    std::fs::write(&target, header + &nlu::rasa::to_ron(&domain)).with_context(|| format!("writing {}", target.display()))?;
    for file in &report.files {
        print_line(&format!("read {}", file.display()))?;
    }
    print_line(&format!(
        "{} intents, {} examples, {} entities{} → {} (no domain.yml in {}: NLU data only)",
        report.intents,
        report.examples,
        report.entities,
        if report.orphan_synonyms > 0 { format!(" ({} synonyms without a lookup kept as their own)", report.orphan_synonyms) } else { String::new() },
        target.display(),
        args.dir.display()
    ))
}
