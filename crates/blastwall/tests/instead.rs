//! Every safer alternative a rule suggests (`instead: … \`git push --force-with-lease origin
//! <branch>\` …`) passes blastwall's own rules: a reason never sends the agent into another wall.

use blastwall::Engine;
use blastwall_core::Decision;

/// The backticked commands of a suggestion, with `<placeholders>` filled in.
fn suggested_commands(instead: &str) -> Vec<String> {
    instead
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|s| {
            s.replace("<branch>", "feature/login-form")
                .replace("<path>", "src/main.rs")
                .replace("<name>", "scratch")
        })
        .collect()
}

#[test]
fn every_suggested_alternative_is_allowed() {
    let engine = Engine::embedded();
    let programs: Vec<String> = engine.rules().known_programs().map(str::to_owned).collect();
    let mut checked = 0;
    let mut failures = Vec::new();
    for rule in &engine.rules().rules {
        let Some(instead) = &rule.instead else {
            continue;
        };
        for command in suggested_commands(instead) {
            let first = command.split_whitespace().next().unwrap_or("");
            // Only commands: a suggestion may also quote a flag or a path on its own.
            if !programs.iter().any(|p| p == first) {
                continue;
            }
            checked += 1;
            let verdict = engine.check_shell(&command);
            if verdict.decision != Decision::Allow {
                failures.push(format!(
                    "{}: suggests `{command}`, which gets {} ({})",
                    rule.id, verdict.decision, verdict.rule
                ));
            }
        }
    }
    assert!(checked >= 5, "only {checked} suggested commands found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
