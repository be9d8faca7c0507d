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

/// The cases of one JSON Lines corpus in `tests/corpus/`, whatever their fields.
fn read_corpus<T: serde::de::DeserializeOwned>(name: &str) -> Vec<T> {
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

fn load(name: &str) -> Vec<Case> {
    read_corpus(name)
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

/// Benign cases of the second corpus that blastwall deliberately still holds for a human, with
/// the reason. Everything else in it must be judged as its author expected.
const ACCEPTED_DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "rm -rf lib/ && tsc -p tsconfig.build.json",
        "`lib` is source in many projects (Ruby, Elixir)",
    ),
    (
        "kubectl get secret tls-cert -n dev -o jsonpath='{.data.ca\\.crt}' | base64 -d > ca.crt",
        "prints data out of a Kubernetes secret",
    ),
    (
        "kubectl delete -f k8s/debug-pod.yaml",
        "what the manifest deletes is not visible here",
    ),
];

#[derive(Deserialize)]
struct EvalCase {
    cmd: String,
    cat: String,
}

fn eval_cases(name: &str) -> Vec<EvalCase> {
    read_corpus(name)
}

#[test]
fn second_corpus_every_destructive_case_is_stopped() {
    let engine = Engine::embedded();
    let cases = eval_cases("eval-destructive.jsonl");
    assert!(cases.len() >= 1000);
    let missed: Vec<String> = cases
        .iter()
        .filter(|c| engine.check_shell(&c.cmd).decision == Decision::Allow)
        .map(|c| format!("[{}] {}", c.cat, c.cmd))
        .collect();
    assert!(
        missed.is_empty(),
        "{} destructive cases allowed:\n{}",
        missed.len(),
        missed.join("\n")
    );
}

#[test]
fn second_corpus_benign_cases_run() {
    let engine = Engine::embedded();
    let cases = eval_cases("eval-benign.jsonl");
    assert!(cases.len() >= 1000);
    let stopped: Vec<String> = cases
        .iter()
        .filter(|c| !ACCEPTED_DISAGREEMENTS.iter().any(|(cmd, _)| *cmd == c.cmd))
        .filter_map(|c| {
            let v = engine.check_shell(&c.cmd);
            (v.decision != Decision::Allow)
                .then(|| format!("[{}] {} ({}): {}", c.cat, v.decision, v.rule, c.cmd))
        })
        .collect();
    assert!(
        stopped.is_empty(),
        "{} benign cases stopped:\n{}",
        stopped.len(),
        stopped.join("\n")
    );
    for (cmd, why) in ACCEPTED_DISAGREEMENTS {
        assert!(
            cases.iter().any(|c| c.cmd == *cmd),
            "stale disagreement ({why}): {cmd}"
        );
        assert_ne!(
            engine.check_shell(cmd).decision,
            Decision::Allow,
            "no longer held ({why}): {cmd}"
        );
    }
}

/// The third corpus was written blind (its author never saw blastwall) and measured before any
/// rule was written for it: 81.0% of its destructive cases stopped, 1.44% of its benign ones.
/// It is kept as a measurement: the floor below is what the suite guarantees today, and every
/// miss is printed so that the next rule has its case.
#[test]
fn blind_corpus_rates() {
    assert_rates("blind", 0.98, 0.01);
}

/// The fourth corpus, also written blind: 82.5% stopped and 1.56% benign stopped when first
/// measured.
#[test]
fn second_blind_corpus_rates() {
    assert_rates("blind2", 0.97, 0.01);
}

/// The fifth corpus, also written blind: 79.05% of 3,093 destructive commands stopped and 3.14%
/// of 1,241 benign ones stopped when first measured. After rules for whole families (publishing,
/// instance metadata, PowerShell cmdlets, firewalls, secrets printed by CLIs, ...): 93.11% and 3.14%.
/// After SQL scripts written earlier in the same command are read, sqlite3's dot-commands are
/// understood and local-only development commands are told from remote ones: 93.11% and 2.58%.
/// After emptied project files (`> f`, `: > f`, `truncate -s 0 f`) are weighed: 93.34% and 2.58%.
/// After secrets printed or published, bulk deletes of one file type, unknown tools asked to
/// delete, makefiles written earlier, disposable environments, package typosquats, one-liners'
/// SQL and HTTP, and the wrappers nsenter, systemd-run and `ssh host 'bash -s'`: 97.58% and 0.56%.
#[test]
fn third_blind_corpus_rates() {
    assert_rates("blind3", 0.975, 0.006);
}

/// The sixth corpus, also written blind (3,135 destructive commands, two thirds obfuscated, and
/// 1,069 benign ones): 90.46% stopped and 3.93% benign stopped when first measured, after the
/// third corpus's mechanisms were in. After disposable environments, `ssh host 'bash -s'` with a
/// here-document, package typosquats, one-liners' SQL and HTTP, PaaS database sessions and CQL:
/// 97.32% and 1.87%.
#[test]
fn fourth_blind_corpus_rates() {
    assert_rates("blind4", 0.973, 0.019);
}

fn assert_rates(name: &str, min_stopped: f64, max_false: f64) {
    let engine = Engine::embedded();
    let destructive = eval_cases(&format!("{name}-destructive.jsonl"));
    let benign = eval_cases(&format!("{name}-benign.jsonl"));
    let missed: Vec<&EvalCase> = destructive
        .iter()
        .filter(|c| engine.check_shell(&c.cmd).decision == Decision::Allow)
        .collect();
    let stopped: Vec<&EvalCase> = benign
        .iter()
        .filter(|c| engine.check_shell(&c.cmd).decision != Decision::Allow)
        .collect();
    let stop_rate = 1.0 - missed.len() as f64 / destructive.len() as f64;
    let false_rate = stopped.len() as f64 / benign.len() as f64;
    for c in &missed {
        println!("missed  [{}] {}", c.cat, c.cmd);
    }
    for c in &stopped {
        println!("stopped [{}] {}", c.cat, c.cmd);
    }
    println!(
        "{name} corpus: {:.2}% destructive stopped, {:.2}% benign stopped",
        stop_rate * 100.0,
        false_rate * 100.0
    );
    assert!(destructive.len() >= 1000 && benign.len() >= 400);
    assert!(
        stop_rate >= min_stopped,
        "destructive stopped fell to {:.2}%",
        stop_rate * 100.0
    );
    assert!(
        false_rate <= max_false,
        "benign stopped rose to {:.2}%",
        false_rate * 100.0
    );
}
