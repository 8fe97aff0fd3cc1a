//! `deskbot import rasa` on Rasa's example bots (../shared/data/rasa_examples, Apache 2.0):
//! the converted bot loads, its replays (the bot's own stories and rules) pass, formbot's
//! restaurant form runs on phrasing that is not in its NLU data, and broken projects are
//! refused with file:line before anything is written.

use std::path::{Path, PathBuf};

use deskbot::rasa::{Converted, import};
use deskbot::{Bot, Conversation, Domain, replay};

fn examples() -> PathBuf {
    match std::env::var("DESKBOT_SHARED") {
        Ok(dir) => PathBuf::from(dir).join("data/rasa_examples"),
        Err(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/rasa_examples"),
    }
}

/// The bot written under a fresh directory (kept alive), and its domain.
fn imported(bot: &str) -> (tempfile::TempDir, Converted, Domain) {
    let converted = import(&examples().join(bot)).unwrap_or_else(|e| panic!("{bot}: {e}"));
    let out = tempfile::tempdir().unwrap();
    converted.write(out.path(), false).unwrap();
    let domain = Domain::load(&out.path().join("intents"), &out.path().join("templates")).unwrap_or_else(|e| panic!("{bot}: {e}"));
    (out, converted, domain)
}

fn say(bot: &Bot, conversation: &mut Conversation, text: &str) -> String {
    bot.respond(conversation, text).text()
}

#[test]
fn every_example_bots_stories_and_rules_pass_as_replays() {
    for name in ["formbot", "moodbot", "concertbot", "e2ebot", "knowledgebasebot", "reminderbot", "responseselectorbot", "rules"] {
        let (out, converted, domain) = imported(name);
        assert!(converted.replays > 0, "{name}: no replays");
        for entry in std::fs::read_dir(out.path().join("tests")).unwrap() {
            let path = entry.unwrap().path();
            let script = replay::load(&path).unwrap();
            let report = replay::run(Bot::new(domain.clone()).unwrap(), &path, &script).unwrap();
            assert!(report.passed(), "{name} {}: {:?}", path.display(), report.failures);
        }
    }
}

#[test]
fn formbot_runs_its_form_on_fresh_phrasing_and_moodbot_its_paths() {
    let (_out, converted, domain) = imported("formbot");
    let bot = Bot::new(domain).unwrap();
    assert!(converted.skipped.iter().any(|s| s.what == "validate_restaurant_form" && s.at.contains("domain.yml:")), "{:?}", converted.skipped);
    let mut chat = Conversation::new("formbot");
    assert!(say(&bot, &mut chat, "hello there").contains("restaurant search assistant"));
    assert_eq!(say(&bot, &mut chat, "I would like to book a restaurant"), "What cuisine?");
    assert_eq!(say(&bot, &mut chat, "thai food please"), "How many people?");
    assert_eq!(say(&bot, &mut chat, "four of us"), "Do you want to sit outside?");
    assert_eq!(say(&bot, &mut chat, "yes please"), "Please provide additional preferences");
    assert_eq!(say(&bot, &mut chat, "no"), "Please give your feedback on your experience so far");
    let summary = say(&bot, &mut chat, "great so far");
    for part in ["All done!", "cuisine: thai", "num_people: 4", "outdoor_seating: true", "preferences: no additional preferences"] {
        assert!(summary.contains(part), "{part} in {summary}");
    }
    // moodbot's sad path: "did that help?" is a yes/no question with a reply for each.
    let (_out, _, domain) = imported("moodbot");
    let bot = Bot::new(domain).unwrap();
    let mut chat = Conversation::new("moodbot");
    say(&bot, &mut chat, "hi");
    assert!(say(&bot, &mut chat, "I am sad").contains("Did that help you?"));
    assert!(say(&bot, &mut chat, "no").contains("Bye"));
}

#[test]
fn a_broken_project_is_refused_with_its_file_and_line_and_nothing_is_written() {
    let copy = |edit: &dyn Fn(&str) -> String| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let formbot = examples().join("formbot");
        for file in ["data/nlu.yml", "data/rules.yml", "data/stories.yml"] {
            std::fs::copy(formbot.join(file), dir.path().join(file)).unwrap();
        }
        std::fs::write(dir.path().join("domain.yml"), edit(&std::fs::read_to_string(formbot.join("domain.yml")).unwrap())).unwrap();
        dir
    };
    type Edit<'a> = &'a dyn Fn(&str) -> String;
    let cases: [(Edit, &str); 3] = [
        (&|d| d.replace("slots:\n", "slots: [\n"), "domain.yml:"),
        (&|d| d.replace("      - feedback\n", "      - feedback\n      - table_size\n"), "table_size"),
        (&|d| d.replace("\"What cuisine?\"", "\"What cuisine, {first_name}?\""), "{first_name}"),
    ];
    for (edit, expected) in cases {
        let project = copy(edit);
        let error = import(project.path()).unwrap_err().to_string();
        assert!(error.contains(expected) && error.contains("domain.yml:"), "{error}");
    }
    // Twice into the same directory: refused without --force.
    let converted = import(&examples().join("moodbot")).unwrap();
    let out = tempfile::tempdir().unwrap();
    converted.write(out.path(), false).unwrap();
    assert!(converted.write(out.path(), false).unwrap_err().to_string().contains("--force"));
    converted.write(out.path(), true).unwrap();
}
