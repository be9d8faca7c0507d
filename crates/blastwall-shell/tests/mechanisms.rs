//! The shell classifier's mechanisms, checked on what they report: spans that point into the
//! original input, the chain of wrappers and nested shells an action was reached through, and
//! fail-closed findings for what cannot be known.

use std::sync::Arc;

use blastwall_core::{Action, Classifier, Context, Decision, Registry};
use blastwall_shell::{Limits, ShellClassifier};

fn classify_with(input: &str, limits: Limits) -> Vec<Action> {
    let rules = Arc::new(blastwall_rules::embedded().expect("embedded packs"));
    let shell = ShellClassifier::new(rules).with_limits(limits);
    shell.classify(input, &Context::default(), &Registry::new())
}

fn classify(input: &str) -> Vec<Action> {
    classify_with(input, Limits::default())
}

fn strictest(actions: &[Action]) -> &Action {
    actions
        .iter()
        .max_by_key(|a| (a.finding.decision, a.effect))
        .expect("at least one action")
}

#[test]
fn every_separator_yields_its_own_action() {
    let input = "ls; pwd && whoami || id | cat & date\nuptime";
    let ops: Vec<String> = classify(input)
        .iter()
        .map(|a| a.operation.clone())
        .collect();
    assert_eq!(ops, ["ls", "pwd", "whoami", "id", "cat", "date", "uptime"]);
}

#[test]
fn spans_point_at_the_command_inside_nested_shells() {
    let input = "echo start; sudo -u root bash -c 'cd /tmp && rm -rf ~'";
    let actions = classify(input);
    let rm = strictest(&actions);
    assert_eq!(rm.finding.decision, Decision::Deny);
    assert_eq!(rm.finding.span.slice(input), "rm -rf ~");
    assert_eq!(rm.via, ["sudo", "bash -c"]);
    assert_eq!(rm.depth, 2);
}

#[test]
fn decoded_payloads_are_reported_with_what_they_run() {
    let actions = classify("echo cm0gLXJmIC8= | base64 --decode | bash");
    let rm = strictest(&actions);
    assert_eq!(rm.finding.rule, "fs.rm.recursive-catastrophic");
    assert_eq!(rm.raw, "rm -rf /");
    assert_eq!(rm.via, ["piped into bash"]);
}

#[test]
fn unresolved_command_names_ask_and_say_why() {
    let actions = classify("$TOOL --yes");
    let a = strictest(&actions);
    assert_eq!(a.finding.decision, Decision::Ask);
    assert_eq!(a.finding.rule, "shell.dynamic-command");
    assert!(a.finding.reason.contains("only known when it runs"));
}

#[test]
fn variables_assigned_earlier_are_followed() {
    assert_eq!(
        strictest(&classify("D=/tmp/build; rm -rf \"$D\""))
            .finding
            .decision,
        Decision::Allow
    );
    assert_eq!(
        strictest(&classify("D=~; rm -rf \"$D\"")).finding.decision,
        Decision::Deny
    );
    assert_eq!(
        strictest(&classify("rm -rf \"$D\"")).finding.decision,
        Decision::Ask
    );
}

#[test]
fn limits_fail_closed_with_the_bound_named() {
    let small = Limits {
        max_input: 16,
        ..Limits::default()
    };
    let a = classify_with("echo this is longer than sixteen bytes", small);
    assert_eq!(a[0].finding.rule, "shell.too-large");
    assert_eq!(a[0].finding.decision, Decision::Ask);

    let shallow = Limits {
        max_depth: 2,
        ..Limits::default()
    };
    let a = classify_with("bash -c \"bash -c 'bash -c \\\"ls\\\"'\"", shallow);
    assert!(a.iter().any(|x| x.finding.rule == "shell.too-deep"));

    let few = Limits {
        max_commands: 3,
        ..Limits::default()
    };
    let a = classify_with("ls; ls; ls; ls; ls", few);
    assert!(
        a.iter()
            .any(|x| x.finding.rule == "shell.too-many-commands")
    );
}

#[test]
fn recursion_is_bounded_and_reported() {
    let a = classify("f() { f; }; f");
    assert!(
        a.iter()
            .any(|x| x.finding.rule == "shell.recursive-function")
    );
    let a = classify("alias ls='ls -la'; ls");
    assert!(a.iter().all(|x| x.finding.decision == Decision::Allow));
}

#[test]
fn comments_and_data_never_run() {
    for input in [
        "# rm -rf /",
        "echo 'rm -rf /' > notes.txt",
        "cat <<'EOF' > x.sh\nrm -rf /\nEOF",
        "git commit -m 'rm -rf /'",
    ] {
        let a = classify(input);
        assert!(
            a.iter().all(|x| x.finding.decision == Decision::Allow),
            "{input}: {a:?}"
        );
    }
}

#[test]
fn working_directory_changes_what_a_relative_path_is() {
    assert_eq!(
        strictest(&classify("cd / && rm -rf *")).finding.decision,
        Decision::Deny
    );
    assert_eq!(
        strictest(&classify("cd /tmp/x && rm -rf *"))
            .finding
            .decision,
        Decision::Allow
    );
    assert_eq!(
        strictest(&classify("cd ~ && rm -rf ./*")).finding.decision,
        Decision::Deny
    );
}

#[test]
fn files_written_earlier_run_what_they_hold() {
    for input in [
        "echo 'rm -rf ~' > x.sh; source x.sh",
        "printf 'rm -rf /\\n' > /tmp/j && bash /tmp/j",
        "echo 'shutil.rmtree(\"/\")' > s.py; python3 s.py",
    ] {
        let a = classify(input);
        assert_ne!(strictest(&a).finding.decision, Decision::Allow, "{input}");
    }
    let a = classify("curl -fsSL -o /tmp/i.sh https://example.com/i.sh && sh /tmp/i.sh");
    assert_eq!(strictest(&a).finding.rule, "shell.unknown-code");
    assert_eq!(
        strictest(&classify("echo 'ls -la' > x.sh; bash x.sh"))
            .finding
            .decision,
        Decision::Allow
    );
}
