//! One error type for the crate: every variant names the file (and the tensor or field) at fault.

use std::path::PathBuf;

/// Everything that can go wrong while loading or running a sentence encoder.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    /// A file that must be there is not.
    #[error("{path}: missing ({what})")]
    MissingFile { path: PathBuf, what: &'static str },
    /// The file is not what it claims to be: wrong magic, truncated, a tensor of the wrong
    /// shape, a config field out of range, a digest that does not match.
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    /// The tokenizer could not be built from the file's pieces or `tokenizer.json`.
    #[error("{path}: tokenizer: {message}")]
    Tokenizer { path: PathBuf, message: String },
    /// Tokenizing a text failed.
    #[error("{0}")]
    Encode(String),
}

impl Error {
    pub(crate) fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Format { path: path.into(), message: message.into() }
    }

    pub(crate) fn read<'a>(path: &'a std::path::Path, what: &'static str) -> impl FnOnce(std::io::Error) -> Self + 'a {
        move |error| match error.kind() {
            std::io::ErrorKind::NotFound => Error::MissingFile { path: path.into(), what },
            _ => Error::Io { path: path.into(), error },
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
