//! Reading deskbot's RON documents (domain, flows, templates, dialogue scripts) with errors that
//! name the file, line and column — one mechanism for every crate that reads them.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// A file that could not be read, or text that does not parse, located as `path:line:column`.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The I/O error is part of the message, not a `source`: a chain printer (`{:#}`) would
    /// print it twice.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    /// Text that parses but says something invalid, at the place that says it.
    #[error("{path}:{line}:{column}: {message}")]
    Invalid { path: PathBuf, line: usize, column: usize, message: String },
}

/// 1-based line and column of the first `needle` in `text`.
pub fn locate(text: &str, needle: &str) -> Option<(usize, usize)> {
    let byte = text.find(needle)?;
    let before = &text[..byte];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column))
}

/// An [`FileError::Invalid`] at the first of `near` found in `text` (a name or value as the file
/// writes it); `None` when none is there.
pub fn invalid_at(path: &Path, text: &str, near: &[String], message: impl Into<String>) -> Option<FileError> {
    let (line, column) = near.iter().find_map(|n| locate(text, n))?;
    Some(FileError::Invalid { path: path.into(), line, column, message: message.into() })
}

/// Reads a whole text file.
pub fn read(path: &Path) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|error| FileError::Io { path: path.into(), error })
}

/// Parses a RON document; `path` is used in errors.
pub fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, FileError> {
    ron::from_str(text).map_err(|e| FileError::Syntax {
        path: path.into(),
        line: e.position.line,
        column: e.position.col,
        message: e.code.to_string(),
    })
}

/// Reads and parses a RON file.
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<T, FileError> {
    parse(path, &read(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let error = parse::<Doc>(Path::new("x.ron"), "(\n  nmae: \"a\")").unwrap_err().to_string();
        assert!(error.starts_with("x.ron:2:") && error.contains("nmae"), "{error}");
        let error = load::<Doc>(Path::new("no/such.ron")).unwrap_err().to_string();
        assert!(error.starts_with("no/such.ron: "), "{error}");
    }
}
