pub mod bench;
pub mod generate;
pub mod logits;

use std::path::Path;

use anyhow::Context;
use gpt2::{Backend, Gpt2};

/// `--backend auto|wgpu|cpu`, shared by every command that runs a model.
#[derive(clap::Args, Debug, Clone)]
pub struct BackendArg {
    /// Where the model runs: auto (a real GPU if there is one, else CPU), wgpu, or cpu
    #[arg(long, default_value = "auto", value_parser = clap::value_parser!(Backend))]
    pub backend: Backend,
}

/// Loads a model directory on the chosen backend.
pub fn load_model(dir: &Path, backend: Backend) -> anyhow::Result<Gpt2> {
    let device = backend.device()?.device;
    Gpt2::load(dir, &device).with_context(|| format!("loading model {}", dir.display()))
}

/// Prints one line to stdout; a closed pipe (`deskbot logits ... | head`) ends quietly.
pub fn print_line(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
