//! A set of named responses loaded from RON, and rendering one of them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use dst::Condition;

use crate::format::format_value;
use crate::guard::{Rejection, check_rewording};
use crate::text::{Piece, Template};

/// Slot values by name, as the dialogue state holds them (normalized values).
pub type Slots = BTreeMap<String, Value>;

/// Scores candidate replies given the conversation so far; higher is better.
pub trait Ranker {
    fn rank(&self, context: &str, candidates: &[String]) -> Vec<f64>;
}

/// Rewords a reply; `None` when it has nothing better.
pub trait Rephraser {
    fn rephrase(&self, context: &str, reply: &str, seed: u64) -> Option<String>;
}

/// One way of saying a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Variation {
    pub text: String,
    pub template: Template,
    pub when: Vec<Condition>,
    pub channel: Option<String>,
    /// Whether a model may reword it (`rephrase: false` keeps wording that must stay as
    /// written, such as policy text).
    pub rephrase: bool,
}

#[derive(Deserialize)]
#[serde(rename = "Templates")]
struct TemplateFile {
    responses: BTreeMap<String, Vec<VariationDef>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariationDef {
    text: String,
    #[serde(default)]
    when: Vec<Condition>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default = "yes")]
    rephrase: bool,
}

fn yes() -> bool {
    true
}

/// Errors name the file (with line and column) or the response and variation.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(transparent)]
    File(#[from] ronfile::FileError),
    #[error("{path}: response `{response}`, variation {index}: {message}")]
    Variation { path: PathBuf, response: String, index: usize, message: String },
    #[error("{path}: response `{response}` is also defined in {other}")]
    Duplicate { path: PathBuf, response: String, other: PathBuf },
    #[error("no response named `{0}`")]
    Unknown(String),
    #[error("response `{response}`: no variation applies (needs {needs})")]
    NoneApplies { response: String, needs: String },
}

/// How [`TemplateSet::render`] chooses and words a reply.
#[derive(Clone, Copy, Default)]
pub struct RenderOptions<'a> {
    /// Prefer variations for this channel (`sms`, `web`, ...).
    pub channel: Option<&'a str>,
    /// Picks among the variations when there is no ranker.
    pub seed: u64,
    /// The conversation so far, for the ranker and the rephraser.
    pub context: &'a str,
    pub ranker: Option<&'a dyn Ranker>,
    pub rephraser: Option<&'a dyn Rephraser>,
}

/// A rendered reply and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    pub response: String,
    /// Index of the variation used, in file order.
    pub variation: usize,
    /// Whether the rephraser was asked for a rewording (given one, and the variation allows it).
    pub rewording_asked: bool,
    /// Whether a rephraser's text was used (it passed [`check_rewording`]).
    pub rephrased: bool,
    /// A rewording the guard refused, and why.
    pub refused: Option<(String, Rejection)>,
}

/// Named responses, each with its variations.
#[derive(Debug, Clone, Default)]
pub struct TemplateSet {
    responses: BTreeMap<String, (PathBuf, Vec<Variation>)>,
}

impl TemplateSet {
    /// Loads a `.ron` file, or every `.ron` file of a directory (sorted by name).
    pub fn load(path: &Path) -> Result<Self, TemplateError> {
        let io = |error| ronfile::FileError::Io { path: path.into(), error };
        let mut files: Vec<PathBuf> = if path.is_dir() {
            std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .collect()
        } else {
            vec![path.to_path_buf()]
        };
        files.sort();
        let mut set = Self::default();
        for file in files {
            set.add_source(&file, &ronfile::read(&file)?)?;
        }
        Ok(set)
    }

    /// Adds the responses of one RON document; `path` is used in errors.
    pub fn add_source(&mut self, path: &Path, text: &str) -> Result<(), TemplateError> {
        let file: TemplateFile = ronfile::parse(path, text)?;
        for (response, defs) in file.responses {
            if let Some((other, _)) = self.responses.get(&response) {
                return Err(TemplateError::Duplicate { path: path.into(), response, other: other.clone() });
            }
            if defs.is_empty() {
                return Err(TemplateError::Variation { path: path.into(), response, index: 0, message: "has no variations".into() });
            }
            let variations = defs
                .into_iter()
                .enumerate()
                .map(|(index, def)| {
                    let template = Template::parse(&def.text).map_err(|message| TemplateError::Variation {
                        path: path.into(),
                        response: response.clone(),
                        index,
                        message,
                    })?;
                    Ok(Variation { text: def.text, template, when: def.when, channel: def.channel, rephrase: def.rephrase })
                })
                .collect::<Result<Vec<_>, TemplateError>>()?;
            self.responses.insert(response, (path.into(), variations));
        }
        Ok(())
    }

    pub fn contains(&self, response: &str) -> bool {
        self.responses.contains_key(response)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.responses.keys().map(String::as_str)
    }

    /// The variations of `response` (empty if there is no such response).
    pub fn variations(&self, response: &str) -> &[Variation] {
        self.responses.get(response).map_or(&[], |(_, variations)| variations.as_slice())
    }

