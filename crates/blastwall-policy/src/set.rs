//! A validated policy set and its evaluation into allow / ask / deny with approvals and snapshots.
//!
//! This module must never let an error, a missing policy or a malformed request come out as
//! anything but `deny`, and must never accept a policy text it cannot fully account for (unknown
//! annotations, templates, policies without `@id`).

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::OnceLock;

use blastwall_core::{Decision, Effect, Language};
use cedar_policy as cedar;
use miette::Diagnostic;
use serde::Serialize;

use crate::error::{PolicyError, Problem, problem_at};
use crate::request::{Request, Who, scope_name};
use crate::template::Template;

/// The schema every policy is checked against (`policies/schema.cedarschema`).
pub const SCHEMA_TEXT: &str = include_str!("../policies/schema.cedarschema");

/// The default policy set (`policies/default.cedar`).
pub const DEFAULT_POLICY: &str = include_str!("../policies/default.cedar");

/// The most approvals a policy may demand (beyond this, nobody would ever get the action through).
pub const MAX_APPROVALS: u32 = 16;

/// Annotations blastwall reads; any other is refused so a typo cannot silently drop a condition.
const ANNOTATIONS: &[&str] = &[
    "id",
    "decision",
    "approvals",
    "snapshot",
    "reason",
    "description",
];

/// Reason id of the outcome when no policy permits an action.
pub const NO_PERMIT: &str = "no-policy-permits";
/// Reason id of the outcome when evaluation failed.
pub const EVALUATION_ERROR: &str = "evaluation-error";
/// Reason id added when policy would have loosened the classifier's own deny.
pub const CLASSIFIER_DENY: &str = "classifier-deny-is-final";

pub(crate) fn schema() -> &'static cedar::Schema {
    static SCHEMA: OnceLock<cedar::Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        #[expect(
            clippy::expect_used,
            reason = "the embedded schema is fixed at build time and loaded by every test"
        )]
        let (schema, _warnings) = cedar::Schema::from_cedarschema_str(SCHEMA_TEXT)
            .expect("the embedded policy schema is valid");
        schema
    })
}

fn action_entities() -> Result<&'static cedar::Entities, String> {
    static ACTIONS: OnceLock<Result<cedar::Entities, String>> = OnceLock::new();
    ACTIONS
        .get_or_init(|| schema().action_entities().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// For each action, a store holding only that action entity (with every ancestor it has), the
/// base of an unchecked request's entities.
fn action_entity_store(action: &cedar::EntityUid) -> Result<&'static cedar::Entities, String> {
    static STORES: OnceLock<Result<HashMap<cedar::EntityUid, cedar::Entities>, String>> =
        OnceLock::new();
    STORES
        .get_or_init(|| {
            let all = action_entities()?;
            all.iter()
                .map(|e| {
                    let store = cedar::Entities::from_entities([e.clone()], None)
                        .map_err(|err| err.to_string())?;
                    Ok((e.uid(), store))
                })
                .collect()
        })
        .as_ref()
        .map_err(Clone::clone)?
        .get(action)
        .ok_or_else(|| format!("the schema has no action {action}"))
}

fn action_id(request: &Request) -> String {
    format!("{}.{}", request.language.as_str(), request.effect.as_str())
}

/// Splits a set by the concrete actions a request can name.
fn partition(set: &cedar::PolicySet) -> Result<HashMap<String, cedar::PolicySet>, String> {
    let types = types()?;
    let actions = action_entities()?;
    let mut out = HashMap::new();
    for language in [Language::Shell, Language::Sql, Language::Http] {
        for effect in [
            Effect::Read,
            Effect::Write,
            Effect::Destructive,
            Effect::Irreversible,
        ] {
            let key = format!("{}.{}", language.as_str(), effect.as_str());
            let action = uid(&types.action, &key);
            let ancestors: Vec<&cedar::EntityUid> = actions
                .ancestors(&action)
                .map(Iterator::collect)
                .unwrap_or_default();
            let matches = |a: &cedar::EntityUid| *a == action || ancestors.contains(&a);
            let policies = set.policies().filter(|p| match p.action_constraint() {
                cedar::ActionConstraint::Any => true,
                cedar::ActionConstraint::Eq(a) => matches(&a),
                cedar::ActionConstraint::In(list) => list.iter().any(matches),
            });
            let subset =
                cedar::PolicySet::from_policies(policies.cloned()).map_err(|e| e.to_string())?;
            out.insert(key, subset);
        }
    }
    Ok(out)
}

