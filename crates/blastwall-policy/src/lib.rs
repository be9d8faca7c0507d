//! The control plane's policy, written in Cedar.
//!
//! `blastwall serve` asks this crate one question for every classified action: given who acts
//! (an agent with the environments it is scoped to and its groups, or a human with roles), what
//! the action does (effect, language, operation), what it touches (resource, environment, tags)
//! and the situation (time, session, blast radius, the classifier's rule and decision, the
//! approval state, whether a snapshot is possible), is the answer allow, ask or deny, how many
//! humans must approve, and must a snapshot be taken first?
//!
//! - [`validate`] parses a policy text, checks it against the embedded schema
//!   ([`SCHEMA_TEXT`]) and the annotation convention below, and names file, line and column of
//!   every problem.
//! - [`PolicySet::evaluate`] answers one [`Request`] with an [`Outcome`];
//!   [`PolicySet::evaluate_all`] answers every action of a verdict, strictest first.
//! - [`run_cases`] runs a file of policy tests ([`CaseReport`]).
//! - [`PolicyStore`] holds the set in force and reloads it from a file; a broken file never
//!   replaces a working set.
//!
//! # The vocabulary
//!
//! Principals are `Agent` (attributes `name`, `environments`; parents `AgentGroup::"<group>"`)
//! and `Human` (`name`, `roles`). A request's action is `Action::"<language>.<effect>"`
//! (`Action::"sql.destructive"`), a member of the effect class `Action::"read"`,
//! `Action::"write"`, `Action::"destructive"` or `Action::"irreversible"`; the last three are
//! also in `Action::"change"`. The resource is a `Resource` (`environment`, `kind`, `name`,
//! `tags`). The context carries `time.hour`, `time.weekday`, `session`, `blast_radius`, `door`,
//! `language`, `operation`, `classifier.rule`, `classifier.decision`, `approval.state` (`none`,
//! `pending`, `approved`), `approval.count` (distinct approvers), `approval.admins` and
//! `snapshot_possible`.
//!
//! # The annotation convention
//!
//! Cedar only says permit or forbid; annotations carry the rest.
//!
//! | annotation | on | meaning |
//! |---|---|---|
//! | `@id("…")` | every policy (required, unique) | the reason reported when the policy fires |
//! | `@decision("allow" \| "ask")` | permit | what firing means; default `allow` |
//! | `@approvals("N")` | permit | distinct human approvals needed, 0–16; default 1 for an ask, 0 otherwise |
//! | `@snapshot("true")` | permit | take a snapshot before the action runs |
//! | `@reason("…")` | any | the sentence shown, with `{placeholders}` filled from the request |
//! | `@description("…")` | any | free text, ignored |
//!
//! Any other annotation is refused, so that a typo (`@aprovals`) cannot silently drop a
//! requirement. An outcome is computed like this:
//!
//! 1. If evaluating any policy fails, the outcome is **deny** with reason `evaluation-error`.
//! 2. If a forbid fires, the outcome is **deny**; the reasons are the forbids that fired.
//! 3. If no permit fires, the outcome is **deny** with reason `no-policy-permits`.
//! 4. Otherwise the strictest decision among the permits that fired wins (ask over allow), the
//!    largest `@approvals` is required and a snapshot is taken if any of them asks for one. The
//!    reasons are all permits that fired, strictest first.
//! 5. Whatever the policy says, an action whose classifier rule itself denies stays denied
//!    (reason `classifier-deny-is-final`).
//!
//! An ask comes in a pair: the ask itself, firing while the approval state in the context is
//! short of the approvals it needs, and an "-approved" companion that allows the same action once
//! it has them. The control plane evaluates again with the approval state of the request it
//! opened; once the state shows the quorum, the companion fires and the action is allowed (still
//! reporting the approvals and the snapshot it required):
//!
//! ```cedar
//! @id("prod-destructive") @decision("ask") @approvals("2") @snapshot("true")
//! permit (principal, action in Action::"destructive", resource)
//! when { resource.environment == "prod" &&
//!        !(context.approval.state == "approved" && context.approval.count >= 2) };
//!
//! @id("prod-destructive-two-approvals") @approvals("2") @snapshot("true")
//! permit (principal, action in Action::"destructive", resource)
//! when { resource.environment == "prod" &&
//!        context.approval.state == "approved" && context.approval.count >= 2 };
//! ```
//!
//! The default policy ([`DEFAULT_POLICY`], `policies/default.cedar`) encodes blastwall's
//! principles: the classifier's deny stands; agents change nothing outside their environments;
//! reads in scope run, reads outside scope need one approval; destructive actions need two
//! approvals and a snapshot in prod, one elsewhere; irreversible actions with no possible
//! snapshot are denied unless an admin approved, and with a snapshot need two approvals.
//!
//! This crate must never do network I/O, read a clock or a store, or turn an error into anything
//! but a deny. It reads a file only in [`PolicyStore::reload_from`] and [`run_case_file`].

mod cases;
mod error;
mod request;
mod set;
mod store;
mod template;

pub use cases::{CaseFailure, CaseReport, run_case_file, run_cases};
pub use error::{PolicyError, Problem};
pub use request::{
    AgentIdentity, Approval, ApprovalState, HumanIdentity, Request, Situation, TimeOfWeek, Weekday,
    Who, door_name,
};
pub use set::{
    CLASSIFIER_DENY, DEFAULT_POLICY, EVALUATION_ERROR, MAX_APPROVALS, NO_PERMIT, Outcome,
    PolicySet, SCHEMA_TEXT, validate,
};
pub use store::{PolicyStore, ReloadReport};
pub use template::PLACEHOLDERS;
