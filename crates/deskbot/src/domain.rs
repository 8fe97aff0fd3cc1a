//! A domain: NLU (`nlu.ron`), flows (`flows.ron`) and reply templates (`*.ron`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dst::FlowSet;
use nlu::NluDomain;
use templates::TemplateSet;

use crate::check::{Parts, Problem, Report, Severity};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Nlu(#[from] nlu::NluError),
    #[error(transparent)]
    Flows(#[from] dst::FlowError),
    #[error(transparent)]
    Templates(#[from] templates::TemplateError),
    #[error("{path}: {message}")]
    Domain { path: PathBuf, message: String },
    #[error(transparent)]
    Model(#[from] gpt2::Error),
    #[error(transparent)]
    File(#[from] ronfile::FileError),
    #[error("{path}: {message}")]
    Script { path: PathBuf, message: String },
    /// The domain's files load but do not fit together (`deskbot check` prints the same).
    #[error("{0}")]
    Check(Report),
}

/// Everything a bot needs to know about its business.
#[derive(Debug, Clone)]
pub struct Domain {
    pub nlu: NluDomain,
    pub flows: FlowSet,
    pub templates: TemplateSet,
    /// Where it came from, for messages.
    pub source: PathBuf,
    /// What `deskbot check` would warn about (loading refuses errors).
    pub warnings: Vec<Problem>,
    /// Identifies the domain's files (names and contents): stored conversations record the
    /// domain they were answered under.
    pub fingerprint: String,
}

const BUNDLED_NLU: &str = include_str!("../../../intents/nlu.ron");
const BUNDLED_FLOWS: &str = include_str!("../../../intents/flows.ron");
const BUNDLED_TEMPLATES: [(&str, &str); 3] = [
    ("templates/common.ron", include_str!("../../../templates/common.ron")),
    ("templates/customer_service.ron", include_str!("../../../templates/customer_service.ron")),
    ("templates/approvals.ron", include_str!("../../../templates/approvals.ron")),
];

impl Domain {
    /// The approval and customer-service domain shipped with deskbot.
    pub fn bundled() -> Result<Self, Error> {
        let nlu = NluDomain::from_str(Path::new("intents/nlu.ron"), BUNDLED_NLU)?;
        let flows = FlowSet::from_str(Path::new("intents/flows.ron"), BUNDLED_FLOWS)?;
        let mut templates = TemplateSet::default();
        for (path, text) in BUNDLED_TEMPLATES {
            templates.add_source(Path::new(path), text)?;
        }
        let texts = [("intents/nlu.ron", BUNDLED_NLU), ("intents/flows.ron", BUNDLED_FLOWS)].into_iter().chain(BUNDLED_TEMPLATES);
        let texts = texts.map(|(path, text)| (PathBuf::from(path), text.to_string())).collect();
        Self::checked(nlu, flows, templates, PathBuf::from("(bundled domain)"), (PathBuf::from("intents"), PathBuf::from("templates")), texts)
    }

    /// Loads `DIR/nlu.ron`, `DIR/flows.ron` and the templates in `templates` (a file or a
    /// directory of `*.ron`), and checks that they fit together ([`crate::check`]).
    pub fn load(dir: &Path, templates: &Path) -> Result<Self, Error> {
        let nlu = NluDomain::load(&dir.join("nlu.ron"))?;
        let flows = FlowSet::load(&dir.join("flows.ron"))?;
        let template_set = TemplateSet::load(templates)?;
        Self::checked(nlu, flows, template_set, dir.into(), (dir.into(), templates.into()), file_texts(dir, templates))
    }

    /// Identifies the NLU part (intents, examples, entities): what a trained recognizer is for.
    pub fn nlu_fingerprint(&self) -> String {
        nlu::model::fingerprint(&self.nlu)
    }

    /// Every problem of the domain in `dir` and `templates` at once: files that do not parse,
    /// then (when all parse) how they fit together.
    pub fn check(dir: &Path, templates: &Path) -> Report {
        let parse_error = |e: &dyn std::fmt::Display| Problem {
            severity: Severity::Error,
            path: PathBuf::new(),
            line: 0,
            column: 0,
            message: e.to_string(),
            hint: String::new(),
        };
        let (nlu, flows, template_set) = (NluDomain::load(&dir.join("nlu.ron")), FlowSet::load(&dir.join("flows.ron")), TemplateSet::load(templates));
        match (nlu, flows, template_set) {
            (Ok(nlu), Ok(flows), Ok(template_set)) => {
                parts(&nlu, &flows, &template_set, (dir.into(), templates.into()), file_texts(dir, templates)).check()
            }
            (nlu, flows, template_set) => {
                let errors: Vec<Problem> =
                    [nlu.err().map(|e| parse_error(&e)), flows.err().map(|e| parse_error(&e)), template_set.err().map(|e| parse_error(&e))]
                        .into_iter()
                        .flatten()
                        .collect();
                Report { problems: errors }
            }
        }
    }

    /// The parts, checked together: errors refuse them, warnings are kept.
    fn checked(
        nlu: NluDomain,
        flows: FlowSet,
        templates: TemplateSet,
        source: PathBuf,
        dirs: (PathBuf, PathBuf),
        texts: BTreeMap<PathBuf, String>,
    ) -> Result<Self, Error> {
        let fingerprint = files_fingerprint(&texts);
        let report = parts(&nlu, &flows, &templates, dirs, texts).check();
        if report.errors() > 0 {
            return Err(Error::Check(report));
        }
        let warnings = report.warnings().cloned().collect();
        Ok(Self { nlu, flows, templates, source, warnings, fingerprint })
    }
}

fn parts<'a>(
    nlu: &'a NluDomain,
    flows: &'a FlowSet,
    templates: &'a TemplateSet,
    (dir, templates_path): (PathBuf, PathBuf),
    texts: BTreeMap<PathBuf, String>,
) -> Parts<'a> {
    Parts { nlu, flows, templates, nlu_path: dir.join("nlu.ron"), flows_path: dir.join("flows.ron"), templates_path, texts }
}

/// FNV-1a of the files' names and contents, in name order (wherever the directory is).
fn files_fingerprint(texts: &BTreeMap<PathBuf, String>) -> String {
    use std::hash::Hasher;
    let mut files: Vec<(&std::ffi::OsStr, &String)> = texts.iter().filter_map(|(path, text)| Some((path.file_name()?, text))).collect();
    files.sort();
    let mut hasher = fnv::FnvHasher::default();
    for (name, text) in files {
        hasher.write(name.as_encoded_bytes());
        hasher.write_u8(0);
        hasher.write(text.as_bytes());
        hasher.write_u8(0);
    }
    format!("{:016x}", hasher.finish())
}

/// The text of each domain file (nlu.ron, flows.ron, the templates), for saying where a name is.
fn file_texts(dir: &Path, templates: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = vec![dir.join("nlu.ron"), dir.join("flows.ron")];
    match std::fs::read_dir(templates) {
        Ok(entries) => files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "ron"))),
        Err(_) => files.push(templates.into()),
    }
    files.into_iter().filter_map(|path| Some((path.clone(), std::fs::read_to_string(&path).ok()?))).collect()
}
