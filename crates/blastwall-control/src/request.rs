//! Approval requests, votes and the rules that move a request from one state to the next.
//!
//! The state machine lives here, as pure functions over a [`Request`] and a time, so that every
//! store applies the same rules inside its own transaction. This module must never read a clock,
//! touch a store or let a request leave a final state (denied, expired, used).

use std::fmt;
use std::time::Duration;

use blastwall_core::Effect;
use serde::{Deserialize, Serialize};

use crate::subject::{ActionDigest, ApprovalSubject};

/// How long a request waits for its votes and its one use, unless configured otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Waiting for votes.
    Pending,
    /// Quorum reached; the identical action may pass once.
    Approved,
    /// A human said no. Final.
    Denied,
    /// Its time ran out before it was used. Final.
    Expired,
    /// The approved action passed. Final.
    Used,
}

impl State {
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Approved => "approved",
            State::Denied => "denied",
            State::Expired => "expired",
            State::Used => "used",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        match s {
            "pending" => Some(State::Pending),
            "approved" => Some(State::Approved),
            "denied" => Some(State::Denied),
            "expired" => Some(State::Expired),
            "used" => Some(State::Used),
            _ => None,
        }
    }

    /// Whether nothing can change this request any more.
    pub const fn is_final(self) -> bool {
        matches!(self, State::Denied | State::Expired | State::Used)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A human's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    Approve,
    Deny,
}

impl Choice {
    pub const fn as_str(self) -> &'static str {
        match self {
            Choice::Approve => "approve",
            Choice::Deny => "deny",
        }
    }

    pub fn parse(s: &str) -> Option<Choice> {
        match s {
            "approve" => Some(Choice::Approve),
            "deny" => Some(Choice::Deny),
            _ => None,
        }
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One human's counted vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vote {
    pub human_id: String,
    pub human_name: String,
    pub choice: Choice,
    pub time_ms: i64,
}

/// How a new request is set up. Policy decides; [`RequestOptions::for_subject`] gives the
/// defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestOptions {
    /// Distinct humans who must approve (at least 1).
    pub quorum: u32,
    /// The text an approving human must type exactly (the resource name for destructive actions);
    /// `None` when no typed confirmation is needed.
    pub confirmation: Option<String>,
    /// How long the request lives; `None` for the control plane's default.
    pub ttl: Option<Duration>,
    /// Why the action waits (the verdict's reason), shown to the humans.
    pub reason: String,
}

impl RequestOptions {
    /// Quorum 1, the default lifetime, and typed confirmation of the resource name for destructive
    /// and irreversible actions.
    pub fn for_subject(subject: &ApprovalSubject, reason: impl Into<String>) -> Self {
        RequestOptions {
            quorum: 1,
            confirmation: (subject.effect >= Effect::Destructive)
                .then(|| subject.resource.name.clone()),
            ttl: None,
            reason: reason.into(),
        }
    }

    pub fn quorum(mut self, quorum: u32) -> Self {
        self.quorum = quorum;
        self
    }

    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    pub fn confirmation(mut self, text: Option<String>) -> Self {
        self.confirmation = text;
        self
    }
}

/// An approval request: one exact action waiting for humans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// `apr_` followed by 24 hex digits.
    pub id: String,
    pub subject: ApprovalSubject,
    /// `subject.digest()`, stored so that the identical action finds this request.
    pub digest: ActionDigest,
    pub reason: String,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub quorum: u32,
    pub confirmation: Option<String>,
    /// In the order they were cast.
    pub votes: Vec<Vote>,
    pub state: State,
    /// When it reached its current state, once it left `pending`.
    pub settled_ms: Option<i64>,
}

impl Request {
    /// Approving votes so far.
    pub fn approvals(&self) -> usize {
        self.votes
            .iter()
            .filter(|v| v.choice == Choice::Approve)
            .count()
    }

    pub fn is_expired_at(&self, now_ms: i64) -> bool {
        now_ms >= self.expires_ms
    }

    /// Marks a pending or approved request expired when its time is up. Returns whether it
    /// changed.
    pub(crate) fn expire_if_due(&mut self, now_ms: i64) -> bool {
        if matches!(self.state, State::Pending | State::Approved) && self.is_expired_at(now_ms) {
            self.state = State::Expired;
            self.settled_ms = Some(now_ms);
            return true;
        }
        false
    }

    /// Adds a vote that has passed every check, and settles the state it leads to: one deny
    /// denies, `quorum` approvals approve.
    pub(crate) fn count(&mut self, vote: Vote) {
        let now_ms = vote.time_ms;
        let choice = vote.choice;
        self.votes.push(vote);
        match choice {
            Choice::Deny => {
                self.state = State::Denied;
                self.settled_ms = Some(now_ms);
            }
            Choice::Approve => {
                if self.state == State::Pending
                    && self.approvals() >= usize::try_from(self.quorum).unwrap_or(usize::MAX)
                {
                    self.state = State::Approved;
                    self.settled_ms = Some(now_ms);
                }
            }
        }
    }
}

/// Proof that an approved action passed: returned once per approved request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub request_id: String,
    pub digest: ActionDigest,
    /// The names of the humans who approved.
    pub approvers: Vec<String>,
    pub used_ms: i64,
}

impl Approval {
    pub(crate) fn of(request: &Request, used_ms: i64) -> Approval {
        Approval {
            request_id: request.id.clone(),
            digest: request.digest,
            approvers: request
                .votes
                .iter()
                .filter(|v| v.choice == Choice::Approve)
                .map(|v| v.human_name.clone())
                .collect(),
            used_ms,
        }
    }
}
