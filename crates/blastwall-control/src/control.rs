//! [`Control`]: the operations of the control plane, over a [`Store`], a [`Clock`] and an
//! [`EventSink`].
//!
//! This is where identities are checked and the approval wall is enforced: only humans with a
//! role vote, one human counts once, typed confirmations must match, an approval passes one
//! identical action once and only before it expires. Every operation reports what it did, or why
//! it refused, as an [`AuditEvent`]. This module must never let an agent principal vote or
//! administer, never accept an approval for a digest other than the one approved, and never read
//! the time except through the clock.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, duration_ms};
use crate::error::ControlError;
use crate::event::{Attempt, AuditEvent, EventKind, EventSink};
use crate::identity::{
    Agent, Human, Principal, Role, StoredAgent, StoredHuman, TotpEnrollment, hash_password,
    new_totp_secret, password_matches, totp_enrollment, totp_step_of,
};
use crate::request::{Approval, Choice, DEFAULT_TTL, Request, RequestOptions, State, Vote};
use crate::secret::{new_id, new_token, token_hash, token_id, token_matches};
use crate::store::{Store, StoreError};
use crate::subject::{ActionDigest, ApprovalSubject};

/// The largest quorum a request may ask for.
pub const MAX_QUORUM: u32 = 16;

/// The shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 12;

/// Tunables of the control plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Lifetime of a request whose options name none.
    pub default_ttl: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            default_ttl: DEFAULT_TTL,
        }
    }
}

/// What happens to an action that policy says to ask about (see [`Control::gate`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gate {
    /// An approval for exactly this action was used up by this call: let it run, once.
    Pass(Approval),
    /// The action waits for humans on this request (new or already open).
    Wait(Request),
    /// A human denied this exact action and the request has not expired yet.
    Refused(Request),
}

/// The control plane's operations.
pub struct Control<S> {
    store: S,
    clock: Arc<dyn Clock>,
    sink: Arc<dyn EventSink>,
    settings: Settings,
}

impl<S: Store> Control<S> {
    pub fn new(store: S, clock: impl Clock + 'static, sink: impl EventSink + 'static) -> Self {
        Control {
            store,
            clock: Arc::new(clock),
            sink: Arc::new(sink),
            settings: Settings::default(),
        }
    }

    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    // ----- events -----------------------------------------------------------------------------

    /// Records what was done; an unrecorded change is reported as a failure.
    fn emit(&self, what: &'static str, kind: EventKind) -> Result<(), ControlError> {
        let event = AuditEvent {
            time_ms: self.now(),
            kind,
        };
        self.sink
            .record(&event)
            .map_err(|source| ControlError::Audit { what, source })
    }

    /// Records a refusal and hands the refusal back. A sink failure here is only logged: the
    /// caller is refused either way.
    fn reject(
        &self,
        attempt: Attempt,
        actor: Option<&Principal>,
        request: Option<&str>,
        digest: Option<ActionDigest>,
        error: ControlError,
    ) -> ControlError {
        let event = AuditEvent {
            time_ms: self.now(),
            kind: EventKind::Rejected {
                attempt,
                actor: actor.map(|p| p.id().to_owned()),
                actor_kind: actor.map(|p| p.kind().to_owned()),
                request: request.map(str::to_owned),
                digest,
                code: error.code().to_owned(),
                message: error.to_string(),
            },
        };
        if let Err(e) = self.sink.record(&event) {
            tracing::error!(error = %e, code = error.code(), "a refused attempt could not be recorded");
        }
        error
    }

    fn emit_expired(&self, expired: &[(String, State)]) -> Result<(), ControlError> {
        for (id, was) in expired {
            self.emit(
                "expiry",
                EventKind::Expired {
                    request: id.clone(),
                    was: *was,
                },
            )?;
        }
        Ok(())
    }

    // ----- identities -------------------------------------------------------------------------

