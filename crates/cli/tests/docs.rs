//! docs/domain.md's examples are whole files: each loads, they check together as a domain
//! (no errors), and its conversation test passes against them.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use deskbot::{Bot, Domain, replay};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The ```ron blocks of a Markdown text.
fn ron_blocks(markdown: &str) -> Vec<String> {
    markdown.split("```ron\n").skip(1).filter_map(|rest| rest.split_once("\n```").map(|(block, _)| block.to_string())).collect()
}

#[test]
fn the_domain_guide_examples_load_check_and_replay() {
    let guide = std::fs::read_to_string(repo().join("docs/domain.md")).unwrap();
    let blocks = ron_blocks(&guide);
    let file_of = |head: &str| blocks.iter().find(|b| b.trim_start().starts_with(head)).unwrap_or_else(|| panic!("no {head} example"));
    let dir = tempfile::tempdir().unwrap();
    for (path, head) in
        [("intents/nlu.ron", "Nlu("), ("intents/flows.ron", "Flows("), ("templates/po.ron", "Templates("), ("tests/po.ron", "Dialogue(")]
    {
        std::fs::create_dir_all(dir.path().join(path).parent().unwrap()).unwrap();
        std::fs::write(dir.path().join(path), file_of(head)).unwrap();
    }
    assert_eq!(blocks.len(), 4, "every example is one of the four files");
    // The guide's templates leave out the engine's replies (its table lists them): take them
    // from the bundled set, as `deskbot new` writes them.
    std::fs::copy(repo().join("templates/common.ron"), dir.path().join("templates/common.ron")).unwrap();
    let common = std::fs::read_to_string(dir.path().join("templates/common.ron")).unwrap();
    std::fs::write(dir.path().join("templates/common.ron"), common.replace("\"greet\": [", "\"unused_greet\": [")).unwrap();
    let (intents, templates) = (dir.path().join("intents"), dir.path().join("templates"));
    let report = Domain::check(&intents, &templates);
    assert_eq!(report.errors(), 0, "{report}");
    let domain = Domain::load(&intents, &templates).unwrap();
    let script_path = dir.path().join("tests/po.ron");
    let script = replay::load(&script_path).unwrap();
    let bot = Bot::new(domain).unwrap().with_today(NaiveDate::from_ymd_opt(2026, 11, 29).unwrap());
    let outcome = replay::run(bot, &script_path, &script).unwrap();
    assert!(outcome.passed(), "{outcome:?}");
}
