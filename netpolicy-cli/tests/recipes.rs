//! The CI recipes and pre-commit hooks as a user copies them: their YAML
//! parses, and every `netpolicy` command they run exists with the options
//! they give it.

mod common;
use common::netpolicy;

const HOOKS: &str = include_str!("../../.pre-commit-hooks.yaml");
const CI_DOC: &str = include_str!("../../docs/ci.md");

/// Whether `text` is well-formed YAML (every event parses).
fn parses(text: &str) -> Result<(), String> {
    for event in saphyr_parser::Parser::new_from_str(text) {
        event.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The fenced ```yaml blocks of a Markdown text.
fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```yaml") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// Every `netpolicy SUBCOMMAND ...` invocation in `text`, as words.
fn invocations(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        while let Some(at) = rest.find("netpolicy ") {
            let after = &rest[at + "netpolicy ".len()..];
            let words: Vec<String> = after
                .split(['>', '|', '`', '"'])
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect();
            let before = rest[..at].chars().last();
            // `cargo install ... netpolicy-cli` and URLs are not invocations.
            if before.is_none_or(|c| c.is_whitespace() || c == '`' || c == '\'')
                && words
                    .first()
                    .is_some_and(|w| w.chars().all(|c| c.is_ascii_lowercase()))
            {
                out.push(words);
            }
            rest = after;
        }
    }
    out
}

fn assert_commands_exist(text: &str, origin: &str) -> usize {
    let calls = invocations(text);
    for words in &calls {
        let (code, help, err) = netpolicy(&[words[0].as_str(), "--help"]);
        assert_eq!(
            code, 0,
            "{origin}: `netpolicy {}` is not a command: {err}",
            words[0]
        );
        for flag in words.iter().filter(|w| w.starts_with("--")) {
            assert!(
                help.contains(flag.as_str()),
                "{origin}: `netpolicy {}` has no option {flag}",
                words[0]
            );
        }
    }
    calls.len()
}

#[test]
fn the_pre_commit_hooks_parse_and_run_real_commands() {
    parses(HOOKS).unwrap_or_else(|e| panic!(".pre-commit-hooks.yaml: {e}"));
    let ids: Vec<&str> = (HOOKS.lines())
        .filter_map(|l| l.strip_prefix("- id: "))
        .collect();
    assert_eq!(
        ids,
        [
            "netpolicy-fmt",
            "netpolicy-check",
            "netpolicy-check-policies"
        ]
    );
    assert_eq!(HOOKS.matches("\n  entry: netpolicy ").count(), ids.len());
    assert_eq!(HOOKS.matches("\n  language: ").count(), ids.len());
    assert!(assert_commands_exist(HOOKS, ".pre-commit-hooks.yaml") >= 3);
}

#[test]
fn the_ci_recipes_parse_and_run_real_commands() {
    let blocks = yaml_blocks(CI_DOC);
    assert_eq!(blocks.len(), 3, "GitHub, GitLab, pre-commit");
    for block in &blocks {
        parses(block).unwrap_or_else(|e| panic!("docs/ci.md: {e}\n{block}"));
    }
    let calls = assert_commands_exist(&blocks.join("\n"), "docs/ci.md");
    assert!(calls >= 3, "check (sarif), diff (markdown), check (junit)");
    for format in ["--format sarif", "--format markdown", "--format junit"] {
        assert!(CI_DOC.contains(format), "{format}");
    }
}
