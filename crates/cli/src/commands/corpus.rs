//! `deskbot corpus`: training text for `train-lm` from the domain and public corpora.

use std::path::PathBuf;

use anyhow::Context;
use deskbot::Bot;
use deskbot::corpus::Corpus;

use super::{DomainArgs, print_line};

#[derive(clap::Args, Debug)]
#[command(after_help = "Example (the bundled model's corpus):\n  \
    deskbot corpus --domain intents --templates templates --scripts tests/dialogues \\\n    \
    --extra ../shared/data/sgd/train ../shared/data/banking77/train.jsonl ../shared/data/clinc150/train.jsonl \\\n    \
    --out target/corpus.txt")]
pub struct Args {
    #[command(flatten)]
    domain: DomainArgs,
    /// Scripted dialogues (.ron) to replay through the bot; their transcripts join the corpus
    #[arg(long)]
    scripts: Option<PathBuf>,
    /// Public corpora: Schema-Guided Dialogue .json files, {"text"} .jsonl files, plain text, or directories of them
    #[arg(long, num_args = 1..)]
    extra: Vec<PathBuf>,
    /// The corpus file to write (documents separated by blank lines)
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut bot = Bot::new(args.domain.load()?)?;
    let mut corpus = Corpus::default();
    corpus.add_domain(&mut bot, args.scripts.as_deref())?;
    for path in &args.extra {
        corpus.add_file(path)?;
    }
    corpus.write(&args.out).with_context(|| format!("writing {}", args.out.display()))?;
    for source in &corpus.sources {
        print_line(&format!("{:>7} documents ({:>5} duplicates dropped)  {}", source.documents, source.duplicates, source.source))?;
    }
    let characters: usize = corpus.documents().iter().map(|d| d.chars().count()).sum();
    print_line(&format!("{:>7} documents, {characters} characters → {}", corpus.documents().len(), args.out.display()))
}
