//! Every `deskbot …` command the README and the domain guide show is a real command: its
//! subcommand exists and every `--flag` it uses is one that subcommand takes (read from its
//! `--help`). The commands themselves run in the tests of each feature; this catches a
//! document that drifted from the binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `deskbot …` commands of a Markdown text: lines of code blocks (after a `$ ` prompt) and
/// inline code spans.
fn commands(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_block = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            let line = line.trim_start().trim_start_matches("$ ");
            if line.starts_with("deskbot ") {
                found.push(line.to_string());
            }
            continue;
        }
        found.extend(line.split('`').skip(1).step_by(2).filter(|span| span.starts_with("deskbot ")).map(str::to_string));
    }
    found
}

/// The words of a command up to a comment or a shell operator.
fn words(command: &str) -> Vec<&str> {
    command.split_whitespace().take_while(|w| !matches!(*w, "#" | "|" | ">" | "&&" | "2>&1")).collect()
}

fn help(path: &[&str]) -> Option<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_deskbot")).args(path).arg("--help").current_dir(repo()).output().unwrap();
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn every_documented_command_and_flag_exists() {
    let mut helps: BTreeMap<Vec<String>, Option<String>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in ["README.md", "docs/domain.md"] {
        let text = std::fs::read_to_string(repo().join(file)).unwrap();
        for command in commands(&text) {
            let words = words(&command);
            // The subcommand: the leading plain words (at most two) whose help exists.
            let plain: Vec<&str> = words[1..]
                .iter()
                .take(2)
                .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
                .copied()
                .collect();
            let found = (1..=plain.len()).rev().find_map(|n| {
                let path: Vec<String> = plain[..n].iter().map(|w| w.to_string()).collect();
                let help = helps.entry(path.clone()).or_insert_with(|| help(&plain[..n])).clone()?;
                Some((path, help))
            });
            let Some((path, help)) = found else {
                problems.push(format!("{file}: `{command}`: no such subcommand"));
                continue;
            };
            for word in &words[1 + path.len()..] {
                let flag = word.trim_start_matches(['[', '(']);
                if !flag.starts_with("--") {
                    continue;
                }
                let flag: String = flag.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
                if !help.contains(&format!("{flag} ")) && !help.contains(&format!("{flag}\n")) && !help.contains(&format!("{flag}=")) {
                    problems.push(format!("{file}: `{command}`: `deskbot {}` takes no {flag}", path.join(" ")));
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} commands found: the extraction broke");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
