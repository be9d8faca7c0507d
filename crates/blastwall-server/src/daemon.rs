//! [`Daemon`]: what `blastwall serve` holds and the one question every front door asks it,
//! [`Daemon::decide`].
//!
//! A decision is made in this order, and each step can only make it stricter:
//!
//! 1. The engine classifies the action and applies the local rules and environment floors
//!    (the same verdict `blastwall check` gives). Its deny is final.
//! 2. The Cedar policy in force is asked about every action of the verdict, with the agent's
//!    identity and scope, and no approval yet.
//! 3. If either says `ask`, or policy denies but would allow the action once humans approve it
//!    (policy is asked again as if every human had approved), the action goes to the approval
//!    wall ([`Control::gate`]): it waits on a request bound to its digest, or, if humans approved
//!    exactly this action, it passes once, after policy is asked a third time with the real
//!    approvals (so an approval that policy finds insufficient, say no admin among the
//!    approvers, does not pass).
//! 4. The decision is recorded in the audit log before it is returned; an allow of a change that
//!    cannot be recorded becomes an ask.
//!
//! This module must never let an error read as allow, never trust the agent's own account of who
//! it is (the token decides), and never open an approval request for an action policy denies
//! outright.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use blastwall_audit::{NewRecord, after_recording};
use blastwall_control::{
    Agent, ApprovalSubject, AuditEvent, Choice, Clock, Control, ControlError, EventKind, EventSink,
    Gate, Human, Principal, Request as ApprovalRequest, RequestOptions, Role, SinkError,
    SqliteStore, State, Store, TotpEnrollment,
};
use blastwall_core::{Decision, Door, Verdict};
use blastwall_engine::Engine;
use blastwall_policy::{
    AgentIdentity, Approval, MAX_APPROVALS, Outcome, PolicyError, PolicyStore, ReloadReport,
    Request as PolicyRequest, Situation, TimeOfWeek, Who,
};

use crate::api::{
    ApprovalView, CallbackVote, ClassifierView, CreatedAgent, CreatedHuman, DecideBody, Decided,
    Health, NewAgent, NewHuman, PolicyView, WhoAmI,
};
use crate::error::ApiError;
use crate::notify::{Notifier, Webhook};
use crate::sink::AuditTrail;

/// How the daemon is set up.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How long an approval request lives.
    pub approval_ttl: Duration,
    /// The operator's offset from UTC, for policies about local hours.
    pub utc_offset_secs: i32,
    /// The shared secret of signed vote callbacks; `None` refuses every callback.
    pub callback_secret: Option<Vec<u8>>,
    /// Where new approval requests are announced.
    pub webhooks: Vec<Webhook>,
    /// The Cedar policy file, watched and reloaded; `None` for the embedded default policy.
    pub policy_file: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            approval_ttl: blastwall_control::DEFAULT_TTL,
            utc_offset_secs: 0,
            callback_secret: None,
            webhooks: Vec::new(),
            policy_file: None,
        }
    }
}

/// Sends every event to the audit log, and the ids of new requests to the notifier.
struct Sinks {
    audit: Arc<AuditTrail>,
    created: mpsc::Sender<String>,
}

impl EventSink for Sinks {
    fn record(&self, event: &AuditEvent) -> Result<(), SinkError> {
        self.audit.record(event)?;
        if let EventKind::RequestCreated { request, .. } = &event.kind {
            // A notifier that is gone costs the humans a message, not the agent a decision.
            let _ = self.created.send(request.clone());
        }
        Ok(())
    }
}

/// The control plane's state and operations.
pub struct Daemon {
    engine: Engine,
    control: Control<SqliteStore>,
    policy: PolicyStore,
    audit: Arc<AuditTrail>,
    clock: Arc<dyn Clock>,
    settings: Settings,
}

