//! The hook door when a control plane is configured: every attempt is decided by
//! `blastwall serve` (`POST /v1/decide` with the agent's token), which also records it.
//!
//! When the daemon cannot be reached, the hook decides locally and then applies `[control]
//! when_down`: by default destructive and irreversible actions are denied (reads and writes keep
//! their local decision), with a reason that says the control plane is down. A daemon that
//! answers with an error (a bad token, a malformed answer) is a deny, never a local allow: that
//! is a misconfiguration a human must fix, not an outage.
//!
//! With `wait_seconds`, an `ask` waits for the humans: the hook polls its approval request and,
//! once it is settled, asks again, so an approved action runs without the agent retrying.

use std::cell::OnceCell;
use std::time::{Duration, Instant};

use blastwall_config::WhenDown;
use blastwall_control::State;
use blastwall_core::{Decision, Door, Effect};
use blastwall_server::api::{ApprovalView, DecideBody, Decided};

use crate::client::{Client, ClientError};
use crate::hook::{Judge, Judgement};
use crate::{Engine, Request};

/// How often a waiting hook looks at its approval request.
const POLL: Duration = Duration::from_millis(250);

/// A [`Judge`] that asks the control plane, with the local engine as the fallback.
pub struct Remote {
    client: Client,
    when_down: WhenDown,
    wait: Duration,
    load_local: Box<dyn Fn() -> Result<Engine, String>>,
    local: OnceCell<Result<Engine, String>>,
}

impl Remote {
    /// `token` is the agent's token; without one every attempt is refused (a hook configured for a
    /// control plane must not run unidentified).
    pub fn new(
        client: Client,
        when_down: WhenDown,
        wait: Duration,
        load_local: Box<dyn Fn() -> Result<Engine, String>>,
    ) -> Remote {
        Remote {
            client,
            when_down,
            wait,
            load_local,
            local: OnceCell::new(),
        }
    }

    fn decide(&self, body: &DecideBody) -> Result<Decided, ClientError> {
        self.client.post("/v1/decide", body)
    }

    /// Waits for the humans on `approval`, then asks again; `None` when the wait ran out.
    fn wait_for(&self, approval: &ApprovalView, body: &DecideBody) -> Option<Decided> {
        let deadline = Instant::now() + self.wait;
        while Instant::now() < deadline {
            std::thread::sleep(POLL);
            let seen: ApprovalView = self
                .client
                .get(&format!("/v1/approvals/{}", approval.id))
                .ok()?;
            if seen.state != State::Pending {
                return self.decide(body).ok();
            }
        }
        None
    }

    /// The local decision, made stricter by `when_down`.
    fn while_down(&self, req: &Request, door: &Door, why: &ClientError) -> Judgement {
        let local = self.local.get_or_init(|| (self.load_local)());
        let mut judged = match local {
            Ok(engine) => engine.judge(req, door),
            Err(e) => Judgement::refusal(e, String::new()),
        };
        let (refuse, what) = match self.when_down {
            WhenDown::DenyDestructive => (
                judged.effect >= Effect::Destructive,
                "destructive and irreversible actions are refused",
            ),
            WhenDown::DenyChanges => (judged.effect > Effect::Read, "every change is refused"),
            WhenDown::DenyAll => (true, "every action is refused"),
        };
        if refuse && judged.decision != Decision::Deny {
            judged.decision = Decision::Deny;
            judged.rule = "control.unreachable".into();
            judged.reason = format!(
                "{why}. While the control plane is down, {what} ([control] when_down); start it again, or have a human run the action"
            );
        }
        judged
    }
}

impl Judge for Remote {
    fn judge(&self, req: &Request, door: &Door) -> Judgement {
        let door_name = match door {
            Door::Check => "check".to_owned(),
            Door::Hook(name) | Door::Proxy(name) => name.clone(),
        };
        let body = DecideBody {
            door: Some(door_name),
            action: req.clone(),
        };
        match self.decide(&body) {
            Ok(mut decided) => {
                if decided.decision == Decision::Ask
                    && !self.wait.is_zero()
                    && let Some(approval) = decided.approval.clone()
                    && let Some(settled) = self.wait_for(&approval, &body)
                {
                    decided = settled;
                }
                if decided.decision == Decision::Ask && decided.approval.is_some() {
                    // The agent's own "ask" would let whoever sits at its terminal wave the
                    // action through, past the quorum and the typed confirmation: hold it here.
                    decided.decision = Decision::Deny;
                    decided.rule = blastwall_hooks::APPROVAL_PENDING.into();
                }
                Judgement {
                    decision: decided.decision,
                    effect: decided.effect,
                    rule: decided.rule,
                    reason: decided.reason,
                    environment: decided.environment,
                    input: input_of(req),
                    recorded: decided.audit_seq.is_some(),
                }
            }
            Err(e @ ClientError::Unreachable { .. }) => self.while_down(req, door, &e),
            Err(e) => Judgement::refusal(
                &format!("{e}; fix the hook's control-plane settings (its token, [control] url)"),
                input_of(req),
            ),
        }
    }
}

fn input_of(req: &Request) -> String {
    req.command
        .clone()
        .or_else(|| req.sql.clone())
        .or_else(|| req.url.clone())
        .unwrap_or_default()
}
