//! Policy tests: a file of cases (an action, who does it, the approval state, and what policy
//! should say) run against a policy set, with a report of every case that fails. This backs
//! `blastwall policy test <cases>`.
//!
//! Two formats, told apart by their first line: TOML with `[[case]]` tables, or JSON Lines with one
//! case object a line. Both have the same fields; see `cases/default.toml` for an example.
//!
//! This module must never count a case as passing when its expectation could not be checked, and
//! must never stop at the first failing case.

use std::fmt;
use std::path::Path;

use blastwall_core::{Decision, Effect, Language, Scope};
use serde::Deserialize;

use crate::error::{PolicyError, Problem, problem_at};
use crate::request::{
    AgentIdentity, Approval, HumanIdentity, Request, Situation, TimeOfWeek, Weekday, Who,
};
use crate::set::{Outcome, PolicySet};

/// One case as written in the file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[serde(default)]
    name: Option<String>,
    /// The agent's name; give either `agent` or `human`.
    #[serde(default)]
    agent: Option<String>,
    /// The agent's environments.
    #[serde(default)]
    scope: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    human: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
    effect: Effect,
    environment: String,
    #[serde(default = "default_language")]
    language: Language,
    #[serde(default)]
    operation: Option<String>,
    #[serde(default = "default_door")]
    door: String,
    #[serde(default = "default_kind")]
    kind: String,
    #[serde(default)]
    resource: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default = "default_scope")]
    blast_radius: Scope,
    #[serde(default = "default_rule")]
    rule: String,
    /// The classifier's own decision.
    #[serde(default = "default_classifier")]
    classifier: Decision,
    #[serde(default)]
    approval: Approval,
    #[serde(default)]
    snapshot_possible: bool,
    #[serde(default)]
    hour: u8,
    #[serde(default)]
    weekday: Weekday,
    #[serde(default)]
    session: Option<String>,
    expect: Expect,
}

/// What policy should say. Only the fields given are checked.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    decision: Decision,
    #[serde(default)]
    approvals: Option<u32>,
    #[serde(default)]
    snapshot: Option<bool>,
    /// Policy ids that must be among the outcome's reasons.
    #[serde(default)]
    reasons: Vec<String>,
    /// Texts that must each appear in the outcome's messages.
    #[serde(default)]
    message_contains: Vec<String>,
}

fn default_language() -> Language {
    Language::Shell
}
fn default_door() -> String {
    "check".into()
}
fn default_kind() -> String {
    "path".into()
}
fn default_scope() -> Scope {
    Scope::Single
}
fn default_rule() -> String {
    "policy-test.case".into()
}
fn default_classifier() -> Decision {
    Decision::Allow
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlCases {
    #[serde(default)]
    case: Vec<toml::Spanned<Case>>,
}

/// One case that did not get what it expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseFailure {
    /// Position of the case in the file, from 1.
    pub index: usize,
    /// Line where the case starts.
    pub line: usize,
    pub name: String,
    /// Each expectation that was not met.
    pub problems: Vec<String>,
    /// What policy actually said.
    pub outcome: Outcome,
}

/// The result of running a case file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseReport {
    pub total: usize,
    pub failures: Vec<CaseFailure>,
}

impl CaseReport {
    pub fn passed(&self) -> usize {
        self.total - self.failures.len()
    }

    /// Whether every case passed (and there was at least one).
    pub fn ok(&self) -> bool {
        self.failures.is_empty() && self.total > 0
    }
}

impl fmt::Display for CaseReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cases, {} passed, {} failed",
            self.total,
            self.passed(),
            self.failures.len()
        )?;
        if self.total == 0 {
            f.write_str(" (the file has no cases: nothing was tested)")?;
        }
        for c in &self.failures {
            write!(f, "\n  line {} (case {}, {}):", c.line, c.index, c.name)?;
            for p in &c.problems {
                write!(f, "\n    - {p}")?;
            }
            write!(
                f,
                "\n    got {} (approvals {}, snapshot {}) from [{}]",
                c.outcome.decision,
                c.outcome.required_approvals,
                c.outcome.snapshot_first,
                c.outcome.reasons.join(", ")
            )?;
        }
        Ok(())
    }
}

/// Runs every case of `cases_text` (TOML or JSON Lines) against `policies`.
pub fn run_cases(policies: &PolicySet, cases_text: &str) -> Result<CaseReport, PolicyError> {
    run_named(policies, cases_text, "policy cases")
}

