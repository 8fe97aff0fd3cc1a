//! Reading a Rasa YAML file: a parse error names file:line:column, and [`line_of`] finds where
//! a key is written, so that what the import cannot convert is reported where it stands.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::RasaError;

/// A parsed file with its text (for line numbers).
pub(crate) struct Source<T> {
    pub path: PathBuf,
    pub text: String,
    pub data: T,
}

impl<T> Source<T> {
    /// The 1-based line of the first `key:` (or `- key:`) at or after line `from`, else `from`.
    pub fn line_of(&self, key: &str, from: usize) -> usize {
        line_of(&self.text, key, from)
    }
}

pub(crate) fn read<T: DeserializeOwned>(path: &Path) -> Result<Source<T>, RasaError> {
    let text = std::fs::read_to_string(path).map_err(|e| RasaError::at(path, 0, e.to_string()))?;
    let data = serde_yaml_ng::from_str(&text).map_err(|e| {
        let line = e.location().map_or(0, |l| l.line());
        RasaError::at(path, line, e.to_string())
    })?;
    Ok(Source { path: path.to_path_buf(), text, data })
}

fn line_of(text: &str, key: &str, from: usize) -> usize {
    let wanted = [format!("{key}:"), format!("- {key}:"), format!("- {key}"), format!("\"{key}\":")];
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, line)| {
            let line = line.trim_start();
            wanted.iter().any(|w| line.strip_prefix(w.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ':'])))
        })
        .map_or(from, |(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_key_is_found_on_its_line_from_a_starting_line() {
        let text = "slots:\n  cuisine:\n    type: text\nresponses:\n  utter_ask_cuisine:\n  - text: hi\n";
        assert_eq!(super::line_of(text, "utter_ask_cuisine", 1), 5);
        assert_eq!(super::line_of(text, "cuisine", 1), 2);
        assert_eq!(super::line_of(text, "type", 4), 4, "not found after line 4: the line itself");
    }
}
