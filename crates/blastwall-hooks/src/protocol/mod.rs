//! One module per agent: its hook event in, its answer out. Shared helpers for reading events.
//!
//! A protocol module must never return an output the agent reads as "go ahead" for a decision
//! that is not `allow`, and must never use an exit code the agent treats as a harmless failure.

pub(crate) mod claude;
pub(crate) mod codex;
pub(crate) mod cursor;
pub(crate) mod gemini;

use serde_json::{Map, Value};

use crate::{Agent, HookError, HookOutput, message};

pub(crate) type Event = Map<String, Value>;

pub(crate) fn output(stdout: &str, stderr: &str, exit_code: i32) -> HookOutput {
    HookOutput {
        stdout: stdout.to_owned(),
        stderr: stderr.to_owned(),
        exit_code,
    }
}

/// One JSON line on standard output, exit 0.
pub(crate) fn json_output(value: &Value) -> HookOutput {
    let mut stdout = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
    stdout.push('\n');
    output(&stdout, "", 0)
}

/// The exit code every supported agent reads as "block this", with the reason on standard error.
/// Any other non-zero code means "the hook failed, carry on" to Claude Code, Codex and Gemini, and
/// to Cursor unless `failClosed` is set.
pub(crate) const BLOCKING_EXIT: i32 = 2;

pub(crate) fn fail_closed(agent: Agent, message: &str) -> HookOutput {
    let text = message::failure(agent, message);
    let mut stderr = text.clone();
    stderr.push('\n');
    match agent {
        // Exit 2 blocks whatever the event was, and the reason on standard error reaches the
        // model. Standard output is ignored on exit 2, so it stays empty.
        Agent::ClaudeCode | Agent::Codex | Agent::Gemini => output("", &stderr, BLOCKING_EXIT),
        // Cursor blocks on exit 2 as well; the JSON refusal on standard output says the same
        // thing for versions that read it.
        Agent::Cursor => {
            let body = serde_json::json!({
                "permission": "deny",
                "user_message": text,
                "agent_message": text,
            });
            let mut out = json_output(&body);
            out.stderr = stderr;
            out.exit_code = BLOCKING_EXIT;
            out
        }
    }
}

pub(crate) fn event_name(
    agent: Agent,
    event: &Event,
    field: &'static str,
) -> Result<String, HookError> {
    match event.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(HookError::MissingField {
            agent,
            event: "hook".to_owned(),
            field,
        }),
    }
}

pub(crate) fn opt_str(event: &Event, field: &str) -> Option<String> {
    match event.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

pub(crate) fn req_str(
    agent: Agent,
    name: &str,
    obj: &Map<String, Value>,
    field: &'static str,
) -> Result<String, HookError> {
    match obj.get(field) {
        Some(Value::String(s)) => Ok(s.clone()),
        _ => Err(HookError::MissingField {
            agent,
            event: name.to_owned(),
            field,
        }),
    }
}

pub(crate) fn req_obj<'a>(
    agent: Agent,
    name: &str,
    event: &'a Event,
    field: &'static str,
) -> Result<&'a Map<String, Value>, HookError> {
    match event.get(field) {
        Some(Value::Object(o)) => Ok(o),
        _ => Err(HookError::MissingField {
            agent,
            event: name.to_owned(),
            field,
        }),
    }
}

/// `mcp__server__tool` → (`server`, `tool`). The server part ends at the first `__`.
pub(crate) fn split_mcp_name(name: &str) -> Option<(String, String)> {
    let rest = name.strip_prefix("mcp__")?;
    let (server, tool) = rest.split_once("__")?;
    if server.is_empty() || tool.is_empty() {
        return None;
    }
    Some((server.to_owned(), tool.to_owned()))
}
