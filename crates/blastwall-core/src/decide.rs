//! The decide pipeline: rule findings → user overrides → environment floors → one verdict.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::action::{Action, Effect, Scope, Span};
use crate::environment::{Environment, Environments};
use crate::glob;

/// What happens to an action. Ordered by strictness: `Allow < Ask < Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Let it run.
    Allow,
    /// Hold it until a human approves it.
    Ask,
    /// Refuse it.
    Deny,
}

impl Decision {
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Ask => "ask",
            Decision::Deny => "deny",
        }
    }

    /// Parses `allow`, `ask` or `deny`.
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "allow" => Some(Decision::Allow),
            "ask" => Some(Decision::Ask),
            "deny" => Some(Decision::Deny),
            _ => None,
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the operator configured on top of the rule packs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Rule id (or wildcard pattern such as `git.*`) → decision. An exact id beats a pattern;
    /// among patterns the longest wins.
    pub overrides: BTreeMap<String, Decision>,
    pub environments: Environments,
}

impl Policy {
    fn override_for(&self, rule: &str) -> Option<(&str, Decision)> {
        if let Some((k, d)) = self.overrides.get_key_value(rule) {
            return Some((k.as_str(), *d));
        }
        self.overrides
            .iter()
            .filter(|(k, _)| glob::is_pattern(k) && glob::matches(k, rule))
            .max_by_key(|(k, _)| k.len())
            .map(|(k, d)| (k.as_str(), *d))
    }
}

/// Which step of the pipeline settled an action's decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "by", content = "detail")]
pub enum SettledBy {
    /// The rule's own decision.
    Rule,
    /// A configured override (the key that matched).
    Override(String),
    /// The environment's floor for this effect.
    EnvironmentFloor(String),
    /// The environment is disposable: a whole-resource destructive action is allowed there.
    Disposable(String),
}

impl std::fmt::Display for SettledBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettledBy::Rule => f.write_str("the rule"),
            SettledBy::Override(key) => write!(f, "the override `{key}` in blastwall.toml"),
            SettledBy::EnvironmentFloor(env) => write!(f, "the floor of the `{env}` environment"),
            SettledBy::Disposable(env) => {
                write!(f, "the `{env}` environment, whose resources are throwaway")
            }
        }
    }
}

/// One action with the decision the pipeline reached for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judged {
    pub action: Action,
    pub decision: Decision,
    pub settled_by: SettledBy,
}

/// The answer for a whole input: the strictest decision among its actions, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub decision: Decision,
    /// The strongest effect among all actions.
    pub effect: Effect,
    /// The rule behind the decision.
    pub rule: String,
    pub reason: String,
    pub span: Span,
    pub environment: Environment,
    pub actions: Vec<Judged>,
}

/// Judges every action and returns the verdict of the strictest one.
///
/// An input with no actions at all (an empty line, only comments) is allowed.
pub fn decide(actions: Vec<Action>, policy: &Policy) -> Verdict {
    let judged: Vec<Judged> = actions.into_iter().map(|a| judge(a, policy)).collect();
    let effect = judged
        .iter()
        .map(|j| j.action.effect)
        .max()
        .unwrap_or(Effect::Read);
    let environment = judged
        .iter()
        .map(|j| &j.action.environment)
        .max_by_key(|e| {
            policy
                .environments
                .declared
                .iter()
                .find(|d| d.name == e.0)
                .map_or(0, |d| d.rank)
        })
        .cloned()
        .unwrap_or_else(|| Environment(policy.environments.default.clone()));
    // The strictest decision wins; among equals the strongest effect, then the first in the input.
    let top = judged
        .iter()
        .enumerate()
        .max_by_key(|(i, j)| (j.decision, j.action.effect, std::cmp::Reverse(*i)))
        .map(|(_, j)| {
            (
                j.decision,
                j.action.finding.rule.clone(),
                reason_with_settlement(j),
                j.action.finding.span,
            )
        });
    let (decision, rule, reason, span) = top.unwrap_or_else(|| {
        (
            Decision::Allow,
            "none".into(),
            "nothing to run".into(),
            Span::default(),
        )
    });
    Verdict {
        decision,
        effect,
        rule,
        reason,
        span,
        environment,
        actions: judged,
    }
}

