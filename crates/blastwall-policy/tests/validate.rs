//! Broken policy files: the error names file, line, column and what is wrong; a broken file never
//! replaces the working set on reload.

mod common;

use std::io::Write;

use blastwall_core::{Decision, Effect};
use blastwall_policy::{DEFAULT_POLICY, PolicyError, PolicySet, PolicyStore, Problem, validate};
use common::{agent, request};

/// The problems of a text that must be refused, checking that the message names the file.
fn refused(text: &str) -> Vec<Problem> {
    match validate(text, "site.cedar") {
        Ok(_) => panic!("expected {text:?} to be refused"),
        Err(e) => {
            let shown = e.to_string();
            assert!(shown.contains("site.cedar:"), "{shown}");
            e.problems().to_vec()
        }
    }
}

fn at(p: &Problem) -> (usize, usize) {
    (p.line, p.column)
}

#[test]
fn the_default_policy_and_schema_are_valid() {
    let set = validate(DEFAULT_POLICY, "default.cedar").unwrap();
    assert_eq!(set.len(), PolicySet::defaults().len());
    assert!(
        set.ids()
            .contains(&"prod-destructive-two-approvals".to_owned())
    );
}

#[test]
fn syntax_error_names_line_and_column() {
    let text = "@id(\"a\")\npermit (principal, action, resource);\n\n@id(\"b\")\npermit (principal, action, resource)\n  when { context.approval.count >= };\n";
    let p = refused(text);
    assert_eq!(at(&p[0]), (6, 36), "{p:?}");
    assert!(p[0].message.contains("unexpected token"), "{p:?}");
}

#[test]
fn schema_error_names_line_column_and_the_fix() {
    let text = "// prod guard\n@id(\"a\")\npermit (principal, action, resource)\n  when { resource.enviroment == \"prod\" };\n";
    let p = refused(text);
    assert_eq!(at(&p[0]), (4, 10), "{p:?}");
    assert!(p[0].message.contains("enviroment"), "{p:?}");
    assert!(p[0].message.contains("environment"), "{p:?}");

    let p = refused(
        "@id(\"a\")\npermit (principal is Agent, action, resource)\n  when { principal.roles.contains(\"admin\") };\n",
    );
    assert_eq!(at(&p[0]), (3, 10));
    assert!(p[0].message.contains("roles"), "{p:?}");

    let p = refused("@id(\"a\")\npermit (principal, action == Action::\"delete\", resource);\n");
    assert_eq!(p[0].line, 2, "{p:?}");
    assert!(p[0].message.contains("delete"), "{p:?}");
}

#[test]
fn annotation_convention_is_enforced_at_the_annotation() {
    let p = refused(
        "@id(\"ok\") permit (principal, action, resource);\n\n@id(\"x\")\n  @aprovals(\"2\")\npermit (principal, action, resource);\n",
    );
    assert_eq!(at(&p[0]), (4, 3), "{p:?}");
    assert!(
        p[0].message.contains("unknown annotation @aprovals"),
        "{p:?}"
    );

    let p = refused(
        "@id(\"ok\") permit (principal, action, resource);\npermit (principal, action, resource);\n",
    );
    assert_eq!(at(&p[0]), (2, 1), "{p:?}");
    assert!(p[0].message.contains("no @id"), "{p:?}");

    let p = refused(
        "@id(\"same\") permit (principal, action, resource);\n@id(\"same\") forbid (principal, action, resource);\n",
    );
    assert_eq!(at(&p[0]), (2, 1), "{p:?}");
    assert!(
        p[0].message.contains("used twice (first on line 1)"),
        "{p:?}"
    );

    let p = refused("@id(\"a\") @decision(\"maybe\") permit (principal, action, resource);");
    assert_eq!(at(&p[0]), (1, 10));
    let p = refused(
        "@id(\"a\") @decision(\"ask\") @approvals(\"0\") permit (principal, action, resource);",
    );
    assert_eq!(at(&p[0]), (1, 27));
    let p = refused("@id(\"a\") @approvals(\"2\") forbid (principal, action, resource);");
    assert!(p[0].message.contains("forbid always denies"), "{p:?}");
    let p = refused("@id(\"a\") @snapshot(\"yes\") permit (principal, action, resource);");
    assert!(p[0].message.contains("\"true\" or \"false\""), "{p:?}");
    let p = refused(
        "@id(\"a\")\n@reason(\"{principal.nmae} did it\")\npermit (principal, action, resource);",
    );
    assert_eq!(at(&p[0]), (2, 1));
    assert!(
        p[0].message
            .contains("unknown placeholder {principal.nmae}"),
        "{p:?}"
    );
    let p = refused("@id(\"has space\") permit (principal, action, resource);");
    assert!(p[0].message.contains("letters, digits"), "{p:?}");
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let p = refused(
        "@id(\"a\") @aprovals(\"1\") permit (principal, action, resource);\n@id(\"b\") @snapshot(\"maybe\") permit (principal, action, resource);\n",
    );
    assert_eq!(p.iter().map(|p| p.line).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn templates_are_refused() {
    let p = refused("@id(\"t\") permit (principal == ?principal, action, resource);");
    assert!(p[0].message.contains("static"), "{p:?}");
}

fn write(path: &std::path::Path, text: &str) {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn broken_file_never_replaces_the_working_set() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.cedar");
    let store = PolicyStore::default();
    let prod_write = request(agent("bot", &["dev"]), Effect::Write, "prod");
    assert_eq!(
        store.current().evaluate(&prod_write).decision,
        Decision::Deny
    );

    // A working file replaces the defaults.
    let loose = "@id(\"anything-goes\")\npermit (principal, action, resource);\n";
    write(&path, loose);
    let report = store.reload_from(&path).unwrap();
    assert!(report.changed);
    assert_eq!(report.policies, 1);
    assert_eq!(report.added, ["anything-goes"]);
    assert!(report.removed.contains(&"change-outside-scope".to_owned()));
    let serving = store.current();
    assert_eq!(serving.evaluate(&prod_write).decision, Decision::Allow);

    // A broken one is refused with its line and column; the working set keeps serving.
    write(
        &path,
        "@id(\"anything-goes\")\npermit (principal, action, resource);\n@id(\"oops\")\nforbid (principal, action, resource) when { context.aproval.count > 0 };\n",
    );
    let err = store.reload_from(&path).unwrap_err();
    let PolicyError::Invalid { file, problems } = &err else {
        panic!("{err}")
    };
    assert_eq!(file, &path.display().to_string());
    assert_eq!(at(&problems[0]), (4, 45), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("{}:4:45:", path.display())),
        "{err}"
    );
    assert_eq!(store.current().ids(), ["anything-goes"]);
    assert_eq!(
        store.current().evaluate(&prod_write).decision,
        Decision::Allow
    );

    // A syntax error and a missing file are refused the same way.
    write(&path, "permit (principal, action resource);");
    assert!(store.reload_from(&path).is_err());
    assert!(matches!(
        store.reload_from(&dir.path().join("missing.cedar")),
        Err(PolicyError::Read { .. })
    ));
    assert_eq!(store.current().ids(), ["anything-goes"]);

    // Reloading the same text reports no change.
    write(&path, loose);
    assert!(!store.reload_from(&path).unwrap().changed);
    // An Arc taken before a reload keeps answering with the set it had.
    write(&path, DEFAULT_POLICY);
    store.reload_from(&path).unwrap();
    assert_eq!(serving.evaluate(&prod_write).decision, Decision::Allow);
    assert_eq!(
        store.current().evaluate(&prod_write).decision,
        Decision::Deny
    );
}
