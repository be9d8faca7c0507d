//! The agent hook door: one hook event in, the agent's own protocol answer out.
//!
//! The event is parsed by `blastwall-hooks`, every attempt in it is judged by the same
//! [`Engine::check`] as `blastwall check` (a file write is judged as the shell redirection with
//! the same effect), the strictest decision wins, and `blastwall-hooks` renders it. Anything that
//! goes wrong before a decision exists (unreadable input, a configuration that does not load, a
//! panic) is rendered as the protocol's refusal, never as silence or an allow.

use blastwall_core::{Decision, Door, Effect, Verdict};
use blastwall_hooks::{Agent, Answer, Attempt, HookCall, HookOutput};
use serde_json::Value;

use crate::{Engine, Request};

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
}

/// Answers one hook event. `engine` is the loaded engine or why it could not be loaded.
pub fn answer(
    engine: Result<&Engine, &str>,
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
        Some((verdict, input)) => {
            let answer = Answer {
                decision: verdict.decision,
                rule: verdict.rule.clone(),
                reason: verdict.reason.clone(),
            };
            let output = blastwall_hooks::render(agent, &call, &answer);
            let record = HookDecision {
                agent,
                session: call.session_id.clone(),
                cwd: call.cwd.clone(),
                input,
                decision: verdict.decision,
                effect: verdict.effect,
                rule: verdict.rule,
                reason: verdict.reason,
                environment: verdict.environment.0,
            };
            (output, Some(record))
        }
        None => (blastwall_hooks::proceed(agent), None),
    }
}

/// Judges every attempt of a call; the strictest verdict wins. `None` when blastwall judges none
/// of them (a read, a search): the agent's own permission flow decides.
fn judge(engine: &Engine, call: &HookCall) -> Option<(Verdict, String)> {
    let door = Door::Hook(call.agent.as_str().to_owned());
    let mut worst: Option<(Verdict, String)> = None;
    for attempt in &call.attempts {
        let Some(mut req) = request_for(attempt) else {
            continue;
        };
        req.cwd = call.cwd.clone();
        req.agent = Some(call.agent.as_str().to_owned());
        req.session = call.session_id.clone();
        let judged = match engine.check(&req, door.clone()) {
            Ok(v) => v,
            // A request the engine refuses (no field to judge) is refused here too.
            Err(e) => (refusal(&e.to_string()), String::new()),
        };
        let stricter = worst
            .as_ref()
            .is_none_or(|(w, _)| (judged.0.decision, judged.0.effect) > (w.decision, w.effect));
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
