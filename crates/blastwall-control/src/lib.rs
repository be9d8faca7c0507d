//! The control plane of blastwall, without its HTTP server: identities and the approval wall.
//!
//! `blastwall serve` answers every front door's question "may this agent do this, here?". For an
//! action policy says to `ask` about, this crate holds the approval wall:
//!
//! 1. [`Control::gate`] (or [`Control::request_approval`]) opens a [`Request`] bound to the
//!    [`ActionDigest`] of the exact action with its agent, session and environment
//!    ([`ApprovalSubject`]; the encoding is documented in [`subject`]).
//! 2. Humans vote with [`Control::vote`]: only humans with the `approver` or `admin` role, each
//!    counted once, with the resource name typed exactly when the request demands it. One deny
//!    denies; `quorum` distinct approvals approve.
//! 3. When the identical action comes back, [`Control::redeem`] (or `gate`) lets it pass once: the
//!    request becomes `used` in the same transaction that finds it. A different digest finds
//!    nothing; an expired request passes nothing.
//!
//! Identities ([`Agent`], [`Human`]) authenticate with tokens ([`Control::authenticate`]) that are
//! shown once and stored as SHA-256 hashes; humans may also log in with a password (Argon2id) and a
//! TOTP code ([`Control::login`]). An agent [`Principal`] is refused by every approval and admin
//! operation with [`ControlError::AgentForbidden`].
//!
//! Everything that happens, including each refused attempt, is handed to an [`EventSink`] as an
//! [`AuditEvent`] for the audit log. State lives behind the [`Store`] trait: [`SqliteStore`] by
//! default, [`MemoryStore`] for tests. [`webhook`] builds notification payloads.
//!
//! This crate must never serve HTTP, send a notification, or decide policy (quorum, whether typed
//! confirmation is needed and how long a request lives come from the caller); it must never treat
//! an error as an approval.

mod clock;
mod control;
mod error;
mod event;
mod identity;
mod request;
mod secret;
pub mod store;
pub mod subject;
pub mod webhook;

pub use clock::{Clock, ManualClock, SystemClock};
pub use control::{Control, Gate, MAX_QUORUM, MIN_PASSWORD_LEN, Settings};
pub use error::ControlError;
pub use event::{Attempt, AuditEvent, EventKind, EventSink, MemorySink, SinkError};
pub use identity::{
    Agent, Human, Principal, Role, StoredAgent, StoredHuman, TotpEnrollment, totp_code,
};
pub use request::{Approval, Choice, DEFAULT_TTL, Request, RequestOptions, State, Vote};
pub use store::{MemoryStore, SqliteStore, Store, StoreError};
pub use subject::{ActionDigest, ApprovalSubject};
pub use webhook::{SIGNATURE_HEADER, signed_json, slack_message, verify_signature};
