//! The SQL corpus: every category of the classifier with an exact expected decision, each
//! destructive statement with a benign twin, and every pair again under obfuscations
//! (case, comments, whitespace, multi-statement tails, executable comments, psql settings).

use std::sync::Arc;

use blastwall_core::{Classifier, Context, Decision, Policy, Registry, Verdict, decide};
use blastwall_sql::SqlClassifier;
use serde_json::Value;

fn registry() -> Registry {
    let rules = Arc::new(blastwall_rules::embedded().expect("embedded packs load"));
    Registry::new()
        .with(Box::new(SqlClassifier::new()))
        .with(Box::new(blastwall_shell::ShellClassifier::new(rules)))
}

fn judge(reg: &Registry, sql: &str) -> Verdict {
    let actions = SqlClassifier.classify(sql, &Context::default(), reg);
    decide(actions, &Policy::default())
}

fn lines(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}: {e}: {l}")))
        .collect()
}

type Rewrite = fn(&str) -> String;

/// Rewrites that keep what a statement does.
fn obfuscations() -> Vec<(&'static str, Rewrite)> {
    vec![
        ("swapped case", |s| swap_case_outside_quotes(s)),
        ("comments between words", |s| {
            s.replacen(' ', " /* ok */ ", 3)
        }),
        ("newlines and tabs", |s| s.replace(' ', "\n\t ")),
        ("leading statement", |s| format!("SELECT 1;\n{s}")),
        ("trailing comment", |s| format!("{s} -- reviewed")),
        ("psql setting first", |s| {
            format!("\\set ON_ERROR_STOP on\n{s}")
        }),
    ]
}

fn swap_case_outside_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`' | '$') => quote = Some(c),
            None => {}
        }
        if quote.is_none() && c.is_ascii_alphabetic() {
            out.push(if c.is_ascii_lowercase() {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            });
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn every_pair_is_told_apart_plain_and_obfuscated() {
    let reg = registry();
    let mut failures = Vec::new();
    let mut obfuscated = 0;
    for case in lines("pairs.jsonl") {
        let destructive = case["destructive"].as_str().unwrap();
        let benign = case["benign"].as_str().unwrap();
        let rule = case["rule"].as_str().unwrap();
        let mysql = case["category"].as_str().unwrap_or("").starts_with("mysql")
            || destructive.contains("/*!");
        let mut variants = vec![("plain", destructive.to_owned(), benign.to_owned())];
        for (name, f) in obfuscations() {
            // The executable-comment and backtick cases are MySQL: psql settings do not apply.
            if mysql && name.contains("psql") {
                continue;
            }
            // psql meta-commands are line-based and case-sensitive: only whole-line rewrites
            // keep their meaning.
            if destructive.contains('\\')
                && !matches!(name, "leading statement" | "psql setting first")
            {
                continue;
            }
            variants.push((name, f(destructive), f(benign)));
            obfuscated += 1;
        }
        for (how, d, b) in variants {
            let v = judge(&reg, &d);
            if v.decision == Decision::Allow || v.rule != rule {
                failures.push(format!(
                    "destructive ({how}) {d:?}: got {} {} (want {rule})",
                    v.decision, v.rule
                ));
            }
            let v = judge(&reg, &b);
            if v.decision != Decision::Allow {
                failures.push(format!(
                    "benign twin ({how}) {b:?}: got {} {}: {}",
                    v.decision, v.rule, v.reason
                ));
            }
        }
    }
    assert!(obfuscated >= 100, "only {obfuscated} obfuscated pairs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn single_cases_get_their_exact_decision() {
    let reg = registry();
    let mut failures = Vec::new();
    for case in lines("singles.jsonl") {
        let sql = case["sql"].as_str().unwrap();
        let want = Decision::parse(case["decision"].as_str().unwrap()).unwrap();
        let v = judge(&reg, sql);
        if v.decision != want {
            failures.push(format!(
                "{sql:?} ({}): got {} {} ({}), want {want}",
                case["note"], v.decision, v.rule, v.reason
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_finding_names_its_span_and_a_known_rule() {
    let reg = registry();
    let known: Vec<String> = SqlClassifier::rules().into_iter().map(|r| r.0).collect();
    for case in lines("pairs.jsonl") {
        let sql = case["destructive"].as_str().unwrap();
        let actions = SqlClassifier.classify(sql, &Context::default(), &reg);
        for a in actions
            .iter()
            .filter(|a| a.finding.rule.starts_with("sql."))
        {
            assert!(known.contains(&a.finding.rule), "{}", a.finding.rule);
            assert!(a.finding.span.end <= sql.len(), "{sql}");
            assert!(!a.finding.span.slice(sql).is_empty(), "{sql}: empty span");
        }
    }
}

#[test]
fn bad_input_is_asked_never_allowed_never_a_panic() {
    let reg = registry();
    let huge = format!(
        "SELECT 1; {}",
        "DELETE FROM t WHERE id = 1; ".repeat(60_000)
    );
    let nested = format!("SELECT {}1{}", "(".repeat(200_000), ")".repeat(200_000));
    let binary = String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x01, b'D', b'R']).into_owned();
    for input in [
        huge.as_str(),
        nested.as_str(),
        binary.as_str(),
        "\u{0}",
        "DO $$ BEGIN $$",
        "$$",
    ] {
        let v = judge(&reg, input);
        assert_ne!(
            v.decision,
            Decision::Allow,
            "{:?}",
            &input[..input.len().min(40)]
        );
        assert!(!v.reason.is_empty());
    }
}

#[test]
fn environment_comes_from_connection_hints() {
    let reg = registry();
    let mut ctx = Context::default();
    ctx.vars.insert("PGHOST".into(), "db.prod.internal".into());
    let actions = SqlClassifier.classify("DROP TABLE users", &ctx, &reg);
    assert_eq!(actions[0].environment.as_str(), "prod");
    let actions = SqlClassifier.classify(
        "SELECT dblink_exec('host=db.staging.internal', 'TRUNCATE t')",
        &Context::default(),
        &reg,
    );
    assert_eq!(actions[0].environment.as_str(), "staging");
}