/// Reads a case file and runs it; errors name the file.
pub fn run_case_file(policies: &PolicySet, path: &Path) -> Result<CaseReport, PolicyError> {
    let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
        path: path.to_owned(),
        source,
    })?;
    run_named(policies, &text, &path.display().to_string())
}

fn run_named(policies: &PolicySet, text: &str, file: &str) -> Result<CaseReport, PolicyError> {
    let cases = parse(text).map_err(|problems| PolicyError::Cases {
        file: file.to_owned(),
        problems,
    })?;
    let mut failures = Vec::new();
    for (i, (line, case)) in cases.iter().enumerate() {
        let index = i + 1;
        let who = match (&case.agent, &case.human) {
            (Some(name), None) => Who::Agent(AgentIdentity {
                name: name.clone(),
                environments: case.scope.clone(),
                groups: case.groups.clone(),
            }),
            (None, Some(name)) => Who::Human(HumanIdentity {
                name: name.clone(),
                roles: case.roles.clone(),
            }),
            _ => {
                return Err(PolicyError::Cases {
                    file: file.to_owned(),
                    problems: vec![Problem {
                        line: *line,
                        column: 1,
                        message: format!(
                            "case {index} needs exactly one of `agent = \"name\"` or `human = \"name\"`"
                        ),
                    }],
                });
            }
        };
        let request = Request {
            who,
            effect: case.effect,
            language: case.language,
            operation: case
                .operation
                .clone()
                .unwrap_or_else(|| format!("{} action", case.effect)),
            door: case.door.clone(),
            environment: case.environment.clone(),
            resource_kind: case.kind.clone(),
            resource_name: case.resource.clone(),
            resource_tags: case.tags.clone(),
            blast_radius: case.blast_radius,
            rule: case.rule.clone(),
            classifier_decision: case.classifier,
            situation: Situation {
                time: TimeOfWeek {
                    hour: case.hour,
                    weekday: case.weekday,
                },
                session: case.session.clone(),
                approval: case.approval,
                snapshot_possible: case.snapshot_possible,
            },
        };
        let outcome = policies.evaluate(&request);
        let problems = check(&case.expect, &outcome);
        if !problems.is_empty() {
            failures.push(CaseFailure {
                index,
                line: *line,
                name: case
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("{} in {}", case.effect, case.environment)),
                problems,
                outcome,
            });
        }
    }
    Ok(CaseReport {
        total: cases.len(),
        failures,
    })
}

fn check(expect: &Expect, outcome: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    if outcome.decision != expect.decision {
        problems.push(format!(
            "expected {}, got {}",
            expect.decision, outcome.decision
        ));
    }
    if let Some(n) = expect.approvals
        && outcome.required_approvals != n
    {
        problems.push(format!(
            "expected {n} required approvals, got {}",
            outcome.required_approvals
        ));
    }
    if let Some(s) = expect.snapshot
        && outcome.snapshot_first != s
    {
        problems.push(format!(
            "expected snapshot_first = {s}, got {}",
            outcome.snapshot_first
        ));
    }
    for r in &expect.reasons {
        if !outcome.reasons.contains(r) {
            problems.push(format!("expected policy {r} among the reasons"));
        }
    }
    let messages = outcome.messages.join("\n");
    for t in &expect.message_contains {
        if !messages.contains(t.as_str()) {
            problems.push(format!("expected the reason to mention {t:?}"));
        }
    }
    problems
}

/// The cases with the line each starts on.
fn parse(text: &str) -> Result<Vec<(usize, Case)>, Vec<Problem>> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    if first.is_some_and(|l| l.starts_with('{')) {
        return parse_json_lines(text);
    }
    let cases: TomlCases = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        vec![problem_at(text, offset, e.message().to_owned())]
    })?;
    Ok(cases
        .case
        .into_iter()
        .map(|c| {
            let line = crate::error::line_column(text, c.span().start).0;
            (line, c.into_inner())
        })
        .collect())
}

fn parse_json_lines(text: &str) -> Result<Vec<(usize, Case)>, Vec<Problem>> {
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match serde_json::from_str::<Case>(trimmed) {
            Ok(c) => cases.push((i + 1, c)),
            Err(e) => problems.push(Problem {
                line: i + 1,
                column: e.column(),
                message: e.to_string(),
            }),
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}
