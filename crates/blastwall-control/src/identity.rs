//! Who talks to the control plane: agents (non-human identities) and humans, and their
//! credentials.
//!
//! Agents and humans are different types all the way down, so that no code path can mistake one
//! for the other. This module must never hold a token in clear (only its SHA-256 hash), never
//! store a password (only its Argon2id hash) and never let an agent carry a role.

use std::collections::BTreeSet;
use std::fmt;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, TOTP};

use crate::error::ControlError;
use crate::secret::random;

/// A non-human identity: an AI agent, a CI job, a script.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// `agt_` followed by 24 hex digits.
    pub id: String,
    pub name: String,
    /// The environments this agent may act in (`dev`, `staging`, ...).
    pub environments: Vec<String>,
    /// Free-form scopes, interpreted by policy.
    pub scopes: Vec<String>,
    pub created_ms: i64,
    /// When an admin revoked it; a revoked agent's token no longer authenticates.
    pub revoked_ms: Option<i64>,
}

/// What a human may do besides authenticate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Votes on approval requests.
    Approver,
    /// Manages identities; may also vote.
    Admin,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "approver" => Some(Role::Approver),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Human {
    /// `hum_` followed by 24 hex digits.
    pub id: String,
    pub name: String,
    pub roles: BTreeSet<Role>,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
    /// Whether a password is set (the password itself is never available).
    pub has_password: bool,
    /// Whether password logins also need a TOTP code.
    pub has_totp: bool,
}

impl Human {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Approvers and admins may vote.
    pub fn may_vote(&self) -> bool {
        self.has_role(Role::Approver) || self.has_role(Role::Admin)
    }
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Principal {
    Agent(Agent),
    Human(Human),
}

impl Principal {
    pub fn id(&self) -> &str {
        match self {
            Principal::Agent(a) => &a.id,
            Principal::Human(h) => &h.id,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Principal::Agent(a) => &a.name,
            Principal::Human(h) => &h.name,
        }
    }

    /// `agent` or `human`.
    pub fn kind(&self) -> &'static str {
        match self {
            Principal::Agent(_) => "agent",
            Principal::Human(_) => "human",
        }
    }
}

/// An agent as stored: the public record and the hash of its token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAgent {
    pub agent: Agent,
    pub token_hash: [u8; 32],
}

/// A human as stored, with credential material.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredHuman {
    pub id: String,
    pub name: String,
    pub roles: BTreeSet<Role>,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
    pub token_hash: [u8; 32],
    /// Argon2id PHC string.
    pub password_hash: Option<String>,
    /// The shared TOTP secret (20 bytes). Needed in clear to compute codes; the store's file must
    /// stay readable by the control plane's user only.
    pub totp_secret: Option<Vec<u8>>,
    /// The last TOTP time step accepted, so that one code cannot be used twice.
    pub totp_last_step: Option<i64>,
}

impl StoredHuman {
    pub fn public(&self) -> Human {
        Human {
            id: self.id.clone(),
            name: self.name.clone(),
            roles: self.roles.clone(),
            created_ms: self.created_ms,
            revoked_ms: self.revoked_ms,
            has_password: self.password_hash.is_some(),
            has_totp: self.totp_secret.is_some(),
        }
    }
}

impl fmt::Debug for StoredHuman {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credential material stays out of logs.
        f.debug_struct("StoredHuman")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("roles", &self.roles)
            .field("revoked_ms", &self.revoked_ms)
            .finish_non_exhaustive()
    }
}

/// What a human needs to set up an authenticator app. Shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TotpEnrollment {
    /// The secret in base32 (RFC 4648, no padding), for manual entry.
    pub secret_base32: String,
    /// An `otpauth://totp/...` URI (SHA-1, 6 digits, 30 s), for a QR code.
    pub uri: String,
}

/// TOTP parameters: the ones every authenticator app supports (RFC 6238 defaults).
const TOTP_DIGITS: usize = 6;
const TOTP_STEP_S: u64 = 30;
/// Codes from one step before or after are accepted, for clock drift.
const TOTP_SKEW: u8 = 1;

fn totp(secret: &[u8]) -> Result<TOTP, ControlError> {
    TOTP::new(
        Algorithm::SHA1,
        TOTP_DIGITS,
        TOTP_SKEW,
        TOTP_STEP_S,
        secret.to_vec(),
    )
    .map_err(|e| ControlError::Credential {
        detail: format!("the stored TOTP secret is unusable ({e})"),
    })
}

pub(crate) fn new_totp_secret() -> Result<Vec<u8>, ControlError> {
    Ok(random::<20>()?.to_vec())
}

pub(crate) fn totp_enrollment(
    secret: &[u8],
    account: &str,
) -> Result<TotpEnrollment, ControlError> {
    let secret_base32 = totp(secret)?.get_secret_base32();
    let label = percent_encode(&format!("blastwall:{account}"));
    Ok(TotpEnrollment {
        uri: format!(
            "otpauth://totp/{label}?secret={secret_base32}&issuer=blastwall&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_S}"
        ),
        secret_base32,
    })
}

/// The time step of `code` if it is valid at `now_ms` (within the allowed skew).
pub(crate) fn totp_step_of(
    secret: &[u8],
    code: &str,
    now_ms: i64,
) -> Result<Option<i64>, ControlError> {
    let totp = totp(secret)?;
    let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
    let step = TOTP_STEP_S;
    let current = now_s / step;
    // Checked one step at a time (rather than with the crate's skew) to learn which step matched.
    for candidate in [current.saturating_sub(1), current, current + 1] {
        let at = candidate * step;
        let expected = totp.generate(at);
        if subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), code.as_bytes()).into() {
            return Ok(Some(i64::try_from(candidate).unwrap_or(i64::MAX)));
        }
    }
    Ok(None)
}

/// The code an authenticator shows at `now_ms` (for enrollment checks and tests).
pub fn totp_code(secret_base32: &str, now_ms: i64) -> Option<String> {
    let secret = totp_rs::Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .ok()?;
    let totp = totp(&secret).ok()?;
    Some(totp.generate(u64::try_from(now_ms / 1000).unwrap_or(0)))
}

pub(crate) fn hash_password(password: &str) -> Result<String, ControlError> {
    let salt = SaltString::encode_b64(&random::<16>()?).map_err(|e| ControlError::Credential {
        detail: format!("cannot encode a password salt ({e})"),
    })?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ControlError::Credential {
            detail: format!("cannot hash the password ({e})"),
        })
}

pub(crate) fn password_matches(password: &str, stored: &str) -> Result<bool, ControlError> {
    let parsed = PasswordHash::new(stored).map_err(|e| ControlError::Credential {
        detail: format!("the stored password hash is unreadable ({e})"),
    })?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