    /// The current record of a human principal holding one of `roles` (any human when `roles` is
    /// empty). Agents, revoked humans and humans without the role are refused (and the refusal
    /// recorded).
    fn require_role(
        &self,
        by: &Principal,
        attempt: Attempt,
        operation: &'static str,
        roles: &[Role],
    ) -> Result<StoredHuman, ControlError> {
        let human = match by {
            Principal::Agent(agent) => {
                return Err(self.reject(
                    attempt,
                    Some(by),
                    None,
                    None,
                    ControlError::AgentForbidden {
                        agent: agent.name.clone(),
                        operation,
                    },
                ));
            }
            Principal::Human(h) => h,
        };
        // Roles and revocation are read again: the principal may have been authenticated before an
        // admin changed them.
        let current = match self.store.human(&human.id)? {
            Some(h) => h,
            None => {
                return Err(self.reject(
                    attempt,
                    Some(by),
                    None,
                    None,
                    ControlError::NoSuchPrincipal {
                        id: human.id.clone(),
                    },
                ));
            }
        };
        if current.revoked_ms.is_some() {
            return Err(self.reject(
                attempt,
                Some(by),
                None,
                None,
                ControlError::Revoked {
                    kind: "human",
                    name: current.name,
                },
            ));
        }
        if !roles.is_empty() && !roles.iter().any(|r| current.roles.contains(r)) {
            return Err(self.reject(
                attempt,
                Some(by),
                None,
                None,
                ControlError::MissingRole {
                    human: current.name,
                    operation,
                    role: roles.first().map_or("admin", |r| r.as_str()),
                },
            ));
        }
        Ok(current)
    }

    fn require_admin(
        &self,
        by: &Principal,
        operation: &'static str,
    ) -> Result<StoredHuman, ControlError> {
        self.require_role(by, Attempt::Admin, operation, &[Role::Admin])
    }

    /// The human `by` is, if they are (still) a live admin; otherwise the refusal, recorded. For
    /// callers that must refuse before doing any other work (the server, before reading a body).
    pub fn check_admin(
        &self,
        by: &Principal,
        operation: &'static str,
    ) -> Result<Human, ControlError> {
        self.require_admin(by, operation).map(|h| h.public())
    }

    /// Creates the first human, an admin, when there is no human yet. This is how a new control
    /// plane is set up, by whoever runs it on its own host; afterwards it always refuses.
    pub fn bootstrap_admin(&self, name: &str) -> Result<(Human, String), ControlError> {
        check_name("human", name)?;
        let id = new_id("hum_")?;
        let token = new_token(&id)?;
        let stored = StoredHuman {
            id,
            name: name.to_owned(),
            roles: BTreeSet::from([Role::Admin, Role::Approver]),
            created_ms: self.now(),
            revoked_ms: None,
            token_hash: token_hash(&token),
            password_hash: None,
            totp_secret: None,
            totp_last_step: None,
        };
        if !self.store.insert_first_human(&stored)? {
            return Err(self.reject(
                Attempt::Admin,
                None,
                None,
                None,
                ControlError::AlreadyBootstrapped,
            ));
        }
        let human = stored.public();
        self.emit(
            "new admin",
            EventKind::HumanCreated {
                human: human.id.clone(),
                name: human.name.clone(),
                roles: role_names(&human.roles),
                by: "bootstrap".into(),
            },
        )?;
        Ok((human, token))
    }

    /// Creates an agent allowed in `environments`. Returns its token: shown once, never stored.
    pub fn create_agent(
        &self,
        by: &Principal,
        name: &str,
        environments: Vec<String>,
        scopes: Vec<String>,
    ) -> Result<(Agent, String), ControlError> {
        let admin = self.require_admin(by, "create agents")?;
        check_name("agent", name)?;
        for env in &environments {
            check_name("environment", env)?;
        }
        let id = new_id("agt_")?;
        let token = new_token(&id)?;
        let agent = Agent {
            id,
            name: name.to_owned(),
            environments,
            scopes,
            created_ms: self.now(),
            revoked_ms: None,
        };
        self.store
            .insert_agent(&StoredAgent {
                agent: agent.clone(),
                token_hash: token_hash(&token),
            })
            .map_err(exists)?;
        self.emit(
            "new agent",
            EventKind::AgentCreated {
                agent: agent.id.clone(),
                name: agent.name.clone(),
                environments: agent.environments.clone(),
                by: admin.id,
            },
        )?;
        Ok((agent, token))
    }

