//! A domain: NLU (`nlu.ron`), flows (`flows.ron`) and reply templates (`*.ron`).

use std::path::{Path, PathBuf};

use dst::FlowSet;
use nlu::NluDomain;
use templates::TemplateSet;

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
}

/// Everything a bot needs to know about its business.
#[derive(Debug, Clone)]
pub struct Domain {
    pub nlu: NluDomain,
    pub flows: FlowSet,
    pub templates: TemplateSet,
    /// Where it came from, for messages.
    pub source: PathBuf,
}

const BUNDLED_NLU: &str = include_str!("../../../intents/nlu.ron");
const BUNDLED_FLOWS: &str = include_str!("../../../intents/flows.ron");
const BUNDLED_TEMPLATES: [(&str, &str); 3] = [
    ("templates/common.ron", include_str!("../../../templates/common.ron")),
    ("templates/customer_service.ron", include_str!("../../../templates/customer_service.ron")),
    ("templates/approvals.ron", include_str!("../../../templates/approvals.ron")),
];

/// Responses the engine itself may render, besides those the flows name.
const ENGINE_RESPONSES: [&str; 18] = [
    "out_of_scope",
    "flow_retired",
    "nothing_to_cancel",
    "nothing_to_confirm",
    "flow_cancelled",
    "confirmation_denied",
    "please_confirm",
    "resume_flow",
    "next_request",
    "request_queued",
    "slot_invalid",
    "slot_not_understood",
    "action_failed",
    "handoff",
    "still_need",
    "capabilities",
    "flow_parked",
    "offer_value",
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
        Self::checked(nlu, flows, templates, PathBuf::from("(bundled domain)"))
    }

    /// Loads `DIR/nlu.ron`, `DIR/flows.ron` and the templates in `templates` (a file or a
    /// directory of `*.ron`).
    pub fn load(dir: &Path, templates: &Path) -> Result<Self, Error> {
        let nlu = NluDomain::load(&dir.join("nlu.ron"))?;
        let flows = FlowSet::load(&dir.join("flows.ron"))?;
        let templates = TemplateSet::load(templates)?;
        Self::checked(nlu, flows, templates, dir.into())
    }

    /// Cross-checks the parts: every flow's intent exists, every response has a template.
    fn checked(nlu: NluDomain, flows: FlowSet, templates: TemplateSet, source: PathBuf) -> Result<Self, Error> {
        let fail = |path: PathBuf, message: String| Err(Error::Domain { path, message });
        let flows_path = source.join("flows.ron");
        for (name, flow) in &flows.flows {
            let special = [&flows.settings.affirm, &flows.settings.deny, &flows.settings.cancel, &flows.settings.handoff];
            if !nlu.intents.contains_key(&flow.intent) && !special.contains(&&flow.intent) {
                return fail(flows_path, format!("flow `{name}` is started by intent `{}`, which nlu.ron does not define", flow.intent));
            }
        }
        for (slot, def) in &flows.slots {
            for entity in &def.entities {
                if !nlu.entities.contains_key(entity) {
                    return fail(flows_path, format!("slot `{slot}` is filled by entity `{entity}`, which nlu.ron does not define"));
                }
            }
        }
        // A value marked in an example must have a slot to go to.
        let takes = |name: &str| flows.slots.iter().any(|(slot, def)| slot == name || def.entities.iter().any(|e| e == name));
        for (intent, def) in &nlu.intents {
            for (text, spans) in def.annotated() {
                if let Some(span) = spans.iter().find(|s| !takes(&s.slot)) {
                    let message = format!("intent `{intent}`, example {text:?} marks a value for `{}`, which no slot of flows.ron takes", span.slot);
                    return fail(source.join("nlu.ron"), message);
                }
            }
        }
        for response in flows.response_names().iter().map(String::as_str).chain(ENGINE_RESPONSES) {
            if !templates.contains(response) {
                return fail(source.join("templates"), format!("no template for response `{response}`"));
            }
        }
        Ok(Self { nlu, flows, templates, source })
    }
}
