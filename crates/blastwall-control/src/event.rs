//! What the control plane reports for the audit chain: every request, vote, redemption, expiry,
//! identity change and rejected attempt becomes one [`AuditEvent`] handed to an [`EventSink`].
//!
//! The binary's sink appends them to the audit log. This module defines the events only; it must
//! never write a log itself, and no event may carry a token, password or TOTP secret.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::request::{Choice, State};
use crate::subject::ActionDigest;

/// Why a sink could not record an event.
pub type SinkError = Box<dyn std::error::Error + Send + Sync>;

/// Where events go. Called after the change is stored; an error makes the operation report
/// [`ControlError::Audit`](crate::ControlError::Audit), so that an unrecorded redemption never lets
/// an action pass.
pub trait EventSink: Send + Sync {
    fn record(&self, event: &AuditEvent) -> Result<(), SinkError>;
}

/// One thing that happened at the control plane.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub time_ms: i64,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// An attempted operation that can be refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attempt {
    Authenticate,
    Login,
    Vote,
    Redeem,
    Admin,
    Read,
    /// A signed webhook callback.
    Callback,
}

impl Attempt {
    pub const fn as_str(self) -> &'static str {
        match self {
            Attempt::Authenticate => "authenticate",
            Attempt::Login => "login",
            Attempt::Vote => "vote",
            Attempt::Redeem => "redeem",
            Attempt::Admin => "admin",
            Attempt::Read => "read",
            Attempt::Callback => "callback",
        }
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EventKind {
    /// An `ask` opened a request.
    RequestCreated {
        request: String,
        digest: ActionDigest,
        agent: String,
        session: Option<String>,
        environment: String,
        rule: String,
        effect: String,
        resource: String,
        quorum: u32,
        confirmation_required: bool,
        expires_ms: i64,
    },
    /// A counted vote, and the state it left the request in.
    VoteCast {
        request: String,
        human: String,
        choice: Choice,
        approvals: usize,
        quorum: u32,
        state: State,
    },
    /// The approved action passed (once).
    Redeemed {
        request: String,
        digest: ActionDigest,
        agent: String,
        session: Option<String>,
        approvers: Vec<String>,
    },
    /// A request ran out of time.
    Expired {
        request: String,
        was: State,
    },
    AgentCreated {
        agent: String,
        name: String,
        environments: Vec<String>,
        by: String,
    },
    HumanCreated {
        human: String,
        name: String,
        roles: Vec<String>,
        by: String,
    },
    CredentialChanged {
        human: String,
        what: String,
        by: String,
    },
    Revoked {
        principal: String,
        by: String,
    },
    /// A refused attempt: who tried what, and why it was refused.
    Rejected {
        attempt: Attempt,
        /// The principal id, when known.
        actor: Option<String>,
        /// `agent` or `human`, when known.
        actor_kind: Option<String>,
        request: Option<String>,
        digest: Option<ActionDigest>,
        /// [`ControlError::code`](crate::ControlError::code).
        code: String,
        message: String,
    },
}

impl AuditEvent {
    /// A dotted name for the audit log's rule column (`approval.vote`, `approval.rejected.vote`).
    pub fn name(&self) -> String {
        match &self.kind {
            EventKind::RequestCreated { .. } => "approval.requested".into(),
            EventKind::VoteCast { .. } => "approval.vote".into(),
            EventKind::Redeemed { .. } => "approval.used".into(),
            EventKind::Expired { .. } => "approval.expired".into(),
            EventKind::AgentCreated { .. } => "identity.agent-created".into(),
            EventKind::HumanCreated { .. } => "identity.human-created".into(),
            EventKind::CredentialChanged { .. } => "identity.credential-changed".into(),
            EventKind::Revoked { .. } => "identity.revoked".into(),
            EventKind::Rejected { attempt, .. } => format!("control.rejected.{}", attempt.as_str()),
        }
    }
}

/// Keeps events in memory (tests, and a buffer for a binary that drains it).
#[derive(Debug, Default)]
pub struct MemorySink {
    events: Mutex<Vec<AuditEvent>>,
}

impl MemorySink {
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of every event so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Removes and returns every event so far.
    pub fn take(&self) -> Vec<AuditEvent> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl EventSink for MemorySink {
    fn record(&self, event: &AuditEvent) -> Result<(), SinkError> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event.clone());
        Ok(())
    }
}

impl<T: EventSink + ?Sized> EventSink for std::sync::Arc<T> {
    fn record(&self, event: &AuditEvent) -> Result<(), SinkError> {
        (**self).record(event)
    }
}