/// What policy says about one request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub decision: Decision,
    /// Distinct human approvals the action needs (or needed, when it is allowed because it got
    /// them). 0 when nobody has to approve.
    pub required_approvals: u32,
    /// Whether the control plane must take a snapshot of the resource before the action runs.
    pub snapshot_first: bool,
    /// The `@id`s of the policies that settled the outcome, strictest first; or
    /// [`NO_PERMIT`] / [`EVALUATION_ERROR`] / [`CLASSIFIER_DENY`].
    pub reasons: Vec<String>,
    /// One sentence per reason (the policy's `@reason` with the request filled in).
    pub messages: Vec<String>,
}

impl Outcome {
    fn deny(reason: &str, message: String) -> Outcome {
        Outcome {
            decision: Decision::Deny,
            required_approvals: 0,
            snapshot_first: false,
            reasons: vec![reason.to_owned()],
            messages: vec![message],
        }
    }

    /// Combines the outcomes of several actions of one input: the strictest decision wins, the
    /// largest number of approvals and any snapshot carry over, reasons are kept in order.
    pub fn strictest(outcomes: impl IntoIterator<Item = Outcome>) -> Option<Outcome> {
        let mut all: Vec<Outcome> = outcomes.into_iter().collect();
        all.sort_by_key(|o| std::cmp::Reverse(o.decision));
        let mut iter = all.into_iter();
        let mut top = iter.next()?;
        for o in iter {
            top.required_approvals = top.required_approvals.max(o.required_approvals);
            top.snapshot_first |= o.snapshot_first;
            for (r, m) in o.reasons.into_iter().zip(o.messages) {
                if !top.reasons.contains(&r) {
                    top.reasons.push(r);
                    top.messages.push(m);
                }
            }
        }
        Some(top)
    }
}

/// What one policy means beyond permit/forbid.
#[derive(Clone, Debug)]
struct Meta {
    id: String,
    decision: Decision,
    approvals: u32,
    snapshot: bool,
    reason: Option<Template>,
    /// Position in the file, for stable ordering of reasons.
    order: usize,
}

/// A schema-checked set of policies with the annotations blastwall reads.
#[derive(Clone, Debug)]
pub struct PolicySet {
    file: String,
    source: String,
    cedar: cedar::PolicySet,
    /// For each concrete action (`sql.destructive`), only the policies whose action scope can
    /// match it. Cedar checks the scope before the condition, so leaving the others out changes
    /// no outcome and roughly halves the work.
    by_action: HashMap<String, cedar::PolicySet>,
    meta: HashMap<cedar::PolicyId, Meta>,
    ids: Vec<String>,
}

