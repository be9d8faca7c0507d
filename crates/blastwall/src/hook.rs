//! The agent hook door: one hook event in, the agent's own protocol answer out.
//!
//! The event is parsed by `blastwall-hooks`, every attempt in it is judged by a [`Judge`] (the
//! local [`Engine`], the same as `blastwall check`, or the control plane through
//! [`crate::remote::Remote`]; a file write is judged as the shell redirection with the same
//! effect), the strictest decision wins, and `blastwall-hooks` renders it. Anything that goes
//! wrong before a decision exists (unreadable input, a configuration that does not load, a panic)
//! is rendered as the protocol's refusal, never as silence or an allow.

use blastwall_core::{Decision, Door, Effect, Verdict};
use blastwall_hooks::{Agent, Answer, Attempt, HookCall, HookOutput};
use serde_json::Value;

use crate::{Engine, Request};

/// What judged one attempt decided.
#[derive(Debug, Clone)]
pub struct Judgement {
    pub decision: Decision,
    pub effect: Effect,
    pub rule: String,
    pub reason: String,
    pub environment: String,
    /// The judged input: the command, SQL or shell equivalent of a file write.
    pub input: String,
    /// Whether the judge already wrote the audit record (the control plane does).
    pub recorded: bool,
}

impl Judgement {
    pub fn of_verdict(verdict: &Verdict, input: String) -> Judgement {
        Judgement {
            decision: verdict.decision,
            effect: verdict.effect,
            rule: verdict.rule.clone(),
            reason: verdict.reason.clone(),
            environment: verdict.environment.0.clone(),
            input,
            recorded: false,
        }
    }

    /// A refusal of an action that could not be judged.
    pub fn refusal(why: &str, input: String) -> Judgement {
        Judgement::of_verdict(&refusal(why), input)
    }
}

/// Judges one request that came through a door.
pub trait Judge {
    fn judge(&self, req: &Request, door: &Door) -> Judgement;
}

impl Judge for Engine {
    fn judge(&self, req: &Request, door: &Door) -> Judgement {
        match self.check(req, door.clone()) {
            Ok((verdict, input)) => Judgement::of_verdict(&verdict, input),
            // A request the engine refuses (no field to judge) is refused here too.
            Err(e) => Judgement::refusal(&e.to_string(), String::new()),
        }
    }
}

/// What one hook call decided, for the audit log.
#[derive(Debug, Clone)]
pub struct HookDecision {
    pub agent: Agent,
    pub session: Option<String>,
    pub cwd: Option<String>,
    /// The judged input: the command, SQL or shell equivalent of a file write.
    pub input: String,
    pub decision: Decision,
    pub effect: Effect,
    pub rule: String,
    pub reason: String,
    pub environment: String,
    /// Whether the judge already wrote the audit record.
    pub recorded: bool,
}

/// Answers one hook event. `judge` is the loaded judge or why it could not be loaded.
pub fn answer(
    engine: Result<&dyn Judge, &str>,
    agent: Agent,
    event: &[u8],
) -> (HookOutput, Option<HookDecision>) {
    let engine = match engine {
        Ok(e) => e,
        Err(why) => {
            return (
                blastwall_hooks::fail_closed(
                    agent,
                    &format!("blastwall's configuration could not be loaded: {why}"),
                ),
                None,
            );
        }
    };
    let call = match blastwall_hooks::parse_event(agent, event) {
        Ok(c) => c,
        Err(e) => return (blastwall_hooks::fail_closed(agent, &e.to_string()), None),
    };
    let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| judge(engine, &call)));
    let Ok(judged) = judged else {
        return (
            blastwall_hooks::fail_closed(
                agent,
                "blastwall failed while judging this action (please report it)",
            ),
            None,
        );
    };
    match judged {
        Some(judged) => {
            let answer = Answer {
                decision: judged.decision,
                rule: judged.rule.clone(),
                reason: judged.reason.clone(),
            };
            let output = blastwall_hooks::render(agent, &call, &answer);
            let record = HookDecision {
                agent,
                session: call.session_id.clone(),
                cwd: call.cwd.clone(),
                input: judged.input,
                decision: judged.decision,
                effect: judged.effect,
                rule: judged.rule,
                reason: judged.reason,
                environment: judged.environment,
                recorded: judged.recorded,
            };
            (output, Some(record))
        }
        None => (blastwall_hooks::proceed(agent), None),
    }
}

/// Judges every attempt of a call; the strictest verdict wins. `None` when blastwall judges none
/// of them (a read, a search): the agent's own permission flow decides.
fn judge(engine: &dyn Judge, call: &HookCall) -> Option<Judgement> {
    let door = Door::Hook(call.agent.as_str().to_owned());
    let mut worst: Option<Judgement> = None;
    for attempt in &call.attempts {
        let Some(mut req) = request_for(attempt) else {
            continue;
        };
        req.cwd = call.cwd.clone();
        req.agent = Some(call.agent.as_str().to_owned());
        req.session = call.session_id.clone();
        let judged = engine.judge(&req, &door);
        let stricter = worst
            .as_ref()
            .is_none_or(|w| (judged.decision, judged.effect) > (w.decision, w.effect));
        if stricter {
            worst = Some(judged);
        }
    }
    worst
}

/// The request that judges an attempt: a shell command, the shell equivalent of a file write, or
/// the command or SQL an MCP tool is given.
fn request_for(attempt: &Attempt) -> Option<Request> {
    if let Some(command) = attempt.shell_equivalent() {
        return Some(Request::shell(&command));
    }
    let Attempt::Mcp { arguments, .. } = attempt else {
        return None;
    };
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| arguments.get(*n).and_then(Value::as_str))
    };
    if let Some(sql) = field(&["sql", "query", "statement"]) {
        return Some(Request::sql(sql));
    }
    field(&["command", "cmd", "script"]).map(Request::shell)
}

fn refusal(why: &str) -> Verdict {
    Verdict {
        decision: Decision::Deny,
        effect: Effect::Irreversible,
        rule: "input.invalid".into(),
        reason: format!("blastwall could not judge this action, so it is refused: {why}"),
        span: Default::default(),
        environment: blastwall_core::Environment::unknown(),
        actions: Vec::new(),
    }
}

/// The answer again with another decision and reason (the audit log failed, so an allow became
/// an ask); a fail-closed refusal if the event no longer parses.
pub fn rerender(agent: Agent, event: &[u8], decision: Decision, reason: &str) -> HookOutput {
    match blastwall_hooks::parse_event(agent, event) {
        Ok(call) => blastwall_hooks::render(
            agent,
            &call,
            &Answer {
                decision,
                rule: "audit.unavailable".into(),
                reason: reason.into(),
            },
        ),
        Err(e) => blastwall_hooks::fail_closed(agent, &e.to_string()),
    }
}