    /// Creates a human with `roles`. Returns their token: shown once, never stored.
    pub fn create_human(
        &self,
        by: &Principal,
        name: &str,
        roles: BTreeSet<Role>,
    ) -> Result<(Human, String), ControlError> {
        let admin = self.require_admin(by, "create humans")?;
        check_name("human", name)?;
        let id = new_id("hum_")?;
        let token = new_token(&id)?;
        let stored = StoredHuman {
            id,
            name: name.to_owned(),
            roles,
            created_ms: self.now(),
            revoked_ms: None,
            token_hash: token_hash(&token),
            password_hash: None,
            totp_secret: None,
            totp_last_step: None,
        };
        self.store.insert_human(&stored).map_err(exists)?;
        let human = stored.public();
        self.emit(
            "new human",
            EventKind::HumanCreated {
                human: human.id.clone(),
                name: human.name.clone(),
                roles: role_names(&human.roles),
                by: admin.id,
            },
        )?;
        Ok((human, token))
    }

    /// The human `human_id` as `by` may change them: themselves, or anyone for an admin.
    fn self_or_admin(
        &self,
        by: &Principal,
        human_id: &str,
        operation: &'static str,
    ) -> Result<(StoredHuman, String), ControlError> {
        let actor = match by {
            // Anyone may manage their own credentials, whatever their roles.
            Principal::Human(h) if h.id == human_id => {
                self.require_role(by, Attempt::Admin, operation, &[])?
            }
            _ => self.require_admin(by, operation)?,
        };
        let target = self.store.human(human_id)?.ok_or_else(|| {
            self.reject(
                Attempt::Admin,
                Some(by),
                None,
                None,
                ControlError::NoSuchPrincipal {
                    id: human_id.to_owned(),
                },
            )
        })?;
        Ok((target, actor.id))
    }

