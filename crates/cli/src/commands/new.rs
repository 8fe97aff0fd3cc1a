//! `deskbot new DIR`: a small runnable bot in deskbot's layout (as `cargo new`, `rasa init`):
//! an office-supplies flow with a confirmation, the engine's replies, a conversation test and a
//! README — a start to edit, that `chat`, `replay` and `check` accept as it is.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::print_line;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory to create (must not exist, or be empty)
    dir: PathBuf,
}

/// (path inside DIR, contents)
const FILES: [(&str, &str); 6] = [
    ("intents/nlu.ron", include_str!("new/nlu.ron")),
    ("intents/flows.ron", include_str!("new/flows.ron")),
    ("templates/replies.ron", include_str!("new/replies.ron")),
    ("templates/engine.ron", deskbot::check::ENGINE_REPLIES),
    ("tests/order_with_a_correction.ron", include_str!("new/dialogue.ron")),
    ("README.md", include_str!("new/README.md")),
];

pub fn run(args: Args) -> anyhow::Result<()> {
    let dir = &args.dir;
    if dir.exists() && std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.next().is_some() {
        bail!("{} already exists and is not empty; choose a new directory", dir.display());
    }
    let name = dir.file_name().map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into_owned());
    for (path, contents) in FILES {
        write(&dir.join(path), &contents.replace("{name}", &name))?;
    }
    let shown = dir.display();
    print_line(&format!(
        "created {shown}: a supplies-ordering bot to make your own\n  deskbot chat --domain {shown}/intents\n  deskbot replay {shown}/tests\n  deskbot check --domain {shown}/intents"
    ))
}

fn write(path: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}
