//! One error type for the whole crate: every variant names the file, tensor or field at fault.

use std::path::PathBuf;

/// Everything that can go wrong while loading, saving or running a GPT-2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written. The I/O error is part of the message, not a
    /// `source`: a chain printer (`{:#}`) would print it twice.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    /// A file that must be there is not.
    #[error("{path}: missing ({what})")]
    MissingFile { path: PathBuf, what: &'static str },
    /// `config.json` is not valid JSON or has a field of the wrong kind.
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    /// `model.safetensors` is truncated, malformed, or disagrees with the config.
    #[error("{path}: {message}")]
    Weights { path: PathBuf, message: String },
    /// The tokenizer files could not be loaded or do not fit the model.
    #[error("{path}: {message}")]
    Tokenizer { path: PathBuf, message: String },
    /// A request the model cannot serve (empty prompt, too long, bad option value).
    #[error("{0}")]
    Invalid(String),
    /// The chosen backend could not be brought up.
    #[error("backend: {0}")]
    Backend(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io { path: path.into(), error }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