    /// Every slot name any variation of any response refers to (placeholders and conditions),
    /// with the first response using it and that response's file.
    pub fn slot_references(&self) -> BTreeMap<String, (String, PathBuf)> {
        let mut refs = BTreeMap::new();
        for (response, (path, variations)) in &self.responses {
            for variation in variations {
                let conditions = variation.when.iter().map(Condition::slot);
                for name in variation.template.slot_names().chain(conditions) {
                    refs.entry(name.to_string()).or_insert_with(|| (response.clone(), path.clone()));
                }
            }
        }
        refs
    }

    /// Renders `response`: among the variations that apply (conditions hold, every placeholder
    /// has a value, and the channel matches — channel-specific ones first, then conditional
    /// ones before unconditional ones), the `ranker`'s best given `context`, else the one `seed`
    /// picks. A `rephraser`'s rewording replaces the text only if the variation allows it,
    /// [`check_rewording`] passes (its words may also come from the other variations that apply
    /// and from `context`), and the `ranker`, if any, scores it at least as high as the reply.
    pub fn render(&self, response: &str, slots: &Slots, options: &RenderOptions) -> Result<Rendered, TemplateError> {
        let RenderOptions { channel, seed, context, ranker, rephraser } = *options;
        let (_, variations) = self.responses.get(response).ok_or_else(|| TemplateError::Unknown(response.into()))?;
        let applies = |v: &Variation| {
            v.when.iter().all(|c| c.holds(slots)) && v.template.slot_names().all(|name| slots.get(name).is_some_and(|x| !x.is_null()))
        };
        let mut eligible: Vec<usize> =
            (0..variations.len()).filter(|&i| channel.is_some() && variations[i].channel.as_deref() == channel && applies(&variations[i])).collect();
        if eligible.is_empty() {
            eligible = (0..variations.len()).filter(|&i| variations[i].channel.is_none() && applies(&variations[i])).collect();
        }
        // As in Rasa: variations whose conditions hold win over unconditional ones.
        if eligible.iter().any(|&i| !variations[i].when.is_empty()) {
            eligible.retain(|&i| !variations[i].when.is_empty());
        }
        if eligible.is_empty() {
            let needs: BTreeSet<&str> = variations.iter().flat_map(|v| v.template.slot_names()).collect();
            return Err(TemplateError::NoneApplies { response: response.into(), needs: needs.into_iter().collect::<Vec<_>>().join(", ") });
        }
        let texts: Vec<(String, Vec<String>)> = eligible.iter().map(|&i| fill(&variations[i].template, slots)).collect();
        let chosen = match ranker {
            Some(ranker) if eligible.len() > 1 => {
                let candidates: Vec<String> = texts.iter().map(|t| t.0.clone()).collect();
                let scores = ranker.rank(context, &candidates);
                (0..eligible.len()).max_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a))).unwrap_or(0)
            }
            _ => (mix(seed) % eligible.len() as u64) as usize,
        };
        let (text, values) = texts[chosen].clone();
        let rephraser = rephraser.filter(|_| variations[eligible[chosen]].rephrase);
        let mut rendered = Rendered {
            text,
            response: response.into(),
            variation: eligible[chosen],
            rewording_asked: rephraser.is_some(),
            rephrased: false,
            refused: None,
        };
        let rewording = rephraser.and_then(|r| r.rephrase(context, &rendered.text, seed));
        if let Some(rewording) = rewording.filter(|r| r.split_whitespace().ne(rendered.text.split_whitespace())) {
            let known: Vec<&str> = texts.iter().map(|t| t.0.as_str()).chain([context]).collect();
            match judge(&rewording, &rendered.text, &values, &known.join("\n"), context, ranker) {
                Ok(()) => {
                    rendered.text = rewording;
                    rendered.rephrased = true;
                }
                Err(why) => rendered.refused = Some((rewording, why)),
            }
        }
        Ok(rendered)
    }
}

/// [`check_rewording`], then — the model's own judgement last, as most rewordings fail the
/// cheap checks — the ranker must score the rewording at least level with the reply.
fn judge(rewording: &str, reply: &str, values: &[String], known: &str, context: &str, ranker: Option<&dyn Ranker>) -> Result<(), Rejection> {
    check_rewording(rewording, reply, values, known)?;
    match ranker {
        Some(ranker) => {
            let scores = ranker.rank(context, &[reply.to_string(), rewording.to_string()]);
            if scores[1] >= scores[0] { Ok(()) } else { Err(Rejection::LessLikely) }
        }
        None => Ok(()),
    }
}

/// Fills the placeholders; returns the text and the inserted values. Values are inserted as
/// they are: braces in a value are never read as placeholders.
fn fill(template: &Template, slots: &Slots) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut values = Vec::new();
    for piece in &template.pieces {
        match piece {
            Piece::Literal(literal) => text.push_str(literal),
            Piece::Slot { name, format } => {
                let value = format_value(&slots[name], *format);
                text.push_str(&value);
                values.push(value);
            }
        }
    }
    (text, values)
}

/// A well-spread hash of the seed (splitmix64), so consecutive seeds pick different variations.
fn mix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
