//! The control plane's audit trail: decisions and approval-wall events go into the same
//! hash-chained log (`blastwall-audit`) that every door writes, so `blastwall audit verify` checks
//! them together.
//!
//! An event becomes one record: its dotted name is the rule (`approval.vote`,
//! `control.rejected.vote`), its JSON is the input, and its decision says what it meant (a counted
//! approval or a used approval is `allow`, a refusal or denial is `deny`, a new request is `ask`).
//! This module must never drop an event silently: a failed append is an error the control plane
//! turns into "not done".

use std::sync::{Mutex, PoisonError};

use blastwall_audit::{AuditLog, NewRecord, Receipt};
use blastwall_control::{AuditEvent, Choice, EventKind, EventSink, SinkError};
use blastwall_core::{Decision, Door, Effect};

/// The door control-plane records are written under.
pub const CONTROL_DOOR: &str = "control-plane";

/// Appends to one audit log from any thread.
pub struct AuditTrail {
    log: Mutex<AuditLog>,
}

impl AuditTrail {
    pub fn new(log: AuditLog) -> AuditTrail {
        AuditTrail {
            log: Mutex::new(log),
        }
    }

    pub fn append(&self, record: &NewRecord) -> Result<Receipt, String> {
        let log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        log.append(record).map_err(|e| e.to_string())
    }
}

impl EventSink for AuditTrail {
    fn record(&self, event: &AuditEvent) -> Result<(), SinkError> {
        self.append(&record_of(event))
            .map(|_| ())
            .map_err(SinkError::from)
    }
}

/// The audit record of one control-plane event.
pub fn record_of(event: &AuditEvent) -> NewRecord {
    let (decision, effect, agent, session, environment, reason) = match &event.kind {
        EventKind::RequestCreated {
            request,
            agent,
            session,
            environment,
            effect,
            resource,
            quorum,
            ..
        } => (
            Decision::Ask,
            Effect::parse(effect).unwrap_or(Effect::Irreversible),
            Some(agent.clone()),
            session.clone(),
            environment.clone(),
            format!(
                "approval request {request} opened for {resource}: {quorum} approval(s) needed"
            ),
        ),
        EventKind::VoteCast {
            request,
            human,
            choice,
            approvals,
            quorum,
            state,
        } => (
            if *choice == Choice::Approve {
                Decision::Allow
            } else {
                Decision::Deny
            },
            Effect::Write,
            None,
            None,
            String::new(),
            format!(
                "{human} voted {choice} on {request}: {approvals} of {quorum} approvals, now {state}"
            ),
        ),
        EventKind::Redeemed {
            request,
            agent,
            session,
            approvers,
            ..
        } => (
            Decision::Allow,
            Effect::Write,
            Some(agent.clone()),
            session.clone(),
            String::new(),
            format!(
                "the action approved by {} ({request}) ran once",
                approvers.join(", ")
            ),
        ),
        EventKind::Expired { request, was } => (
            Decision::Deny,
            Effect::Read,
            None,
            None,
            String::new(),
            format!("approval request {request} expired while {was}"),
        ),
        EventKind::AgentCreated { name, by, .. } => (
            Decision::Allow,
            Effect::Write,
            None,
            None,
            String::new(),
            format!("agent {name} created by {by}"),
        ),
        EventKind::HumanCreated { name, by, .. } => (
            Decision::Allow,
            Effect::Write,
            None,
            None,
            String::new(),
            format!("human {name} created by {by}"),
        ),
        EventKind::CredentialChanged { human, what, by } => (
            Decision::Allow,
            Effect::Write,
            None,
            None,
            String::new(),
            format!("{what} of {human} changed by {by}"),
        ),
        EventKind::Revoked { principal, by } => (
            Decision::Allow,
            Effect::Write,
            None,
            None,
            String::new(),
            format!("{principal} revoked by {by}"),
        ),
        EventKind::Rejected {
            attempt,
            actor,
            message,
            ..
        } => (
            Decision::Deny,
            Effect::Write,
            actor.clone(),
            None,
            String::new(),
            format!("refused {}: {message}", attempt.as_str()),
        ),
    };
    NewRecord {
        time_ms: event.time_ms,
        door: Door::Proxy(CONTROL_DOOR.into()),
        agent,
        session,
        environment: if environment.is_empty() {
            "control".into()
        } else {
            environment
        },
        cwd: None,
        // Events carry no secret (see `blastwall_control::event`), so the whole event is kept.
        input: serde_json::to_string(event).unwrap_or_else(|_| event.name()),
        decision,
        effect,
        rule: event.name(),
        reason,
    }
}
