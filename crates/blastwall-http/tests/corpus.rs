//! The evasion corpus: every case has an exact expected decision, and every evasion a benign twin.

use blastwall_core::{Classifier, Context, Policy, Registry, decide};
use blastwall_http::{HttpClassifier, HttpRequest};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: String,
    expect: String,
    note: String,
    kind: String,
    #[serde(default)]
    rule: Option<String>,
}

fn cases() -> Vec<Case> {
    include_str!("corpus/http.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("corpus line {}: {e}", i + 1))
        })
        .collect()
}

#[test]
fn corpus_decisions_are_exact() {
    let classifier = HttpClassifier::new();
    let registry = Registry::new();
    let ctx = Context::default();
    let mut failures = Vec::new();
    let all = cases();
    for (i, case) in all.iter().enumerate() {
        let request = HttpRequest {
            method: case.method.clone(),
            url: case.url.clone(),
            headers: case.headers.clone(),
            body: case.body.clone(),
        };
        let message = request.to_message();
        let actions = classifier.classify(&message, &ctx, &registry);
        let verdict = decide(actions, &Policy::default());
        let rule_ok = case.rule.as_ref().is_none_or(|r| *r == verdict.rule);
        if verdict.decision.as_str() != case.expect || !rule_ok {
            failures.push(format!(
                "line {} ({}): {} {} → {} by `{}` ({}), expected {}{}",
                i + 1,
                case.note,
                case.method,
                case.url,
                verdict.decision,
                verdict.rule,
                verdict.reason,
                case.expect,
                case.rule
                    .as_ref()
                    .map(|r| format!(" by `{r}`"))
                    .unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_has_evasions_with_benign_twins() {
    let all = cases();
    let evasions = all.iter().filter(|c| c.kind == "evasion").count();
    let benign = all.iter().filter(|c| c.kind == "benign").count();
    assert!(evasions >= 100, "{evasions} evasions");
    assert!(
        benign >= evasions,
        "{benign} benign twins for {evasions} evasions"
    );
    for pair in all.chunks(2) {
        assert_eq!(pair[0].kind, "evasion", "{}", pair[0].note);
        assert_eq!(pair[1].kind, "benign", "{}", pair[1].note);
    }
}
