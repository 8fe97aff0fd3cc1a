pub mod bench;
pub mod bench_encoder;
pub mod bench_nlu;
pub mod bench_serve;
pub mod bench_train;
pub mod chat;
pub mod check;
pub mod corpus;
pub mod discover;
pub mod eval;
pub mod eval_advice;
pub mod eval_dialogues;
pub mod eval_lm;
pub mod eval_rephrase;
pub mod generate;
pub mod import;
pub mod logits;
pub mod new;
pub mod parse;
pub mod replay;
pub mod serve;
pub mod train_lm;
pub mod train_nlu;

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

/// `--gpt2 DIR`: a GPT-2 whose sentence features the intent recognizer is offered, shared by
/// `train nlu`, `eval nlu`, `parse` and `bench nlu`.
#[derive(clap::Args, Debug, Clone)]
pub struct Gpt2FeaturesArg {
    /// A GPT-2 model directory (e.g. models/deskbot-mini) whose pooled hidden states join the
    /// recognizer's n-gram features at the weight held-out examples favour (0 when they do not
    /// help); costs one model pass per parse when used
    #[arg(long, value_name = "DIR")]
    pub gpt2: Option<std::path::PathBuf>,
    /// Where that model runs: auto, wgpu or cpu
    #[arg(long = "gpt2-backend", value_name = "BACKEND", default_value = "auto", value_parser = clap::value_parser!(Backend))]
    pub backend: Backend,
    #[command(flatten)]
    pub sentence: EncoderArgs,
}

impl Gpt2FeaturesArg {
    /// The recognizer's encoder: the GPT-2 of `--gpt2`, else the pretrained sentence encoder
    /// (unless `--no-encoder`).
    pub fn encoder(&self) -> anyhow::Result<Option<std::sync::Arc<dyn nlu::SentenceEncoder>>> {
        match &self.gpt2 {
            Some(dir) => Ok(Some(std::sync::Arc::new(deskbot::Gpt2Sentences(std::sync::Arc::new(load_model(dir, self.backend)?))))),
            None => Ok(self.sentence.load(self.backend)),
        }
    }
}

/// `--encoder PATH` / `--no-encoder`: the pretrained sentence encoder the recognizer is offered.
#[derive(clap::Args, Debug, Clone)]
pub struct EncoderArgs {
    /// A sentence encoder: an e5 `E5S1` file or a Hugging Face BERT/XLM-R directory
    /// [default: $DESKBOT_ENCODER, else multilingual-e5-small as scripts/fetch_encoder.sh installs
    /// it in ~/.cache/deskbot]
    #[arg(long, value_name = "PATH", conflicts_with = "no_encoder")]
    pub encoder: Option<std::path::PathBuf>,
    /// Understand messages from the domain's own words alone (no pretrained encoder)
    #[arg(long)]
    pub no_encoder: bool,
}

impl EncoderArgs {
    /// The encoder, or `None` with one line on stderr saying why the bot runs without it.
    pub fn load(&self, backend: Backend) -> Option<std::sync::Arc<dyn nlu::SentenceEncoder>> {
        if self.no_encoder {
            return None;
        }
        let located = encoder::locate::given_or_default(self.encoder.as_deref())?;
        match deskbot::PretrainedEncoder::load(&located, backend) {
            Ok(loaded) => {
                eprintln!("(sentence encoder {} [{}])", located.path.display(), loaded.encoder().fingerprint());
                Some(loaded.into_shared())
            }
            Err(why) => {
                eprintln!("(running without the sentence encoder: {why})");
                None
            }
        }
    }
}

/// What training made of a GPT-2's sentence features, for the user.
pub fn describe_encoder_choice(choice: &nlu::EncoderChoice) -> String {
    let trials: Vec<String> = choice
        .trials
        .iter()
        .map(|t| match t.weight {
            0.0 => format!("without {:.1} %", 100.0 * t.held_out_accuracy),
            w => format!(
                "at {w} {:.1} % (+{} −{}{})",
                100.0 * t.held_out_accuracy,
                t.fixed,
                t.broken,
                if t.significant() { "" } else { ", not significant" }
            ),
        })
        .collect();
    let verdict = if choice.weight > 0.0 { format!("weight {}", choice.weight) } else { "not used".to_string() };
    if trials.is_empty() {
        return format!("sentence features (encoder {}): too few examples to weigh them on held-out ones → {verdict}", choice.fingerprint);
    }
    format!("sentence features (encoder {}): held-out top-intent accuracy {} → {verdict}", choice.fingerprint, trials.join(", "))
}

