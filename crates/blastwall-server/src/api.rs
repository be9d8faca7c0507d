//! The JSON the control plane's HTTP API reads and writes. Clients (`blastwall hook`,
//! `blastwall approvals …`) use these same types, so both ends agree by construction; the
//! OpenAPI document (`openapi.json`) describes them for everyone else.
//!
//! Plain data only: nothing here authenticates, decides or stores.

use blastwall_control::{Agent, Human, Request as ApprovalRequest, State};
use blastwall_core::{Decision, Effect};
use blastwall_engine::Request;
use serde::{Deserialize, Serialize};

/// The default address of `blastwall serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7878";

/// The largest request body the API accepts.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// `POST /v1/decide`: one action an agent is about to take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideBody {
    /// The door it came through: the agent's hook (`claude-code`, `cursor`, `codex`, `gemini`)
    /// or another front door's name. Defaults to `api`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub door: Option<String>,
    /// The action, as `blastwall check` reads it. Its `agent` field is ignored: the agent is the
    /// one the token belongs to.
    pub action: Request,
}

/// The answer to `POST /v1/decide`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    pub decision: Decision,
    pub effect: Effect,
    /// The rule or policy behind the decision.
    pub rule: String,
    /// What to tell the agent (and the human reading the audit log).
    pub reason: String,
    pub environment: String,
    /// The agent the token belongs to.
    pub agent: String,
    /// The classifiers' own verdict, before policy.
    pub classifier: ClassifierView,
    /// What the Cedar policy said.
    pub policy: PolicyView,
    /// The approval request this action waits on, or the one it just used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalView>,
    /// Where the decision is in the audit log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_seq: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassifierView {
    pub decision: Decision,
    pub rule: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub decision: Decision,
    /// The `@id`s of the policies that settled it, strictest first.
    pub reasons: Vec<String>,
    pub messages: Vec<String>,
    pub required_approvals: u32,
    pub snapshot_first: bool,
}

/// An approval request as a client sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalView {
    pub id: String,
    pub state: State,
    /// SHA-256 of the exact action with its agent, session and environment.
    pub digest: String,
    pub agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    pub environment: String,
    pub effect: Effect,
    pub rule: String,
    pub resource: String,
    pub input: String,
    pub reason: String,
    pub approvals: usize,
    pub quorum: u32,
    /// The text an approver must type (`--confirm`), when one is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<String>,
    pub voters: Vec<String>,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub approve_command: String,
    pub deny_command: String,
}

impl ApprovalView {
    pub fn of(r: &ApprovalRequest) -> ApprovalView {
        ApprovalView {
            id: r.id.clone(),
            state: r.state,
            digest: r.digest.to_hex(),
            agent: r.subject.agent.clone(),
            session: r.subject.session.clone(),
            environment: r.subject.environment.to_string(),
            effect: r.subject.effect,
            rule: r.subject.rule.clone(),
            resource: r.subject.resource.name.clone(),
            input: r.subject.input.clone(),
            reason: r.reason.clone(),
            approvals: r.approvals(),
            quorum: r.quorum,
            confirmation: r.confirmation.clone(),
            voters: r
                .votes
                .iter()
                .map(|v| format!("{} ({})", v.human_name, v.choice))
                .collect(),
            created_ms: r.created_ms,
            expires_ms: r.expires_ms,
            approve_command: blastwall_control::webhook::approve_command(r),
            deny_command: blastwall_control::webhook::deny_command(r),
        }
    }
}

/// `POST /v1/approvals/{id}/approve`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteBody {
    /// The resource name, typed by the approver, when the request needs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<String>,
}

/// `POST /v1/callbacks/vote`: a vote relayed by a chat integration, signed with the shared secret
/// (`X-Blastwall-Signature: sha256=<hex HMAC-SHA256 of the body>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackVote {
    pub request: String,
    /// The name of the human who voted (an approver or admin).
    pub human: String,
    /// `approve` or `deny`.
    pub choice: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<String>,
}

/// `POST /v1/agents`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    pub name: String,
    /// The environments it may act in (at least one).
    pub environments: Vec<String>,
    /// Free-form scopes; policy sees them as the agent's groups.
    #[serde(default)]
    pub scopes: Vec<String>,
}

/// `POST /v1/humans`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewHuman {
    pub name: String,
    /// `approver`, `admin`.
    pub roles: Vec<String>,
}

/// `POST /v1/humans/{id}/password`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// At least 12 characters.
    pub password: String,
}

/// The header that carries a TOTP code with a password login (`Authorization: Basic …`).
pub const TOTP_HEADER: &str = "X-Blastwall-TOTP";

/// A new agent and its token (shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedAgent {
    pub agent: Agent,
    pub token: String,
}

/// A new human and their token (shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedHuman {
    pub human: Human,
    pub token: String,
}

/// `GET /v1/health`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub policy_file: String,
    pub policies: usize,
    pub pending_approvals: usize,
}

/// `GET /v1/whoami`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhoAmI {
    pub id: String,
    pub name: String,
    /// `agent` or `human`.
    pub kind: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub environments: Vec<String>,
}

/// Every error response: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}