fn judge(action: Action, policy: &Policy) -> Judged {
    let (mut decision, mut settled_by) = match policy.override_for(&action.finding.rule) {
        Some((key, d)) => (d, SettledBy::Override(key.to_owned())),
        None => (action.finding.decision, SettledBy::Rule),
    };
    if decision == Decision::Ask
        && settled_by == SettledBy::Rule
        && matches!(action.blast_radius.scope, Scope::Account | Scope::Tree)
        // Whole resources (a database, a bucket, a namespace, a volume), not files or branches:
        // `rm -rf tests/` is the project's test suite, not a throwaway resource.
        && !matches!(action.resource.kind.as_str(), "path" | "git-branch")
        && matches!(action.effect, Effect::Destructive | Effect::Irreversible)
        && policy.environments.is_disposable(&action.environment)
    {
        decision = Decision::Allow;
        settled_by = SettledBy::Disposable(action.environment.0.clone());
    }
    let floor = policy
        .environments
        .floors(&action.environment)
        .for_effect(action.effect);
    if floor > decision {
        decision = floor;
        settled_by = SettledBy::EnvironmentFloor(action.environment.0.clone());
    }
    Judged {
        action,
        decision,
        settled_by,
    }
}

fn reason_with_settlement(j: &Judged) -> String {
    match &j.settled_by {
        SettledBy::Rule => j.action.finding.reason.clone(),
        SettledBy::Override(key) => format!(
            "{} (decision set to {} by the override `{key}` in blastwall.toml)",
            j.action.finding.reason, j.decision
        ),
        SettledBy::Disposable(env) => format!(
            "{} — allowed because it names a throwaway resource (the `{env}` environment)",
            j.action.finding.reason
        ),
        SettledBy::EnvironmentFloor(env) => format!(
            "{} — raised to {} because this is a {} action in the `{env}` environment",
            j.action.finding.reason, j.decision, j.action.effect
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::*;

    fn action(rule: &str, decision: Decision, effect: Effect, env: &str) -> Action {
        Action {
            principal: Principal::default(),
            environment: Environment(env.into()),
            door: Door::Check,
            language: Language::Shell,
            operation: "op".into(),
            resource: Resource {
                kind: "path".into(),
                name: "x".into(),
            },
            effect,
            blast_radius: BlastRadius::new(Scope::Single, ""),
            raw: "x".into(),
            span: Span::new(0, 1),
            depth: 0,
            via: vec![],
            finding: Finding {
                rule: rule.into(),
                decision,
                reason: "r".into(),
                span: Span::new(0, 1),
            },
        }
    }

    #[test]
    fn strictest_wins() {
        let v = decide(
            vec![
                action("a", Decision::Allow, Effect::Read, "dev"),
                action("b", Decision::Deny, Effect::Irreversible, "dev"),
                action("c", Decision::Ask, Effect::Destructive, "dev"),
            ],
            &Policy::default(),
        );
        assert_eq!(v.decision, Decision::Deny);
        assert_eq!(v.rule, "b");
        assert_eq!(v.effect, Effect::Irreversible);
    }

    #[test]
    fn override_cannot_go_below_prod_floor() {
        let mut policy = Policy::default();
        policy.overrides.insert("git.*".into(), Decision::Allow);
        let v = decide(
            vec![action(
                "git.reset-hard",
                Decision::Ask,
                Effect::Destructive,
                "dev",
            )],
            &policy,
        );
        assert_eq!(v.decision, Decision::Allow);
        let v = decide(
            vec![action(
                "git.reset-hard",
                Decision::Ask,
                Effect::Destructive,
                "prod",
            )],
            &policy,
        );
        assert_eq!(v.decision, Decision::Ask);
        assert!(v.reason.contains("prod"));
    }

    #[test]
    fn exact_override_beats_pattern() {
        let mut policy = Policy::default();
        policy.overrides.insert("git.*".into(), Decision::Allow);
        policy
            .overrides
            .insert("git.reset-hard".into(), Decision::Deny);
        let v = decide(
            vec![action(
                "git.reset-hard",
                Decision::Ask,
                Effect::Destructive,
                "dev",
            )],
            &policy,
        );
        assert_eq!(v.decision, Decision::Deny);
    }

    #[test]
    fn empty_input_is_allowed() {
        let v = decide(vec![], &Policy::default());
        assert_eq!(v.decision, Decision::Allow);
    }
}
