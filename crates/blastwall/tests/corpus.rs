//! The hand-written corpora: every destructive case (most of them obfuscated) must get exactly
//! its expected decision, and every benign near-miss must be allowed.

use blastwall::Engine;
use blastwall_core::Decision;
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    cmd: String,
    expect: String,
    cat: String,
}

fn load(name: &str) -> Vec<Case> {
    let path = format!("{}/../../tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{name} line {}: {e}", i + 1))
        })
        .collect()
}

fn run(name: &str) -> (usize, Vec<String>) {
    let engine = Engine::embedded();
    let cases = load(name);
    let mut wrong = Vec::new();
    for c in &cases {
        let expected =
            Decision::parse(&c.expect).unwrap_or_else(|| panic!("bad expectation {}", c.expect));
        let v = engine.check_shell(&c.cmd);
        if v.decision != expected {
            wrong.push(format!(
                "[{}] expected {} got {} ({}: {})\n    {}",
                c.cat, expected, v.decision, v.rule, v.reason, c.cmd
            ));
        }
    }
    (cases.len(), wrong)
}

#[test]
fn destructive_cases_get_their_exact_decision() {
    let (n, wrong) = run("destructive.jsonl");
    assert!(n >= 600, "the destructive corpus has {n} cases");
    assert!(
        wrong.is_empty(),
        "{} of {n} destructive cases judged wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn benign_near_misses_are_allowed() {
    let (n, wrong) = run("benign.jsonl");
    assert!(n >= 300, "the benign corpus has {n} cases");
    assert!(
        wrong.is_empty(),
        "{} of {n} benign cases judged wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn at_least_300_obfuscated_destructive_cases() {
    let n = load("destructive.jsonl")
        .iter()
        .filter(|c| c.cat.starts_with("obf-"))
        .count();
    assert!(n >= 300, "only {n} obfuscated cases");
}