    /// Sets a human's password (Argon2id). Allowed for the human themselves and for admins.
    pub fn set_password(
        &self,
        by: &Principal,
        human_id: &str,
        password: &str,
    ) -> Result<(), ControlError> {
        let (mut target, actor) = self.self_or_admin(by, human_id, "set passwords")?;
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(ControlError::WeakPassword);
        }
        target.password_hash = Some(hash_password(password)?);
        self.store.update_human(&target)?;
        self.emit(
            "password change",
            EventKind::CredentialChanged {
                human: target.id,
                what: "password".into(),
                by: actor,
            },
        )
    }

    /// Turns on TOTP for a human's password logins and returns the enrollment (shown once).
    pub fn enable_totp(
        &self,
        by: &Principal,
        human_id: &str,
    ) -> Result<TotpEnrollment, ControlError> {
        let (mut target, actor) = self.self_or_admin(by, human_id, "enable TOTP")?;
        let secret = new_totp_secret()?;
        let enrollment = totp_enrollment(&secret, &target.name)?;
        target.totp_secret = Some(secret);
        target.totp_last_step = None;
        self.store.update_human(&target)?;
        self.emit(
            "TOTP change",
            EventKind::CredentialChanged {
                human: target.id,
                what: "totp".into(),
                by: actor,
            },
        )?;
        Ok(enrollment)
    }

    /// Revokes an agent or a human: their token stops working at once.
    pub fn revoke(&self, by: &Principal, principal_id: &str) -> Result<(), ControlError> {
        let admin = self.require_admin(by, "revoke identities")?;
        let now = self.now();
        let done = if self.store.revoke_agent(principal_id, now)? {
            true
        } else if let Some(mut human) = self.store.human(principal_id)? {
            if human.revoked_ms.is_none() {
                human.revoked_ms = Some(now);
                self.store.update_human(&human)?
            } else {
                false
            }
        } else {
            false
        };
        if !done {
            return Err(self.reject(
                Attempt::Admin,
                Some(by),
                None,
                None,
                ControlError::NoSuchPrincipal {
                    id: principal_id.to_owned(),
                },
            ));
        }
        self.emit(
            "revocation",
            EventKind::Revoked {
                principal: principal_id.to_owned(),
                by: admin.id,
            },
        )
    }

    /// Every agent (admins only).
    pub fn agents(&self, by: &Principal) -> Result<Vec<Agent>, ControlError> {
        self.require_admin(by, "list agents")?;
        Ok(self.store.agents()?.into_iter().map(|a| a.agent).collect())
    }

    /// Every human (admins only).
    pub fn humans(&self, by: &Principal) -> Result<Vec<Human>, ControlError> {
        self.require_admin(by, "list humans")?;
        Ok(self
            .store
            .humans()?
            .iter()
            .map(StoredHuman::public)
            .collect())
    }

    /// The principal a token belongs to. Unknown, malformed and mismatched tokens get the same
    /// answer; revoked ones are named as such.
    pub fn authenticate(&self, token: &str) -> Result<Principal, ControlError> {
        let refuse = |e: ControlError| self.reject(Attempt::Authenticate, None, None, None, e);
        let Some(id) = token_id(token) else {
            return Err(refuse(ControlError::InvalidToken));
        };
        if let Some(stored) = self.store.agent(id)? {
            if !token_matches(token, &stored.token_hash) {
                return Err(refuse(ControlError::InvalidToken));
            }
            if stored.agent.revoked_ms.is_some() {
                return Err(refuse(ControlError::Revoked {
                    kind: "agent",
                    name: stored.agent.name,
                }));
            }
            return Ok(Principal::Agent(stored.agent));
        }
        if let Some(stored) = self.store.human(id)? {
            if !token_matches(token, &stored.token_hash) {
                return Err(refuse(ControlError::InvalidToken));
            }
            if stored.revoked_ms.is_some() {
                return Err(refuse(ControlError::Revoked {
                    kind: "human",
                    name: stored.name,
                }));
            }
            return Ok(Principal::Human(stored.public()));
        }
        Err(refuse(ControlError::InvalidToken))
    }

    /// A human's password login, with their TOTP code when TOTP is on. A code is accepted once.
    pub fn login(
        &self,
        name: &str,
        password: &str,
        totp_code: Option<&str>,
    ) -> Result<Principal, ControlError> {
        let refuse = |e: ControlError| self.reject(Attempt::Login, None, None, None, e);
        let Some(mut stored) = self.store.human_by_name(name)? else {
            return Err(refuse(ControlError::LoginFailed));
        };
        let Some(hash) = stored.password_hash.as_deref() else {
            return Err(refuse(ControlError::LoginFailed));
        };
        if !password_matches(password, hash)? {
            return Err(refuse(ControlError::LoginFailed));
        }
        if stored.revoked_ms.is_some() {
            return Err(refuse(ControlError::Revoked {
                kind: "human",
                name: stored.name,
            }));
        }
        if let Some(secret) = stored.totp_secret.clone() {
            let step = match totp_code {
                Some(code) => totp_step_of(&secret, code, self.now())?,
                None => None,
            };
            match step {
                Some(step) if stored.totp_last_step.is_none_or(|last| step > last) => {
                    stored.totp_last_step = Some(step);
                    self.store.update_human(&stored)?;
                }
                _ => return Err(refuse(ControlError::LoginFailed)),
            }
        }
        Ok(Principal::Human(stored.public()))
    }

    // ----- approvals --------------------------------------------------------------------------

    fn new_request(
        &self,
        subject: ApprovalSubject,
        options: &RequestOptions,
        now: i64,
    ) -> Result<Request, ControlError> {
        if options.quorum == 0 || options.quorum > MAX_QUORUM {
            return Err(ControlError::BadQuorum {
                quorum: options.quorum,
            });
        }
        let ttl = options.ttl.unwrap_or(self.settings.default_ttl);
        Ok(Request {
            id: new_id("apr_")?,
            digest: subject.digest(),
            subject,
            reason: options.reason.clone(),
            created_ms: now,
            expires_ms: now.saturating_add(duration_ms(ttl)),
            quorum: options.quorum,
            confirmation: options.confirmation.clone(),
            votes: Vec::new(),
            state: State::Pending,
            settled_ms: None,
        })
    }

    fn emit_created(&self, r: &Request) -> Result<(), ControlError> {
        self.emit(
            "approval request",
            EventKind::RequestCreated {
                request: r.id.clone(),
                digest: r.digest,
                agent: r.subject.agent.clone(),
                session: r.subject.session.clone(),
                environment: r.subject.environment.to_string(),
                rule: r.subject.rule.clone(),
                effect: r.subject.effect.to_string(),
                resource: r.subject.resource.name.clone(),
                quorum: r.quorum,
                confirmation_required: r.confirmation.is_some(),
                expires_ms: r.expires_ms,
            },
        )
    }

    fn emit_redeemed(&self, r: &Request, approval: &Approval) -> Result<(), ControlError> {
        self.emit(
            "use of an approval",
            EventKind::Redeemed {
                request: r.id.clone(),
                digest: r.digest,
                agent: r.subject.agent.clone(),
                session: r.subject.session.clone(),
                approvers: approval.approvers.clone(),
            },
        )
    }

    /// Opens a request for `subject`, or returns the open (pending or approved, unexpired) one
    /// with the same digest, so that an agent retrying does not flood the humans.
    pub fn request_approval(
        &self,
        subject: ApprovalSubject,
        options: RequestOptions,
    ) -> Result<Request, ControlError> {
        let now = self.now();
        let digest = subject.digest();
        let fresh = self.new_request(subject, &options, now)?;
        let mut expired = Vec::new();
        let mut chosen: Option<(Request, bool)> = None;
        self.store.update_digest(&digest, &mut |requests| {
            expired = expire_all(requests, now);
            chosen = match requests
                .iter()
                .rev()
                .find(|r| matches!(r.state, State::Pending | State::Approved))
            {
                Some(open) => Some((open.clone(), false)),
                None => {
                    requests.push(fresh.clone());
                    Some((fresh.clone(), true))
                }
            };
            Ok(())
        })?;
        self.emit_expired(&expired)?;
        let (request, created) = chosen.ok_or_else(|| {
            ControlError::Store(StoreError::Corrupt {
                detail: "the store did not run the request update".into(),
            })
        })?;
        if created {
            self.emit_created(&request)?;
        }
        Ok(request)
    }

    /// The whole `ask` path for one action, in one transaction: use an approval of exactly this
    /// action if there is one, else wait on the open request (opening it if needed), unless a
    /// human denied this exact action and that request is still live.
    pub fn gate(
        &self,
        subject: ApprovalSubject,
        options: RequestOptions,
    ) -> Result<Gate, ControlError> {
        let now = self.now();
        let digest = subject.digest();
        let fresh = self.new_request(subject, &options, now)?;
        let mut expired = Vec::new();
        let mut gate: Option<(Gate, bool)> = None;
        self.store.update_digest(&digest, &mut |requests| {
            expired = expire_all(requests, now);
            gate = Some(
                if let Some(r) = requests.iter_mut().find(|r| r.state == State::Approved) {
                    r.state = State::Used;
                    r.settled_ms = Some(now);
                    (Gate::Pass(Approval::of(r, now)), false)
                } else if let Some(r) = requests.iter().rev().find(|r| r.state == State::Pending) {
                    (Gate::Wait(r.clone()), false)
                } else if let Some(r) = requests
                    .iter()
                    .rev()
                    .find(|r| r.state == State::Denied && !r.is_expired_at(now))
                {
                    (Gate::Refused(r.clone()), false)
                } else {
                    requests.push(fresh.clone());
                    (Gate::Wait(fresh.clone()), true)
                },
            );
            Ok(())
        })?;
        self.emit_expired(&expired)?;
        let (gate, created) = gate.ok_or_else(|| {
            ControlError::Store(StoreError::Corrupt {
                detail: "the store did not run the gate update".into(),
            })
        })?;
        match &gate {
            Gate::Pass(approval) => {
                let used = self.store.request(&approval.request_id)?.ok_or_else(|| {
                    ControlError::NoSuchRequest {
                        id: approval.request_id.clone(),
                    }
                })?;
                self.emit_redeemed(&used, approval)?;
            }
            Gate::Wait(r) if created => self.emit_created(r)?,
            Gate::Wait(_) | Gate::Refused(_) => {}
        }
        Ok(gate)
    }

    /// A human's vote on a request. Refused for agents, for humans without the approver or admin
    /// role, for a second vote by the same human, for a missing or wrong typed confirmation on an
    /// approval, and on requests that are denied, expired or used (or already approved, for an
    /// approving vote). A deny on an approved, unused request withdraws the approval.
    pub fn vote(
        &self,
        request_id: &str,
        voter: &Principal,
        choice: Choice,
        typed_confirmation: Option<&str>,
    ) -> Result<Request, ControlError> {
        let human = self.require_role(
            voter,
            Attempt::Vote,
            "vote on approval requests",
            &[Role::Approver, Role::Admin],
        )?;
        let now = self.now();
        let mut expired = None;
        let result = self.store.update_request(request_id, &mut |r| {
            let was = r.state;
            if r.expire_if_due(now) {
                expired = Some(was);
                return Ok(());
            }
            let open = matches!(
                (r.state, choice),
                (State::Pending, _) | (State::Approved, Choice::Deny)
            );
            if !open {
                return Err(ControlError::NotOpen {
                    id: r.id.clone(),
                    state: r.state,
                });
            }
            if r.votes.iter().any(|v| v.human_id == human.id) {
                return Err(ControlError::AlreadyVoted {
                    id: r.id.clone(),
                    human: human.name.clone(),
                    approvals: r.approvals(),
                    quorum: r.quorum,
                });
            }
            if choice == Choice::Approve
                && let Some(expected) = &r.confirmation
            {
                match typed_confirmation {
                    None => {
                        return Err(ControlError::ConfirmationRequired {
                            id: r.id.clone(),
                            expected: expected.clone(),
                        });
                    }
                    Some(typed) if typed != expected => {
                        return Err(ControlError::ConfirmationMismatch {
                            id: r.id.clone(),
                            expected: expected.clone(),
                        });
                    }
                    Some(_) => {}
                }
            }
            r.count(Vote {
                human_id: human.id.clone(),
                human_name: human.name.clone(),
                choice,
                time_ms: now,
            });
            Ok(())
        });
        let rejected =
            |e: ControlError| self.reject(Attempt::Vote, Some(voter), Some(request_id), None, e);
        let request = match result {
            Ok(Some(r)) => r,
            Ok(None) => {
                return Err(rejected(ControlError::NoSuchRequest {
                    id: request_id.to_owned(),
                }));
            }
            Err(e @ ControlError::Store(_)) => return Err(e),
            Err(e) => return Err(rejected(e)),
        };
        if let Some(was) = expired {
            self.emit_expired(&[(request.id.clone(), was)])?;
            return Err(rejected(ControlError::Expired { id: request.id }));
        }
        self.emit(
            "vote",
            EventKind::VoteCast {
                request: request.id.clone(),
                human: human.id,
                choice,
                approvals: request.approvals(),
                quorum: request.quorum,
                state: request.state,
            },
        )?;
        Ok(request)
    }

    /// Uses the approval of exactly this action, once: the approved, unexpired, unused request
    /// with this digest (and this agent and session) becomes `used` in the same transaction that
    /// finds it, so two concurrent calls cannot both succeed.
    pub fn redeem(
        &self,
        digest: &ActionDigest,
        agent: &str,
        session: Option<&str>,
    ) -> Result<Approval, ControlError> {
        let now = self.now();
        let mut expired = Vec::new();
        let mut outcome: Option<Result<(Request, Approval), ControlError>> = None;
        self.store.update_digest(digest, &mut |requests| {
            expired = expire_all(requests, now);
            let mine =
                |r: &Request| r.subject.agent == agent && r.subject.session.as_deref() == session;
            outcome = Some(
                if let Some(r) = requests
                    .iter_mut()
                    .find(|r| r.state == State::Approved && mine(r))
                {
                    r.state = State::Used;
                    r.settled_ms = Some(now);
                    Ok((r.clone(), Approval::of(r, now)))
                } else if let Some(r) = requests
                    .iter()
                    .rev()
                    .find(|r| r.state == State::Pending && mine(r))
                {
                    Err(ControlError::StillPending {
                        id: r.id.clone(),
                        approvals: r.approvals(),
                        quorum: r.quorum,
                    })
                } else if let Some(r) = requests
                    .iter()
                    .rev()
                    .find(|r| r.state == State::Denied && !r.is_expired_at(now) && mine(r))
                {
                    Err(ControlError::RequestDenied { id: r.id.clone() })
                } else if let Some((id, _)) = expired.last() {
                    Err(ControlError::Expired { id: id.clone() })
                } else {
                    Err(ControlError::NoApproval {
                        digest: digest.to_hex(),
                    })
                },
            );
            Ok(())
        })?;
        self.emit_expired(&expired)?;
        let outcome = outcome.ok_or_else(|| {
            ControlError::Store(StoreError::Corrupt {
                detail: "the store did not run the redemption".into(),
            })
        })?;
        match outcome {
            Ok((request, approval)) => {
                self.emit_redeemed(&request, &approval)?;
                Ok(approval)
            }
            Err(e) => {
                let request = match &e {
                    ControlError::StillPending { id, .. }
                    | ControlError::RequestDenied { id }
                    | ControlError::Expired { id } => Some(id.clone()),
                    _ => None,
                };
                let event = AuditEvent {
                    time_ms: now,
                    kind: EventKind::Rejected {
                        attempt: Attempt::Redeem,
                        actor: Some(agent.to_owned()),
                        actor_kind: Some("agent".into()),
                        request,
                        digest: Some(*digest),
                        code: e.code().to_owned(),
                        message: e.to_string(),
                    },
                };
                if let Err(sink) = self.sink.record(&event) {
                    tracing::error!(error = %sink, "a refused redemption could not be recorded");
                }
                Err(e)
            }
        }
    }

    /// One request. Humans see every request; an agent only its own.
    pub fn request(&self, by: &Principal, id: &str) -> Result<Request, ControlError> {
        let found = self.store.request(id)?;
        match (by, found) {
            (Principal::Human(_), Some(r)) => {
                self.require_role(
                    by,
                    Attempt::Read,
                    "read approval requests",
                    &[Role::Approver, Role::Admin],
                )?;
                Ok(r)
            }
            (Principal::Agent(a), Some(r)) if r.subject.agent == a.id => Ok(r),
            _ => Err(self.reject(
                Attempt::Read,
                Some(by),
                Some(id),
                None,
                ControlError::NoSuchRequest { id: id.to_owned() },
            )),
        }
    }

    /// Requests, oldest first, optionally only those in `state` (approvers and admins only).
    /// Requests whose time is up are marked expired first.
    pub fn requests(
        &self,
        by: &Principal,
        state: Option<State>,
    ) -> Result<Vec<Request>, ControlError> {
        self.require_role(
            by,
            Attempt::Read,
            "list approval requests",
            &[Role::Approver, Role::Admin],
        )?;
        self.expire_due()?;
        Ok(self.store.requests(state)?)
    }

    /// Checks a signed webhook callback before anything in it is believed; a bad signature is
    /// refused and recorded.
    pub fn check_callback(
        &self,
        body: &[u8],
        signature_header: &str,
        secret: &[u8],
    ) -> Result<(), ControlError> {
        crate::webhook::verify_signature(body, signature_header, secret)
            .map_err(|e| self.reject(Attempt::Callback, None, None, None, e))
    }

    /// Marks every pending or approved request whose time is up as expired, and reports each.
    /// The server runs this periodically; votes and redemptions also expire what they touch.
    pub fn expire_due(&self) -> Result<Vec<Request>, ControlError> {
        let now = self.now();
        let mut done = Vec::new();
        let mut live = self.store.requests(Some(State::Pending))?;
        live.extend(self.store.requests(Some(State::Approved))?);
        for candidate in live.into_iter().filter(|r| r.is_expired_at(now)) {
            let mut was = None;
            let updated = self.store.update_request(&candidate.id, &mut |r| {
                let before = r.state;
                if r.expire_if_due(now) {
                    was = Some(before);
                }
                Ok(())
            })?;
            if let (Some(was), Some(r)) = (was, updated) {
                self.emit_expired(&[(r.id.clone(), was)])?;
                done.push(r);
            }
        }
        Ok(done)
    }
}

/// Expires every request of `requests` whose time is up; returns their ids and former states.
fn expire_all(requests: &mut [Request], now: i64) -> Vec<(String, State)> {
    let mut expired = Vec::new();
    for r in requests.iter_mut() {
        let was = r.state;
        if r.expire_if_due(now) {
            expired.push((r.id.clone(), was));
        }
    }
    expired
}

fn role_names(roles: &BTreeSet<Role>) -> Vec<String> {
    roles.iter().map(|r| r.as_str().to_owned()).collect()
}

fn exists(e: StoreError) -> ControlError {
    match e {
        StoreError::Conflict { what, name } => ControlError::Exists { what, name },
        other => other.into(),
    }
}

/// Names of agents, humans and environments: short, printable, safe in a shell word and a URL.
fn check_name(what: &'static str, name: &str) -> Result<(), ControlError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(ControlError::InvalidName {
            what,
            name: name.to_owned(),
        })
    }
}
