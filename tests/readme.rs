//! README.md is tested against the binary, so it cannot drift from it:
//!
//! - the tour (the `sh` block under "## A tour") runs line by line, in order,
//!   in a fresh folder that holds only the repository's inputs (no `output/`),
//!   and each line must exit with the code its comment gives (`exit N`, else 0);
//! - every example block that starts with `$ telsim …` must print what it
//!   shows: all of it, or the lines before a `…` line.

mod common;

use std::path::Path;
use std::process::Command;

use common::{describe, root};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md is readable")
}

/// The fenced blocks of a Markdown text: (info string, body lines).
fn blocks(md: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in md.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((info.trim().to_string(), Vec::new())),
            (Some(_), Some(_)) => out.push(current.take().expect("inside a block")),
            (Some((_, body)), None) => body.push(line.to_string()),
            (None, None) => {}
        }
    }
    assert!(current.is_none(), "README.md has an unclosed code block");
    out
}

/// Splits a shell line into words (single and double quotes group; no
/// expansion) and the comment after an unquoted `#`.
fn shell_words(line: &str) -> (Vec<String>, String) {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '#') if !in_word => return (words, line[i + 1..].trim().to_string()),
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unclosed quote in README line: {line}");
    if in_word {
        words.push(word);
    }
    (words, String::new())
}

/// `exit N` in a tour comment; 0 when it names none.
fn documented_exit(comment: &str) -> i32 {
    comment
        .split("exit ")
        .nth(1)
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or(0)
}

fn tour_lines(md: &str) -> Vec<String> {
    let tour = md
        .split("\n## A tour")
        .nth(1)
        .expect("README.md has a '## A tour' section");
    let tour = tour.split("\n## ").next().expect("section text");
    let (_, body) = blocks(tour)
        .into_iter()
        .find(|(info, _)| info == "sh")
        .expect("the tour has a sh block");
    body.into_iter().filter(|l| !l.trim().is_empty()).collect()
}

/// A folder with the repository's inputs and nothing else: what a fresh
/// clone has before its first run.
fn fresh_clone_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in ["scenarios", "topologies", "tests"] {
        std::os::unix::fs::symlink(root().join(entry), dir.path().join(entry))
            .expect("symlink into the temp dir");
    }
    dir
}

fn telsim_in(dir: &Path, args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_telsim"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("the telsim binary runs")
}

#[test]
fn every_tour_command_works_on_a_fresh_clone_in_order() {
    let lines = tour_lines(&readme());
    assert!(lines.len() >= 10, "the tour lost its commands: {lines:?}");
    let dir = fresh_clone_dir();
    for line in &lines {
        let (words, comment) = shell_words(line);
        assert_eq!(
            words.first().map(String::as_str),
            Some("telsim"),
            "every tour line is a telsim command: {line}"
        );
        let out = telsim_in(dir.path(), &words[1..]);
        assert_eq!(
            out.status.code(),
            Some(documented_exit(&comment)),
            "README tour line `{line}`\n{}",
            describe(&out)
        );
    }
    // The tour's diff compared two runs it made itself.
    assert!(dir.path().join("output/base/summary.csv").is_file());
    assert!(dir.path().join("output/candidate/summary.csv").is_file());
}

#[test]
fn every_example_output_in_the_readme_is_what_the_binary_prints() {
    let md = readme();
    let mut checked = 0;
    for (_, body) in blocks(&md) {
        let Some(command) = body.first().and_then(|l| l.strip_prefix("$ telsim ")) else {
            continue;
        };
        let (words, _) = shell_words(command);
        let shown: Vec<&str> = body[1..]
            .iter()
            .map(String::as_str)
            .take_while(|l| l.trim() != "…")
            .collect();
        let whole = shown.len() == body.len() - 1;
        let out = common::telsim(&words);
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: Vec<&str> = printed.lines().collect();
        if whole {
            assert_eq!(printed, shown, "README example `$ telsim {command}`");
        } else {
            assert!(
                printed.len() >= shown.len() && printed[..shown.len()] == shown[..],
                "README example `$ telsim {command}` (lines before …)\nshown: {shown:#?}\nprinted: {printed:#?}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 5, "README lost its examples ({checked} checked)");
}

#[test]
fn shell_words_handle_quotes_and_comments() {
    let (w, c) =
        shell_words("telsim size x.ron --target 'service_level>=0.8'   # Erlang C (exit 1)");
    assert_eq!(
        w,
        ["telsim", "size", "x.ron", "--target", "service_level>=0.8"]
    );
    assert_eq!(documented_exit(&c), 1);
    let (w, c) = shell_words("telsim run a#b.ron");
    assert_eq!(w, ["telsim", "run", "a#b.ron"]);
    assert_eq!(documented_exit(&c), 0);
}

#[test]
fn every_scenario_shown_in_the_readme_and_the_reference_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for doc in ["README.md", "docs/scenario.md"] {
        let md = std::fs::read_to_string(root().join(doc)).unwrap();
        for (info, body) in blocks(&md) {
            let text = body.join("\n");
            let first_code = body
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty() && !l.starts_with("//"));
            if info != "ron" || !first_code.is_some_and(|l| l.starts_with("Scenario(")) {
                continue;
            }
            let file = dir.path().join(format!("example{checked}.ron"));
            std::fs::write(&file, &text).unwrap();
            let out = common::telsim(&[std::ffi::OsStr::new("check"), file.as_os_str()]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{doc}: example scenario\n{text}\n{}",
                describe(&out)
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 2,
        "the README and the reference lost their example scenarios"
    );
}