/// The default language model: `$DESKBOT_MODEL`, else `models/deskbot-mini` in the working
/// directory, else the one in the source tree this binary was built from.
pub fn bundled_model() -> Option<std::path::PathBuf> {
    const BUNDLED: &str = "models/deskbot-mini";
    if let Some(dir) = std::env::var_os("DESKBOT_MODEL") {
        return Some(dir.into());
    }
    let in_source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(BUNDLED);
    [Path::new(BUNDLED).to_path_buf(), in_source].into_iter().find(|dir| dir.join("config.json").is_file())
}

/// Where a model directory `out` is assembled before it is complete: `out.partial`.
pub fn staging_dir(out: &Path) -> std::path::PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "model".into());
    name.push(".partial");
    out.with_file_name(name)
}

/// Puts a complete model directory in place: `staging` becomes `out`, replacing it if present.
pub fn publish(staging: &Path, out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("replacing {}", out.display()))?;
    }
    std::fs::rename(staging, out).with_context(|| format!("moving {} to {}", staging.display(), out.display()))
}

/// Prints one line to stdout; a closed pipe (`deskbot logits ... | head`) ends quietly.
pub fn print_line(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Where the bot's domain comes from, shared by chat, replay and parse.
#[derive(clap::Args, Debug, Clone)]
pub struct DomainArgs {
    /// Domain directory with nlu.ron and flows.ron (default: the bundled domain)
    #[arg(long)]
    pub domain: Option<std::path::PathBuf>,
    /// Template file or directory (default: DOMAIN/../templates)
    #[arg(long)]
    pub templates: Option<std::path::PathBuf>,
}

impl DomainArgs {
    /// The domain, checked (errors refuse it with the whole report; warnings go to stderr).
    pub fn load(&self) -> anyhow::Result<deskbot::Domain> {
        let domain = match &self.domain {
            None => deskbot::Domain::bundled()?,
            Some(dir) => {
                let templates = self.templates.clone().unwrap_or_else(|| dir.join("../templates"));
                deskbot::Domain::load(dir, &templates)?
            }
        };
        for warning in &domain.warnings {
            eprintln!("{warning}");
        }
        Ok(domain)
    }
}

/// The language model a bot uses, shared by chat and serve.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// A GPT-2 model directory that ranks reply variations by its score
    /// [default: the bundled models/deskbot-mini, or $DESKBOT_MODEL]
    #[arg(long, conflicts_with = "no_model")]
    pub model: Option<std::path::PathBuf>,
    /// Run without a language model (variations chosen by seed)
    #[arg(long)]
    pub no_model: bool,
    /// Keep replies in their template wording. By default the model may reword a reply; a
    /// rewording is used only when the model finds it at least as likely as the template's text
    /// and it keeps every value, half the content words and the negations, adds no word that the
    /// reply, its other variations or the conversation lack, and repeats none (`deskbot eval
    /// rephrase` shows what it does with your templates)
    #[arg(long, conflicts_with = "no_model")]
    pub no_rephrase: bool,
    /// Keep the intent recognizer on n-grams alone instead of offering it the model's sentence
    /// features (starts faster: no held-out trials of the features)
    #[arg(long, conflicts_with = "no_model")]
    pub no_intent_features: bool,
    #[command(flatten)]
    pub backend: BackendArg,
    #[command(flatten)]
    pub sentence: EncoderArgs,
}

impl ModelArgs {
    /// A bot over `domain` with the chosen (or bundled) model and the sentence encoder, saying
    /// on stderr what it got.
    pub fn bot(&self, domain: deskbot::Domain) -> anyhow::Result<deskbot::Bot> {
        let encoder = self.sentence.load(self.backend.backend);
        let model = if self.no_model { None } else { self.model.clone().or_else(bundled_model) };
        let hooks = match &model {
            Some(dir) => {
                let mut hooks = deskbot::ModelHooks::load(dir, self.backend.backend).with_context(|| format!("loading model {}", dir.display()))?;
                if self.no_rephrase {
                    hooks = hooks.without_rephrasing();
                }
                if self.no_intent_features {
                    hooks = hooks.without_intent_features();
                }
                eprintln!("(replies ranked by the language model in {})", dir.display());
                Some(hooks)
            }
            None => {
                if !self.no_model {
                    eprintln!("(no language model found: replies chosen by seed; see README to train models/deskbot-mini)");
                }
                None
            }
        };
        let weighing = encoder.is_some() || hooks.as_ref().is_some_and(|h| h.intent_features);
        let spinner = indicatif::ProgressBar::new_spinner()
            .with_message("weighing sentence features for the intent recognizer on held-out examples (once per domain and build)");
        if weighing {
            spinner.enable_steady_tick(std::time::Duration::from_millis(120));
        }
        let bot = deskbot::Bot::with_models(domain, hooks, encoder);
        spinner.finish_and_clear();
        let bot = bot?;
        if let Some(choice) = bot.parser().encoder_choice() {
            eprintln!("({})", describe_encoder_choice(choice));
        }
        Ok(bot)
    }
}