impl Daemon {
    /// A daemon over `store` and `audit`, with its notifier thread started.
    pub fn start(
        engine: Engine,
        store: SqliteStore,
        audit: AuditTrail,
        policy: PolicyStore,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> Arc<Daemon> {
        let audit = Arc::new(audit);
        let (created, announced) = mpsc::channel();
        let sinks = Sinks {
            audit: audit.clone(),
            created,
        };
        let control =
            Control::new(store, clock.clone(), sinks).with_settings(blastwall_control::Settings {
                default_ttl: settings.approval_ttl,
            });
        let daemon = Arc::new(Daemon {
            engine,
            control,
            policy,
            audit,
            clock,
            settings,
        });
        Notifier::start(daemon.clone(), announced);
        daemon
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Creates the first admin when there is no human yet; `None` when one exists.
    pub fn bootstrap(&self) -> Result<Option<(Human, String)>, ControlError> {
        match self.control.bootstrap_admin("admin") {
            Ok(created) => Ok(Some(created)),
            Err(ControlError::AlreadyBootstrapped) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn authenticate(&self, token: &str) -> Result<Principal, ApiError> {
        Ok(self.control.authenticate(token)?)
    }

    /// A human's password login, with a TOTP code when they enrolled one.
    pub fn login(
        &self,
        name: &str,
        password: &str,
        totp: Option<&str>,
    ) -> Result<Principal, ApiError> {
        Ok(self.control.login(name, password, totp)?)
    }

    /// Sets a human's password (themselves or an admin).
    pub fn set_password(
        &self,
        who: &Principal,
        human_id: &str,
        password: &str,
    ) -> Result<(), ApiError> {
        Ok(self.control.set_password(who, human_id, password)?)
    }

    /// Enrolls a human in TOTP (themselves or an admin); the enrollment is shown once.
    pub fn enable_totp(&self, who: &Principal, human_id: &str) -> Result<TotpEnrollment, ApiError> {
        Ok(self.control.enable_totp(who, human_id)?)
    }

    pub fn health(&self) -> Health {
        let set = self.policy.current();
        Health {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            policy_file: set.file().to_owned(),
            policies: set.len(),
            pending_approvals: self
                .control
                .store()
                .requests(Some(State::Pending))
                .map_or(0, |r| r.len()),
        }
    }

    pub fn whoami(&self, who: &Principal) -> WhoAmI {
        match who {
            Principal::Agent(a) => WhoAmI {
                id: a.id.clone(),
                name: a.name.clone(),
                kind: "agent".into(),
                roles: Vec::new(),
                environments: a.environments.clone(),
            },
            Principal::Human(h) => WhoAmI {
                id: h.id.clone(),
                name: h.name.clone(),
                kind: "human".into(),
                roles: h.roles.iter().map(|r| r.as_str().to_owned()).collect(),
                environments: Vec::new(),
            },
        }
    }

    /// Reloads the policy file; a broken file leaves the policy in force untouched.
    pub fn reload_policy(&self) -> Result<Option<ReloadReport>, PolicyError> {
        match &self.settings.policy_file {
            Some(path) => self.policy.reload_from(path).map(Some),
            None => Ok(None),
        }
    }

    pub fn policy_ids(&self) -> (String, Vec<String>) {
        let set = self.policy.current();
        (set.file().to_owned(), set.ids().to_vec())
    }

    // ----- the decision --------------------------------------------------------------------------

    /// Decides one action of an authenticated agent. See the module documentation for the steps.
    pub fn decide(&self, who: &Principal, body: DecideBody) -> Result<Decided, ApiError> {
        let Principal::Agent(agent) = who else {
            return Err(ApiError::forbidden(
                "human-decide",
                "decisions are asked for by agents with their own token; a human judges an action with `blastwall check` or `blastwall explain`",
            ));
        };
        let door_name = body.door.unwrap_or_else(|| "api".into());
        let mut action = body.action;
        // The token says who acts, whatever the action claims.
        action.agent = Some(agent.name.clone());
        let session = action.session.clone();
        let door = Door::Hook(door_name);
        let (verdict, input) = self
            .engine
            .check(&action, door.clone())
            .map_err(|e| ApiError::bad_request("invalid-action", e.to_string()))?;

        let who_policy = Who::Agent(AgentIdentity {
            name: agent.name.clone(),
            environments: agent.environments.clone(),
            groups: agent.scopes.clone(),
        });
        let situation = Situation {
            time: TimeOfWeek::from_unix(self.clock.now_ms() / 1000, self.settings.utc_offset_secs),
            session: session.clone(),
            approval: Approval::NONE,
            snapshot_possible: false,
        };
        let set = self.policy.current();
        let ask_policy = |approval: Approval| {
            let situation = Situation {
                approval,
                ..situation.clone()
            };
            let requests = PolicyRequest::from_verdict(&verdict, &who_policy, &situation);
            if requests.is_empty() {
                // Nothing was classified (an empty command): the classifier's verdict stands.
                return Outcome {
                    decision: verdict.decision,
                    required_approvals: 0,
                    snapshot_first: false,
                    reasons: vec![verdict.rule.clone()],
                    messages: vec![verdict.reason.clone()],
                };
            }
            set.evaluate_all(&requests)
        };
        let first = ask_policy(Approval::NONE);

        let mut decided = Decided {
            decision: verdict.decision.max(first.decision),
            effect: verdict.effect,
            rule: String::new(),
            reason: String::new(),
            environment: verdict.environment.0.clone(),
            agent: agent.name.clone(),
            classifier: ClassifierView {
                decision: verdict.decision,
                rule: verdict.rule.clone(),
                reason: verdict.reason.clone(),
            },
            policy: policy_view(&first),
            approval: None,
            audit_seq: None,
        };

        // What stands without the approval wall, or the quorum to ask the wall for.
        let quorum = if verdict.decision == Decision::Deny {
            settle(&mut decided, Decision::Deny, &verdict.rule, &verdict.reason);
            None
        } else if first.decision == Decision::Deny {
            let approved = ask_policy(Approval::approved(MAX_APPROVALS, MAX_APPROVALS));
            if approved.decision == Decision::Allow {
                Some(approved.required_approvals.max(1))
            } else {
                settle(
                    &mut decided,
                    Decision::Deny,
                    first_reason(&first),
                    &first.messages.join("; "),
                );
                None
            }
        } else if decided.decision == Decision::Ask {
            Some(first.required_approvals.max(1))
        } else {
            let (rule, reason) = allow_reason(&verdict, &first);
            settle(&mut decided, Decision::Allow, &rule, &reason);
            None
        };

        if let Some(quorum) = quorum {
            self.through_the_wall(
                &mut decided,
                agent,
                session.clone(),
                &verdict,
                &first,
                &input,
                quorum,
                &ask_policy,
            );
        }

        // Record before answering; an unrecorded change is not allowed to run.
        let record = NewRecord {
            time_ms: self.clock.now_ms(),
            door,
            agent: Some(agent.name.clone()),
            session,
            environment: decided.environment.clone(),
            cwd: action.cwd.clone(),
            input,
            decision: decided.decision,
            effect: decided.effect,
            rule: decided.rule.clone(),
            reason: decided.reason.clone(),
        };
        let recorded = self.audit.append(&record);
        let (decision, why) = after_recording(decided.decision, decided.effect, &recorded);
        match (&recorded, why) {
            (Ok(receipt), _) => decided.audit_seq = Some(receipt.seq),
            (Err(_), Some(why)) => {
                settle(&mut decided, decision, "audit.unavailable", &why);
            }
            (Err(e), None) => {
                tracing::error!(error = %e, "a decision could not be recorded in the audit log")
            }
        }
        Ok(decided)
    }

    /// Step 3 of [`Daemon::decide`]: wait on, or use, the approval of exactly this action.
    #[expect(
        clippy::too_many_arguments,
        reason = "one step of one decision, kept apart for reading"
    )]
    fn through_the_wall(
        &self,
        decided: &mut Decided,
        agent: &Agent,
        session: Option<String>,
        verdict: &Verdict,
        first: &Outcome,
        input: &str,
        quorum: u32,
        ask_policy: &dyn Fn(Approval) -> Outcome,
    ) {
        let settled_by = verdict
            .actions
            .iter()
            .find(|j| j.action.finding.rule == verdict.rule && j.decision == verdict.decision)
            .or_else(|| {
                verdict
                    .actions
                    .iter()
                    .max_by_key(|j| (j.decision, j.action.effect))
            });
        let Some(judged) = settled_by else {
            settle(
                decided,
                Decision::Deny,
                "approval.nothing-to-approve",
                "no action was classified, so there is nothing a human could approve; the action is refused",
            );
            return;
        };
        let subject = ApprovalSubject::for_action(
            agent.id.clone(),
            session,
            &judged.action,
            input.to_owned(),
        );
        let why = if first.decision == Decision::Allow {
            verdict.reason.clone()
        } else {
            first.messages.join("; ")
        };
        let options = RequestOptions::for_subject(&subject, why.clone()).quorum(quorum);
        match self.control.gate(subject, options) {
            Ok(Gate::Wait(request)) => {
                let view = ApprovalView::of(&request);
                let how = match &request.confirmation {
                    Some(_) => format!(
                        "a human approves it with `{}` (typing the resource name)",
                        view.approve_command
                    ),
                    None => format!("a human approves it with `{}`", view.approve_command),
                };
                let reason = format!(
                    "{why}. This exact action waits for approval {} ({} of {} approvals; expires in {} min): {how}, then the agent retries the identical action, which runs once",
                    request.id,
                    request.approvals(),
                    request.quorum,
                    (request.expires_ms - self.clock.now_ms()).max(0) / 60_000,
                );
                settle(decided, Decision::Ask, "approval.pending", &reason);
                decided.approval = Some(view);
            }
            Ok(Gate::Refused(request)) => {
                let denier = request
                    .votes
                    .iter()
                    .find(|v| v.choice == Choice::Deny)
                    .map_or("a human", |v| v.human_name.as_str())
                    .to_owned();
                let reason = format!(
                    "{denier} denied approval request {} for this exact action; it must not run",
                    request.id
                );
                settle(decided, Decision::Deny, "approval.denied", &reason);
                decided.approval = Some(ApprovalView::of(&request));
            }
            Ok(Gate::Pass(approval)) => {
                let admins = approval
                    .approvers
                    .iter()
                    .filter(|name| self.is_admin(name))
                    .count();
                let count = approval.approvers.len();
                let after = ask_policy(Approval::approved(
                    u32::try_from(count).unwrap_or(u32::MAX),
                    u32::try_from(admins).unwrap_or(u32::MAX),
                ));
                decided.policy = policy_view(&after);
                if after.decision == Decision::Allow {
                    let snapshot = if after.snapshot_first {
                        " Policy asks for a snapshot first, but this control plane has no snapshot vault yet: none was taken."
                    } else {
                        ""
                    };
                    let reason = format!(
                        "approved by {} (request {}); this approval is now used: the same action again needs a new one.{snapshot}",
                        approval.approvers.join(", "),
                        approval.request_id
                    );
                    settle(decided, Decision::Allow, "approval.used", &reason);
                } else {
                    let reason = format!(
                        "request {} was approved by {}, but policy still refuses: {}",
                        approval.request_id,
                        approval.approvers.join(", "),
                        after.messages.join("; ")
                    );
                    settle(decided, Decision::Deny, first_reason(&after), &reason);
                }
                if let Ok(Some(r)) = self.control.store().request(&approval.request_id) {
                    decided.approval = Some(ApprovalView::of(&r));
                }
            }
            Err(e) => {
                let reason = format!("the approval wall failed, so the action is refused: {e}");
                settle(decided, Decision::Deny, "approval.unavailable", &reason);
            }
        }
    }

    fn is_admin(&self, name: &str) -> bool {
        matches!(
            self.control.store().human_by_name(name),
            Ok(Some(h)) if h.public().has_role(Role::Admin)
        )
    }

    // ----- approvals -----------------------------------------------------------------------------

    pub fn approvals(
        &self,
        who: &Principal,
        state: Option<&str>,
    ) -> Result<Vec<ApprovalView>, ApiError> {
        let state = match state {
            None | Some("all") => None,
            Some(s) => Some(State::parse(s).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid-state",
                    format!(
                        "unknown state {s:?}: use pending, approved, denied, used, expired or all"
                    ),
                )
            })?),
        };
        let requests = self.control.requests(who, state)?;
        Ok(requests.iter().map(ApprovalView::of).collect())
    }

    pub fn approval(&self, who: &Principal, id: &str) -> Result<ApprovalView, ApiError> {
        Ok(ApprovalView::of(&self.control.request(who, id)?))
    }

    pub fn vote(
        &self,
        who: &Principal,
        id: &str,
        choice: Choice,
        confirm: Option<&str>,
    ) -> Result<ApprovalView, ApiError> {
        let request = self.control.vote(id, who, choice, confirm)?;
        Ok(ApprovalView::of(&request))
    }

    /// A vote relayed by a chat integration: believed only if its signature checks out, and cast
    /// for the named human, who must exist, be live and hold a voting role.
    pub fn callback_vote(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<ApprovalView, ApiError> {
        let Some(secret) = &self.settings.callback_secret else {
            return Err(ApiError::forbidden(
                "callbacks-disabled",
                "vote callbacks are off: set BLASTWALL_CALLBACK_SECRET when starting `blastwall serve` to accept signed callbacks",
            ));
        };
        self.control
            .check_callback(body, signature.unwrap_or(""), secret)?;
        let vote: CallbackVote = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(
                "invalid-json",
                format!("the callback body is not a vote: {e}"),
            )
        })?;
        let choice = Choice::parse(&vote.choice).ok_or_else(|| {
            ApiError::bad_request(
                "invalid-choice",
                format!("unknown choice {:?}: use approve or deny", vote.choice),
            )
        })?;
        let human = self
            .control
            .store()
            .human_by_name(&vote.human)
            .map_err(ControlError::from)?
            .filter(|h| h.revoked_ms.is_none())
            .ok_or_else(|| {
                ApiError::forbidden(
                    "unknown-human",
                    format!(
                        "no live human named {:?}; the vote was not counted",
                        vote.human
                    ),
                )
            })?;
        self.vote(
            &Principal::Human(human.public()),
            &vote.request,
            choice,
            vote.confirm.as_deref(),
        )
    }

    /// Marks every request whose time is up as expired.
    pub fn expire_due(&self) {
        if let Err(e) = self.control.expire_due() {
            tracing::error!(error = %e, "expiring approval requests failed");
        }
    }

    /// A request by id, for the notifier.
    pub(crate) fn stored_request(&self, id: &str) -> Option<ApprovalRequest> {
        self.control.store().request(id).ok().flatten()
    }

    // ----- identities ----------------------------------------------------------------------------

    pub fn create_agent(&self, who: &Principal, new: NewAgent) -> Result<CreatedAgent, ApiError> {
        if new.environments.is_empty() {
            return Err(ApiError::bad_request(
                "no-environment",
                "an agent needs at least one environment it may act in (for example `--env dev`)",
            ));
        }
        let (agent, token) =
            self.control
                .create_agent(who, &new.name, new.environments, new.scopes)?;
        Ok(CreatedAgent { agent, token })
    }

    pub fn create_human(&self, who: &Principal, new: NewHuman) -> Result<CreatedHuman, ApiError> {
        let mut roles = std::collections::BTreeSet::new();
        for r in &new.roles {
            roles.insert(Role::parse(r).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid-role",
                    format!("unknown role {r:?}: use approver or admin"),
                )
            })?);
        }
        let (human, token) = self.control.create_human(who, &new.name, roles)?;
        Ok(CreatedHuman { human, token })
    }

    pub fn agents(&self, who: &Principal) -> Result<Vec<Agent>, ApiError> {
        Ok(self.control.agents(who)?)
    }

    pub fn humans(&self, who: &Principal) -> Result<Vec<Human>, ApiError> {
        Ok(self.control.humans(who)?)
    }

    pub fn revoke(&self, who: &Principal, id: &str) -> Result<(), ApiError> {
        Ok(self.control.revoke(who, id)?)
    }

    /// Refuses anyone but a live admin before a request body is even read (recorded by the
    /// control plane like its own refusals).
    pub fn require_admin(&self, who: &Principal, operation: &'static str) -> Result<(), ApiError> {
        self.control.check_admin(who, operation)?;
        Ok(())
    }
}

fn settle(decided: &mut Decided, decision: Decision, rule: &str, reason: &str) {
    decided.decision = decision;
    decided.rule = rule.to_owned();
    decided.reason = reason.to_owned();
}

fn first_reason(outcome: &Outcome) -> &str {
    outcome.reasons.first().map_or("policy", String::as_str)
}

fn allow_reason(verdict: &Verdict, outcome: &Outcome) -> (String, String) {
    if outcome.reasons.is_empty() {
        (verdict.rule.clone(), verdict.reason.clone())
    } else {
        (
            verdict.rule.clone(),
            format!(
                "{} (policy: {})",
                verdict.reason,
                outcome.reasons.join(", ")
            ),
        )
    }
}

fn policy_view(outcome: &Outcome) -> PolicyView {
    PolicyView {
        decision: outcome.decision,
        reasons: outcome.reasons.clone(),
        messages: outcome.messages.clone(),
        required_approvals: outcome.required_approvals,
        snapshot_first: outcome.snapshot_first,
    }
}
