//! Trained recognizers kept between runs. Without it `deskbot chat` and `serve` retrain the
//! recognizer at every start: two seconds for the bundled domain, seven with the bundled
//! model's sentence features to weigh.
//!
//! An entry is a saved [`Parser`] under `nlu-{domain}-{encoder}-{build}`: the fingerprints of
//! the domain and of the sentence encoder offered (`ngrams` for none), and the identity of the
//! program that trained it (its executable's size and modification time, so a rebuild —
//! which may train differently — never reads an older build's entry). Storing an entry
//! removes the same domain and encoder's entries of other builds. Anything that fails here
//! only means training again: the cache never turns into an error.
//!
//! The directory is `$DESKBOT_CACHE_DIR` (empty: no cache), else `$XDG_CACHE_HOME/deskbot`,
//! else `$HOME/.cache/deskbot`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nlu::{NluDomain, Parser, SentenceEncoder};

/// The cache directory, if there is one.
pub fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("DESKBOT_CACHE_DIR") {
        Some(dir) if dir.is_empty() => None,
        Some(dir) => Some(dir.into()),
        None => std::env::var_os("XDG_CACHE_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
            .map(|dir| dir.join("deskbot")),
    }
}

/// This program's identity: its executable's size and modification time.
pub fn build_id() -> Option<String> {
    let meta = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(format!("{:x}{:x}", meta.len(), modified.as_nanos()))
}

/// The recognizer for `domain` (offered `encoder`'s features): from the cache in `dir` when an
/// entry of this `build` is there, else trained and stored.
pub(crate) fn trained(domain: &NluDomain, encoder: Option<Arc<dyn SentenceEncoder>>, dir: &Path, build: &str) -> Result<Parser, nlu::NluError> {
    let prefix = format!("nlu-{}-{}-", nlu::model::fingerprint(domain), encoder.as_ref().map_or("ngrams".into(), |e| e.fingerprint()));
    let entry = dir.join(format!("{prefix}{build}"));
    if let Ok(parser) = Parser::load_with(&entry, encoder.clone())
        && parser.check_domain(domain, &entry).is_ok()
    {
        return Ok(parser);
    }
    let parser = Parser::train_with(domain, encoder)?;
    store(&parser, dir, &prefix, &entry);
    Ok(parser)
}

/// Saves `parser` as `entry` (written aside, then renamed into place over an entry that could
/// not be read) and removes the entries of other builds that share its `prefix`; best effort.
fn store(parser: &Parser, dir: &Path, prefix: &str, entry: &Path) {
    let staging = entry.with_extension(format!("partial-{}", std::process::id()));
    if std::fs::create_dir_all(dir).is_err() || parser.save(&staging).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
        return;
    }
    let _ = std::fs::remove_dir_all(entry);
    if std::fs::rename(&staging, entry).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
        return;
    }
    let Ok(siblings) = std::fs::read_dir(dir) else { return };
    for sibling in siblings.flatten().map(|e| e.path()) {
        let name = sibling.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with(prefix) && sibling != entry && !name.contains(".partial-") {
            let _ = std::fs::remove_dir_all(&sibling);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain() -> NluDomain {
        let examples: Vec<nlu::eval::Example> = (0..12)
            .map(|i| {
                let (text, intent) =
                    if i % 2 == 0 { (format!("where is my parcel {i}"), "track") } else { (format!("i want my money back {i}"), "refund") };
                nlu::eval::Example::new(text, intent)
            })
            .collect();
        nlu::eval::domain_from_examples(&examples, 0.3)
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn an_entry_is_read_back_by_the_same_build_only() {
        let dir = tempfile::tempdir().unwrap();
        let first = trained(&domain(), None, dir.path(), "b1").unwrap();
        let names = entries(dir.path());
        assert!(names.len() == 1 && names[0].ends_with("-ngrams-b1"), "{names:?}");
        // Mark the stored entry: a parser read from the cache carries the mark.
        let meta = dir.path().join(&names[0]).join("nlu.json");
        let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
        json["calibration"]["intercept"] = 0.125.into();
        std::fs::write(&meta, serde_json::to_vec(&json).unwrap()).unwrap();
        assert_eq!(trained(&domain(), None, dir.path(), "b1").unwrap().calibration().intercept, 0.125);
        // Another build trains afresh and replaces the old entry.
        let rebuilt = trained(&domain(), None, dir.path(), "b2").unwrap();
        assert_eq!(rebuilt.calibration(), first.calibration());
        let names = entries(dir.path());
        assert!(names.len() == 1 && names[0].ends_with("-ngrams-b2"), "{names:?}");
    }

    #[test]
    fn a_damaged_entry_is_trained_again_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let first = trained(&domain(), None, dir.path(), "b1").unwrap();
        let entry = dir.path().join(&entries(dir.path())[0]);
        let weights = entry.join("weights.safetensors");
        std::fs::write(&weights, &std::fs::read(&weights).unwrap()[..100]).unwrap();
        assert_eq!(trained(&domain(), None, dir.path(), "b1").unwrap().calibration(), first.calibration());
        assert!(nlu::Parser::load(&entry).is_ok(), "the damaged entry was replaced");
    }

    #[test]
    fn a_cache_that_cannot_be_written_only_means_training() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "not a directory").unwrap();
        let parser = trained(&domain(), None, &file, "b1").unwrap();
        assert_eq!(parser.parse("where is my parcel").intent.name, "track");
        assert_eq!(entries(dir.path()), vec!["a-file".to_string()]);
    }
}
