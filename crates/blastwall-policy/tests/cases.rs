//! Policy tests: the shipped case file passes; a failing case is reported precisely; malformed
//! case files are errors with their line.

use blastwall_core::Decision;
use blastwall_policy::{PolicyError, PolicySet, run_case_file, run_cases};

const SHIPPED: &str = include_str!("../cases/default.toml");

#[test]
fn shipped_cases_pass_on_the_default_policy() {
    let report = run_cases(&PolicySet::defaults(), SHIPPED).unwrap();
    assert!(report.ok(), "{report}");
    assert_eq!(report.total, 23);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/default.toml");
    assert!(run_case_file(&PolicySet::defaults(), &path).unwrap().ok());
}

#[test]
fn every_default_policy_is_expected_to_fire_in_some_shipped_case() {
    let set = PolicySet::defaults();
    let missing: Vec<&String> = set
        .ids()
        .iter()
        .filter(|id| !SHIPPED.contains(&format!("\"{id}\"")))
        .collect();
    assert!(
        missing.is_empty(),
        "policies no case expects to fire: {missing:?}"
    );
}

#[test]
fn a_failing_case_is_reported_with_line_name_and_what_differs() {
    let text = r#"
[[case]]
name = "reads pass"
agent = "a"
scope = ["dev"]
effect = "read"
environment = "dev"
expect = { decision = "allow" }

# This one is wrong on purpose: prod destructive asks for two.
[[case]]
name = "wishful thinking"
agent = "a"
scope = ["prod"]
effect = "destructive"
environment = "prod"
expect = { decision = "allow", approvals = 1, snapshot = false, reasons = ["destructive"], message_contains = ["staging"] }
"#;
    let report = run_cases(&PolicySet::defaults(), text).unwrap();
    assert_eq!((report.total, report.passed()), (2, 1));
    assert!(!report.ok());
    let f = &report.failures[0];
    assert_eq!(
        (f.index, f.line, f.name.as_str()),
        (2, 11, "wishful thinking")
    );
    assert_eq!(
        f.problems,
        [
            "expected allow, got ask",
            "expected 1 required approvals, got 2",
            "expected snapshot_first = false, got true",
            "expected policy destructive among the reasons",
            "expected the reason to mention \"staging\"",
        ]
    );
    assert_eq!(f.outcome.decision, Decision::Ask);
    let shown = report.to_string();
    assert!(shown.starts_with("2 cases, 1 passed, 1 failed"), "{shown}");
    assert!(
        shown.contains("line 11 (case 2, wishful thinking)"),
        "{shown}"
    );
    assert!(
        shown.contains("got ask (approvals 2, snapshot true) from [prod-destructive]"),
        "{shown}"
    );
}

#[test]
fn json_lines_cases_work_the_same() {
    let text = concat!(
        "{\"agent\":\"a\",\"scope\":[\"dev\"],\"effect\":\"write\",\"environment\":\"prod\",\"expect\":{\"decision\":\"deny\"}}\n",
        "\n",
        "{\"agent\":\"a\",\"scope\":[\"dev\"],\"effect\":\"write\",\"environment\":\"dev\",\"expect\":{\"decision\":\"deny\"}}\n",
    );
    let report = run_cases(&PolicySet::defaults(), text).unwrap();
    assert_eq!(report.total, 2);
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].line, 3);
    assert_eq!(report.failures[0].name, "write in dev");
}

#[test]
fn malformed_case_files_are_errors_with_their_line() {
    let set = PolicySet::defaults();
    let err = run_cases(
        &set,
        "[[case]]\nagent = \"a\"\neffect = \"delete\"\nenvironment = \"dev\"\nexpect = { decision = \"deny\" }\n",
    )
    .unwrap_err();
    assert!(matches!(err, PolicyError::Cases { .. }));
    assert_eq!(err.problems()[0].line, 3, "{err}");
    assert!(err.to_string().contains("delete"), "{err}");

    let err = run_cases(
        &set,
        "[[case]]\neffect = \"read\"\nenvironment = \"dev\"\nexpect = { decision = \"allow\" }\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("exactly one of"), "{err}");

    let err = run_cases(&set, "{\"agent\":\"a\",\"effect\":\"read\"}\n").unwrap_err();
    assert_eq!(err.problems()[0].line, 1);

    let err = run_cases(&set, "[[case]]\nagent = \"a\"\neffect = \"read\"\nenvironment = \"dev\"\nexpect = { decision = \"allow\" }\ntypo = 1\n").unwrap_err();
    assert!(err.to_string().contains("typo"), "{err}");

    let empty = run_cases(&set, "# nothing yet\n").unwrap();
    assert!(!empty.ok());
    assert!(empty.to_string().contains("nothing was tested"));
}
