//! `deskbot import rasa`: a Rasa project's NLU data as a deskbot `nlu.ron`.

use std::path::PathBuf;

use anyhow::{Context, bail};

use super::print_line;

#[derive(clap::Subcommand, Debug)]
pub enum Import {
    /// Convert Rasa NLU YAML (intents, annotated entities, lookups, synonyms, regexes) to nlu.ron
    Rasa(RasaArgs),
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Example:\n  \
    deskbot import rasa ../shared/data/rasa_financial_demo --out target/financial\n  \
    deskbot train nlu --domain target/financial --out target/financial-nlu")]
pub struct RasaArgs {
    /// A Rasa project or data directory; every *.yml with an `nlu:` section is read
    dir: PathBuf,
    /// Directory to write nlu.ron into (created if needed)
    #[arg(long)]
    out: PathBuf,
    /// Replace an existing OUT/nlu.ron
    #[arg(long)]
    force: bool,
}

pub fn run(import: Import) -> anyhow::Result<()> {
    let Import::Rasa(args) = import;
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
        "{} intents, {} examples, {} entities{} → {}",
        report.intents,
        report.examples,
        report.entities,
        if report.orphan_synonyms > 0 { format!(" ({} synonyms without a lookup kept as their own)", report.orphan_synonyms) } else { String::new() },
        target.display()
    ))
}