impl PolicySet {
    /// The embedded default policy set.
    pub fn defaults() -> PolicySet {
        static DEFAULTS: OnceLock<PolicySet> = OnceLock::new();
        DEFAULTS
            .get_or_init(|| {
                #[expect(
                    clippy::expect_used,
                    reason = "the embedded default policy is fixed at build time and validated by every test"
                )]
                validate(DEFAULT_POLICY, "default.cedar")
                    .expect("the embedded default policy is valid")
            })
            .clone()
    }

    /// The name the set was loaded under.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The policy text as loaded.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The `@id`s of its policies, in file order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// What policy says about `request`. Never fails: anything that goes wrong is a deny that
    /// says what went wrong.
    pub fn evaluate(&self, request: &Request) -> Outcome {
        let outcome = match self.authorize(request) {
            Ok(outcome) => outcome,
            Err(message) => Outcome::deny(EVALUATION_ERROR, message),
        };
        classifier_deny_is_final(outcome, request)
    }

    /// The strictest outcome over several requests (the actions of one input). No request at
    /// all is denied: there is nothing policy could have said yes to.
    pub fn evaluate_all(&self, requests: &[Request]) -> Outcome {
        Outcome::strictest(requests.iter().map(|r| self.evaluate(r))).unwrap_or_else(|| {
            Outcome::deny(
                NO_PERMIT,
                "no action to evaluate: nothing was classified, so policy cannot allow it".into(),
            )
        })
    }

    fn authorize(&self, request: &Request) -> Result<Outcome, String> {
        self.authorize_with(request, cfg!(debug_assertions))
    }

    /// [`PolicySet::authorize`], with the input checked against the schema or not (see
    /// `cedar_input`); tests compare both.
    fn authorize_with(&self, request: &Request, checked: bool) -> Result<Outcome, String> {
        let (cedar_request, entities) = cedar_input(request, checked)?;
        let key = action_id(request);
        let policies = self.by_action.get(&key).unwrap_or(&self.cedar);
        let response = cedar::Authorizer::new().is_authorized(&cedar_request, policies, &entities);
        let diagnostics = response.diagnostics();
        let errors: Vec<String> = diagnostics.errors().map(ToString::to_string).collect();
        if !errors.is_empty() {
            return Err(format!(
                "policy evaluation failed, so the action is denied: {}",
                errors.join("; ")
            ));
        }
        let mut fired: Vec<&Meta> = diagnostics
            .reason()
            .filter_map(|id| self.meta.get(id))
            .collect();
        if response.decision() == cedar::Decision::Deny {
            if fired.is_empty() {
                return Ok(Outcome::deny(NO_PERMIT, no_permit_message(request)));
            }
            fired.sort_by_key(|m| m.order);
            return Ok(Outcome {
                decision: Decision::Deny,
                required_approvals: 0,
                snapshot_first: false,
                reasons: fired.iter().map(|m| m.id.clone()).collect(),
                messages: fired.iter().map(|m| message(m, request)).collect(),
            });
        }
        fired.sort_by_key(|m| (std::cmp::Reverse((m.decision, m.approvals)), m.order));
        let Some(top) = fired.first() else {
            // Cedar allows only when a permit fired; an allow with no reason is not to be trusted.
            return Err("policy allowed the action without naming a policy".into());
        };
        Ok(Outcome {
            decision: top.decision,
            required_approvals: fired.iter().map(|m| m.approvals).max().unwrap_or(0),
            snapshot_first: fired.iter().any(|m| m.snapshot),
            reasons: fired.iter().map(|m| m.id.clone()).collect(),
            messages: fired.iter().map(|m| message(m, request)).collect(),
        })
    }
}

fn classifier_deny_is_final(mut outcome: Outcome, request: &Request) -> Outcome {
    if request.classifier_decision == Decision::Deny && outcome.decision != Decision::Deny {
        outcome.decision = Decision::Deny;
        outcome.reasons.insert(0, CLASSIFIER_DENY.to_owned());
        outcome.messages.insert(
            0,
            format!(
                "rule {} denies {}; the policy in force would have let it through, but the \
                 classifier's deny is final",
                request.rule, request.operation
            ),
        );
    }
    outcome
}

fn no_permit_message(request: &Request) -> String {
    let who = match &request.who {
        Who::Agent(a) => format!("agent {} (scoped to {})", a.name, list(&a.environments)),
        Who::Human(h) => format!("human {}", h.name),
    };
    format!(
        "no policy permits this {} action ({}) by {who} in the {} environment, so it is denied; \
         add a permit to the policy if it should run",
        request.effect, request.operation, request.environment
    )
}

fn message(meta: &Meta, request: &Request) -> String {
    match &meta.reason {
        Some(t) => t.render(request),
        None => format!("policy {}", meta.id),
    }
}

pub(crate) fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

// ---------------------------------------------------------------------------------------------
// Building the Cedar request.

/// The entity types a request names, parsed once: Cedar's parser is slow next to evaluation.
struct Types {
    agent: cedar::EntityTypeName,
    group: cedar::EntityTypeName,
    human: cedar::EntityTypeName,
    resource: cedar::EntityTypeName,
    action: cedar::EntityTypeName,
}

