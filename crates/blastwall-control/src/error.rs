//! Errors of the control plane, written for the person who has to act on them.
//!
//! Every refusal names what was refused and what to do instead. An error must never be read as
//! permission: a door that gets any error here treats the action as not approved.

use crate::request::State;
use crate::store::StoreError;

/// Why an identity, approval or admin operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error(
        "the token was not recognized: it is mistyped, truncated, or was issued by another control \
         plane; ask an admin for a new one"
    )]
    InvalidToken,

    #[error("the {kind} {name} was revoked; ask an admin for a new identity")]
    Revoked { kind: &'static str, name: String },

    #[error(
        "agent {agent} may not {operation}: agents can never approve, deny or administer, whatever \
         their token; a human runs this with their own token"
    )]
    AgentForbidden {
        agent: String,
        operation: &'static str,
    },

    #[error("{human} may not {operation}: that needs the {role} role; ask an admin to grant it")]
    MissingRole {
        human: String,
        operation: &'static str,
        role: &'static str,
    },

    #[error("no approval request {id}; list the open ones with `blastwall approvals list`")]
    NoSuchRequest { id: String },

    #[error(
        "approval request {id} is {state} and takes no more votes; if the action is still wanted, \
         the agent retries it and a new request opens"
    )]
    NotOpen { id: String, state: State },

    #[error(
        "approval request {id} expired; nothing was approved. If the action is still wanted, the \
         agent retries it and a new request opens"
    )]
    Expired { id: String },

    #[error(
        "{human} already voted on approval request {id}; it needs {quorum} different humans and has \
         {approvals}: another approver must vote"
    )]
    AlreadyVoted {
        id: String,
        human: String,
        approvals: usize,
        quorum: u32,
    },

    #[error(
        "approval request {id} touches {expected:?} and needs typed confirmation: approve with \
         `--confirm` followed by exactly that name"
    )]
    ConfirmationRequired { id: String, expected: String },

    #[error(
        "the typed confirmation for approval request {id} does not match: type exactly {expected:?} \
         (check that this is the resource you mean to approve); nothing was counted"
    )]
    ConfirmationMismatch { id: String, expected: String },

    #[error(
        "no approval covers this exact action (digest {digest}); approvals bind the action byte for \
         byte, with its agent, session and environment: a changed action needs a new approval"
    )]
    NoApproval { digest: String },

    #[error(
        "approval request {id} still waits for humans ({approvals} of {quorum} approvals); run \
         `blastwall approvals show {id}`"
    )]
    StillPending {
        id: String,
        approvals: usize,
        quorum: u32,
    },

    #[error("a human denied approval request {id}; the action must not run")]
    RequestDenied { id: String },

    #[error("a quorum of {quorum} is impossible: it must be between 1 and 16")]
    BadQuorum { quorum: u32 },

    #[error(
        "{what} name {name:?} is not allowed: use 1 to 64 letters, digits, '-', '_', '.' or '@'"
    )]
    InvalidName { what: &'static str, name: String },

    #[error(
        "{what} {name:?} already exists; pick another name (names stay taken after a revocation, \
         so that the audit trail always means one identity by one name)"
    )]
    Exists { what: &'static str, name: String },

    #[error("no agent or human with id {id}; list them with `blastwall agents list`")]
    NoSuchPrincipal { id: String },

    #[error(
        "the control plane already has an admin; further humans are created by an admin with \
         `blastwall humans create`"
    )]
    AlreadyBootstrapped,

    #[error(
        "login failed: wrong name, password or authenticator code (or a code already used); wait \
         for the next code and try again"
    )]
    LoginFailed,

    #[error("the password is too short: use at least 12 characters")]
    WeakPassword,

    #[error("credential error: {detail}")]
    Credential { detail: String },

    #[error(
        "the operating system gave no random bytes ({detail}); no token or id was issued. Check \
         that /dev/urandom is available"
    )]
    Random { detail: String },

    #[error(transparent)]
    Store(#[from] StoreError),

    #[error(
        "the audit log did not record this {what} ({source}); it counts as not done for the agent. \
         Fix the audit log (`blastwall audit verify`) and retry"
    )]
    Audit {
        what: &'static str,
        #[source]
        source: crate::event::SinkError,
    },

    #[error("the webhook signature is invalid ({detail}); the callback was ignored")]
    BadSignature { detail: &'static str },
}

impl ControlError {
    /// A stable short code, for events and API responses.
    pub fn code(&self) -> &'static str {
        match self {
            ControlError::InvalidToken => "invalid-token",
            ControlError::Revoked { .. } => "revoked",
            ControlError::AgentForbidden { .. } => "agent-forbidden",
            ControlError::MissingRole { .. } => "missing-role",
            ControlError::NoSuchRequest { .. } => "no-such-request",
            ControlError::NotOpen { .. } => "not-open",
            ControlError::Expired { .. } => "expired",
            ControlError::AlreadyVoted { .. } => "already-voted",
            ControlError::ConfirmationRequired { .. } => "confirmation-required",
            ControlError::ConfirmationMismatch { .. } => "confirmation-mismatch",
            ControlError::NoApproval { .. } => "no-approval",
            ControlError::StillPending { .. } => "still-pending",
            ControlError::RequestDenied { .. } => "denied",
            ControlError::BadQuorum { .. } => "bad-quorum",
            ControlError::InvalidName { .. } => "invalid-name",
            ControlError::Exists { .. } => "exists",
            ControlError::NoSuchPrincipal { .. } => "no-such-principal",
            ControlError::AlreadyBootstrapped => "already-bootstrapped",
            ControlError::LoginFailed => "login-failed",
            ControlError::WeakPassword => "weak-password",
            ControlError::Credential { .. } => "credential",
            ControlError::Random { .. } => "random",
            ControlError::Store(_) => "store",
            ControlError::Audit { .. } => "audit",
            ControlError::BadSignature { .. } => "bad-signature",
        }
    }
}
