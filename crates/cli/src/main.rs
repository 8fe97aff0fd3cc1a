//! `deskbot`: a task-oriented chatbot with GPT-2 inside. A thin binary over the library crates.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "deskbot",
    version,
    about = "A task-oriented chatbot for approvals and customer service, with GPT-2 (burn) inside",
    long_about = "A task-oriented chatbot for approvals and customer service, with GPT-2 (burn) inside.\n\n\
        Model commands work on Hugging Face style model directories (config.json, model.safetensors, \
        tokenizer.json or vocab.json + merges.txt), so real GPT-2, DistilGPT-2 and DialoGPT checkpoints load unchanged.",
    after_help = "Examples:\n  \
        deskbot chat\n  \
        deskbot serve --store sqlite:deskbot.db\n  \
        deskbot replay tests/dialogues\n  \
        deskbot new my-bot && deskbot chat --domain my-bot/intents\n  \
        deskbot check --domain intents\n  \
        deskbot parse 'refund $40 for order 12345'\n  \
        deskbot discover --store sqlite:deskbot.db\n  \
        deskbot generate --model crates/gpt2/tests/fixtures/tiny-gpt2 --prompt 'Where is' --greedy\n  \
        deskbot logits --model crates/gpt2/tests/fixtures/tiny-gpt2 --ids 1,2,3\n  \
        deskbot bench gpt2 --preset gpt2 --backend cpu"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Talk to the bot in the terminal (/state, /explain, /reset, /quit)
    Chat(commands::chat::Args),
    /// Serve the bot over HTTP for support desks (Rasa REST channel compatible)
    Serve(commands::serve::Args),
    /// Run scripted dialogues (RON) and report which pass; exits 1 if any fails
    Replay(commands::replay::Args),
    /// Create a small runnable bot to make your own (`deskbot new my-bot`)
    New(commands::new::Args),
    /// Check a domain: every problem at once, with file:line:column and what to do; exits 1 if any
    Check(commands::check::Args),
    /// Show what the NLU understands in a text: intent, ranking, entities
    Parse(commands::parse::Args),
    /// Find the requests the bot does not handle yet (a text file of messages or the stored
    /// conversations), clustered into named intents with nlu.ron entries to paste
    Discover(commands::discover::Args),
    /// Continue a prompt with a GPT-2 model (greedy, sampling or beam search)
    Generate(commands::generate::Args),
    /// Print the model's logits at every position of a text or id sequence, as JSON
    Logits(commands::logits::Args),
    /// Build language-model training text (dialogues, utterances and paraphrase pairs) from the
    /// domain and public corpora
    Corpus(commands::corpus::Args),
    /// Convert another tool's training data (`deskbot import rasa DIR --out DIR`)
    #[command(subcommand)]
    Import(commands::import::Import),
    /// Train and save a model (`deskbot train nlu`)
    #[command(subcommand)]
    Train(commands::train_nlu::Train),
    /// Train a tokenizer and a GPT-2 on domain text (or fine-tune one with --init)
    TrainLm(commands::train_lm::Args),
    /// Evaluate the NLU on labelled data, or a language model's perplexity
    #[command(subcommand)]
    Eval(commands::eval::Eval),
    /// Benchmarks that print a table (or JSON)
    #[command(subcommand)]
    Bench(commands::bench::Bench),
}

fn main() -> ExitCode {
    quiet_mesa_runtime_dir();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Chat(args) => commands::chat::run(args).map(|()| ExitCode::SUCCESS),
        Command::Serve(args) => commands::serve::run(args).map(|()| ExitCode::SUCCESS),
        Command::Replay(args) => commands::replay::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::New(args) => commands::new::run(args).map(|()| ExitCode::SUCCESS),
        Command::Parse(args) => commands::parse::run(args).map(|()| ExitCode::SUCCESS),
        Command::Discover(args) => commands::discover::run(args).map(|()| ExitCode::SUCCESS),
        Command::Generate(args) => commands::generate::run(args).map(|()| ExitCode::SUCCESS),
        Command::Logits(args) => commands::logits::run(args).map(|()| ExitCode::SUCCESS),
        Command::Corpus(args) => commands::corpus::run(args).map(|()| ExitCode::SUCCESS),
        Command::Import(import) => commands::import::run(import).map(|()| ExitCode::SUCCESS),
        Command::Train(train) => commands::train_nlu::run(train).map(|()| ExitCode::SUCCESS),
        Command::TrainLm(args) => commands::train_lm::run(args).map(|()| ExitCode::SUCCESS),
        Command::Eval(eval) => commands::eval::run(eval).map(|()| ExitCode::SUCCESS),
        Command::Bench(bench) => commands::bench::run(bench).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Mesa's Vulkan driver complains on every start when `XDG_RUNTIME_DIR` is unset (common in
/// containers and CI); give it a private directory. Runs first, while the process has one thread.
fn quiet_mesa_runtime_dir() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| std::path::Path::new(&d).is_dir()) {
        return;
    }
    let dir = std::env::temp_dir().join("deskbot-runtime");
    if std::fs::create_dir_all(&dir).is_ok() {
        // SAFETY: called at the top of `main`, before any other thread exists.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", &dir) };
    }
}