fn types() -> Result<&'static Types, String> {
    static TYPES: OnceLock<Result<Types, String>> = OnceLock::new();
    TYPES
        .get_or_init(|| {
            let t = |name: &str| cedar::EntityTypeName::from_str(name).map_err(|e| e.to_string());
            Ok(Types {
                agent: t("Agent")?,
                group: t("AgentGroup")?,
                human: t("Human")?,
                resource: t("Resource")?,
                action: t("Action")?,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn uid(type_name: &cedar::EntityTypeName, id: &str) -> cedar::EntityUid {
    cedar::EntityUid::from_type_name_and_id(type_name.clone(), cedar::EntityId::new(id))
}

fn string(s: &str) -> cedar::RestrictedExpression {
    cedar::RestrictedExpression::new_string(s.to_owned())
}

fn strings(items: &[String]) -> cedar::RestrictedExpression {
    cedar::RestrictedExpression::new_set(items.iter().map(|s| string(s)))
}

fn long(n: u32) -> cedar::RestrictedExpression {
    cedar::RestrictedExpression::new_long(i64::from(n))
}

fn record(
    fields: impl IntoIterator<Item = (&'static str, cedar::RestrictedExpression)>,
) -> Result<cedar::RestrictedExpression, String> {
    cedar::RestrictedExpression::new_record(fields.into_iter().map(|(k, v)| (k.to_owned(), v)))
        .map_err(|e| e.to_string())
}

fn cedar_input(
    request: &Request,
    checked: bool,
) -> Result<(cedar::Request, cedar::Entities), String> {
    let types = types()?;
    let mut entities = Vec::with_capacity(4);
    let principal = match &request.who {
        Who::Agent(agent) => {
            let principal = uid(&types.agent, &agent.name);
            let mut parents = HashSet::new();
            for group in &agent.groups {
                let g = uid(&types.group, group);
                entities.push(cedar::Entity::new_no_attrs(g.clone(), HashSet::new()));
                parents.insert(g);
            }
            let attrs = HashMap::from([
                ("name".to_owned(), string(&agent.name)),
                ("environments".to_owned(), strings(&agent.environments)),
            ]);
            entities.push(
                cedar::Entity::new(principal.clone(), attrs, parents).map_err(|e| e.to_string())?,
            );
            principal
        }
        Who::Human(human) => {
            let principal = uid(&types.human, &human.name);
            let attrs = HashMap::from([
                ("name".to_owned(), string(&human.name)),
                ("roles".to_owned(), strings(&human.roles)),
            ]);
            entities.push(
                cedar::Entity::new(principal.clone(), attrs, HashSet::new())
                    .map_err(|e| e.to_string())?,
            );
            principal
        }
    };
    let resource = uid(
        &types.resource,
        &format!("{}:{}", request.resource_kind, request.resource_name),
    );
    let attrs = HashMap::from([
        ("environment".to_owned(), string(&request.environment)),
        ("kind".to_owned(), string(&request.resource_kind)),
        ("name".to_owned(), string(&request.resource_name)),
        ("tags".to_owned(), strings(&request.resource_tags)),
    ]);
    entities.push(
        cedar::Entity::new(resource.clone(), attrs, HashSet::new()).map_err(|e| e.to_string())?,
    );
    let action = uid(&types.action, &action_id(request));
    let s = &request.situation;
    let context = cedar::Context::from_pairs([
        (
            "time".to_owned(),
            record([
                ("hour", long(u32::from(s.time.hour))),
                ("weekday", string(s.time.weekday.as_str())),
            ])?,
        ),
        (
            "session".to_owned(),
            string(s.session.as_deref().unwrap_or("")),
        ),
        (
            "blast_radius".to_owned(),
            string(scope_name(request.blast_radius)),
        ),
        ("door".to_owned(), string(&request.door)),
        ("language".to_owned(), string(request.language.as_str())),
        ("operation".to_owned(), string(&request.operation)),
        (
            "classifier".to_owned(),
            record([
                ("rule", string(&request.rule)),
                ("decision", string(request.classifier_decision.as_str())),
            ])?,
        ),
        (
            "approval".to_owned(),
            record([
                ("state", string(s.approval.state.as_str())),
                ("count", long(s.approval.count)),
                ("admins", long(s.approval.admins)),
            ])?,
        ),
        (
            "snapshot_possible".to_owned(),
            cedar::RestrictedExpression::new_bool(s.snapshot_possible),
        ),
    ])
    .map_err(|e| e.to_string())?;
    // Checking every request against the schema costs more than evaluating it. The input is
    // built here from typed fields, so debug builds (every test) check it and release builds
    // trust it (a test compares both). Checked, the schema's action entities are the base;
    // unchecked, only the request's own action goes in, with every ancestor it has (computed
    // once from the schema), which is all `action in …` needs, and no store is cloned.
    let entities = if checked {
        action_entities()?
            .clone()
            .add_entities(entities, Some(schema()))
    } else {
        action_entity_store(&action)?
            .clone()
            .add_entities(entities, None)
    }
    .map_err(|e| e.to_string())?;
    let request = cedar::Request::new(principal, action, resource, context, checked.then(schema))
        .map_err(|e| e.to_string())?;
    Ok((request, entities))
}

// ---------------------------------------------------------------------------------------------
// Validation.

/// Parses `text`, checks it against the schema and the annotation convention, and returns the
/// policy set; or every problem found, each with `file_name`, line and column.
pub fn validate(text: &str, file_name: &str) -> Result<PolicySet, PolicyError> {
    let invalid = |problems: Vec<Problem>| PolicyError::Invalid {
        file: file_name.to_owned(),
        problems,
    };
    let parsed = cedar::PolicySet::from_str(text).map_err(|errors| {
        invalid(
            errors
                .iter()
                .map(|e| diagnostic_problem(text, e, 0))
                .collect(),
        )
    })?;
    let mut problems = Vec::new();
    if let Some(t) = parsed.templates().next() {
        problems.push(problem_at(
            text,
            0,
            format!(
                "template {} has slots (?principal/?resource); blastwall policies must be static",
                t.id()
            ),
        ));
    }
    // Cedar numbers policies in file order; its lossless text lets us find each one's offset.
    let mut policies: Vec<&cedar::Policy> = parsed.policies().collect();
    policies.sort_by_key(|p| {
        AsRef::<str>::as_ref(p.id())
            .trim_start_matches("policy")
            .parse::<usize>()
            .unwrap_or(usize::MAX)
    });
    let mut cursor = 0;
    let mut renamed = Vec::with_capacity(policies.len());
    let mut meta = HashMap::new();
    let mut ids = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (order, policy) in policies.into_iter().enumerate() {
        let own = policy.to_cedar().unwrap_or_default();
        let start = text[cursor..].find(&own).map_or(cursor, |i| cursor + i);
        cursor = start + own.len();
        let before = problems.len();
        let parsed_meta = read_annotations(policy, order, text, start, &own, &mut problems);
        let Some(m) = parsed_meta else { continue };
        if let Some(first_line) = seen.get(&m.id) {
            problems.push(problem_at(
                text,
                start + own.find("@id").unwrap_or(0),
                format!(
                    "@id(\"{}\") is used twice (first on line {first_line}); each policy needs its own id",
                    m.id
                ),
            ));
            continue;
        }
        if problems.len() > before {
            continue;
        }
        seen.insert(m.id.clone(), crate::error::line_column(text, start).0);
        let id = cedar::PolicyId::new(m.id.clone());
        ids.push(m.id.clone());
        renamed.push(policy.new_id(id.clone()));
        meta.insert(id, m);
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    let set = cedar::PolicySet::from_policies(renamed)
        .map_err(|e| invalid(vec![problem_at(text, 0, e.to_string())]))?;
    let result =
        cedar::Validator::new(schema().clone()).validate(&set, cedar::ValidationMode::Strict);
    let errors: Vec<Problem> = result
        .validation_errors()
        .map(|e| diagnostic_problem(text, e, 0))
        .collect();
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let by_action = partition(&set).map_err(|e| invalid(vec![problem_at(text, 0, e)]))?;
    Ok(PolicySet {
        by_action,
        file: file_name.to_owned(),
        source: text.to_owned(),
        cedar: set,
        meta,
        ids,
    })
}

/// The first labelled place of a Cedar diagnostic, with its message and help.
fn diagnostic_problem(text: &str, d: &dyn Diagnostic, base: usize) -> Problem {
    let offset = d
        .labels()
        .and_then(|mut labels| labels.next())
        .map_or(0, |l| l.offset());
    let mut message = d.to_string();
    if let Some(help) = d.help() {
        message = format!("{message} ({help})");
    }
    problem_at(text, base + offset, message)
}

fn read_annotations(
    policy: &cedar::Policy,
    order: usize,
    text: &str,
    start: usize,
    own: &str,
    problems: &mut Vec<Problem>,
) -> Option<Meta> {
    let at = |name: &str| start + own.find(&format!("@{name}")).unwrap_or(0);
    let bad = |problems: &mut Vec<Problem>, name: &str, message: String| {
        problems.push(problem_at(text, at(name), message));
    };
    for (key, _) in policy.annotations() {
        if !ANNOTATIONS.contains(&key) {
            bad(
                problems,
                key,
                format!(
                    "unknown annotation @{key}; blastwall reads only {}",
                    ANNOTATIONS
                        .iter()
                        .map(|a| format!("@{a}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    let Some(id) = policy.annotation("id") else {
        problems.push(problem_at(
            text,
            start,
            "this policy has no @id(\"…\"); every policy needs one, it is the reason shown when it fires",
        ));
        return None;
    };
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        bad(
            problems,
            "id",
            format!(
                "@id(\"{id}\") must be non-empty and use only letters, digits, '-', '_' and '.'"
            ),
        );
    }
    let forbid = policy.effect() == cedar::Effect::Forbid;
    let decision = match (policy.annotation("decision"), forbid) {
        (None, false) | (Some("allow"), false) => Decision::Allow,
        (Some("ask"), false) => Decision::Ask,
        (None, true) | (Some("deny"), true) => Decision::Deny,
        (Some(other), false) => {
            bad(
                problems,
                "decision",
                format!(
                    "@decision(\"{other}\") on a permit must be \"allow\" or \"ask\" (use forbid to deny)"
                ),
            );
            Decision::Deny
        }
        (Some(other), true) => {
            bad(
                problems,
                "decision",
                format!("@decision(\"{other}\") on a forbid: a forbid always denies; remove it"),
            );
            Decision::Deny
        }
    };
    let approvals = match policy.annotation("approvals") {
        None => u32::from(decision == Decision::Ask),
        Some(_) if forbid => {
            bad(
                problems,
                "approvals",
                "@approvals on a forbid means nothing: a forbid always denies".into(),
            );
            0
        }
        Some(n) => match n.parse::<u32>() {
            Ok(n) if n <= MAX_APPROVALS && !(n == 0 && decision == Decision::Ask) => n,
            _ => {
                bad(
                    problems,
                    "approvals",
                    format!(
                        "@approvals(\"{n}\") must be a whole number from {} to {MAX_APPROVALS}",
                        u32::from(decision == Decision::Ask)
                    ),
                );
                0
            }
        },
    };
    let snapshot = match policy.annotation("snapshot") {
        None | Some("false") => false,
        Some("true") if !forbid => true,
        Some("true") => {
            bad(
                problems,
                "snapshot",
                "@snapshot on a forbid means nothing: the action never runs".into(),
            );
            false
        }
        Some(other) => {
            bad(
                problems,
                "snapshot",
                format!("@snapshot(\"{other}\") must be \"true\" or \"false\""),
            );
            false
        }
    };
    let reason = match policy.annotation("reason").map(Template::parse) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => {
            bad(problems, "reason", format!("@reason: {e}"));
            None
        }
    };
    Some(Meta {
        id: id.to_owned(),
        decision,
        approvals,
        snapshot,
        reason,
        order,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{AgentIdentity, Approval, Situation};
    use blastwall_core::Scope;

    /// The per-action subsets answer exactly as the whole set does.
    #[test]
    fn partition_changes_no_outcome() {
        let set = PolicySet::defaults();
        let whole = PolicySet {
            by_action: HashMap::new(),
            ..set.clone()
        };
        for language in [Language::Shell, Language::Sql, Language::Http] {
            for effect in [
                Effect::Read,
                Effect::Write,
                Effect::Destructive,
                Effect::Irreversible,
            ] {
                for env in ["dev", "prod"] {
                    for approval in [Approval::NONE, Approval::approved(2, 1)] {
                        for classifier in [Decision::Allow, Decision::Ask, Decision::Deny] {
                            let r = Request {
                                who: Who::Agent(AgentIdentity {
                                    name: "a".into(),
                                    environments: vec!["dev".into()],
                                    groups: vec![],
                                }),
                                effect,
                                language,
                                operation: "op".into(),
                                door: "check".into(),
                                environment: env.into(),
                                resource_kind: "path".into(),
                                resource_name: "x".into(),
                                resource_tags: vec![],
                                blast_radius: Scope::Single,
                                rule: "r".into(),
                                classifier_decision: classifier,
                                situation: Situation {
                                    approval,
                                    ..Situation::default()
                                },
                            };
                            assert_eq!(set.evaluate(&r), whole.evaluate(&r));
                            // Release builds skip the schema check of the input (see
                            // `cedar_input`): it must change nothing, for humans and groups too.
                            for who in [
                                Who::Agent(AgentIdentity {
                                    name: "b".into(),
                                    environments: vec!["prod".into(), "dev".into()],
                                    groups: vec!["team-a".into(), "team-b".into()],
                                }),
                                Who::Human(crate::request::HumanIdentity {
                                    name: "h".into(),
                                    roles: vec!["admin".into()],
                                }),
                            ]
                            .into_iter()
                            .chain([r.who.clone()])
                            {
                                let r = Request { who, ..r.clone() };
                                assert_eq!(
                                    set.authorize_with(&r, true),
                                    set.authorize_with(&r, false),
                                    "{r:?}"
                                );
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(set.by_action.len(), 12);
        assert!(set.by_action["sql.read"].policies().count() < set.len());
    }
}
