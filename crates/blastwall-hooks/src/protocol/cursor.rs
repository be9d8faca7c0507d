//! Cursor: `hooks.json` (`version: 1`), events `beforeShellExecution` and `beforeMCPExecution`
//! (and `preToolUse` when a user registers it).
//!
//! In: `hook_event_name`, `conversation_id`, `generation_id`, `workspace_roots`, plus
//! `command` and `cwd` for a shell command, or `tool_name`, `tool_input` (an object, or a string
//! holding JSON) and `url` or `command` (the server) for an MCP call. `preToolUse` carries
//! `tool_name` and `tool_input`.
//!
//! Out: exit 0 and `{"permission": "allow" | "deny" | "ask", "user_message", "agent_message"}`.
//! Exit 2 also blocks. Any other failure lets the action through unless the hook entry says
//! `"failClosed": true`, which `blastwall init` writes.

use blastwall_core::Decision;
use serde_json::{Value, json};

use super::{Event, event_name, json_output, opt_str, req_str, split_mcp_name};
use crate::{Agent, Answer, Attempt, HookCall, HookError, HookOutput, message};

const AGENT: Agent = Agent::Cursor;
pub(crate) const SHELL_EVENT: &str = "beforeShellExecution";
pub(crate) const MCP_EVENT: &str = "beforeMCPExecution";
pub(crate) const TOOL_EVENT: &str = "preToolUse";

fn first_root(event: &Event) -> Option<String> {
    match event.get("workspace_roots") {
        Some(Value::Array(roots)) => roots.iter().find_map(|r| r.as_str().map(str::to_owned)),
        _ => None,
    }
}

pub(crate) fn parse(event: &Event) -> Result<HookCall, HookError> {
    let name = event_name(AGENT, event, "hook_event_name")?;
    let cwd = opt_str(event, "cwd").or_else(|| first_root(event));
    let (tool, attempt) = match name.as_str() {
        SHELL_EVENT => (
            "Shell".to_owned(),
            Attempt::Shell {
                command: req_str(AGENT, &name, event, "command")?,
            },
        ),
        MCP_EVENT => {
            let tool = req_str(AGENT, &name, event, "tool_name")?;
            let server = opt_str(event, "url")
                .or_else(|| opt_str(event, "command"))
                .or_else(|| opt_str(event, "server"))
                .unwrap_or_default();
            let arguments = match event.get("tool_input") {
                Some(Value::String(s)) => {
                    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
                }
                Some(v) => v.clone(),
                None => Value::Null,
            };
            (
                tool.clone(),
                Attempt::Mcp {
                    server,
                    tool,
                    arguments,
                },
            )
        }
        TOOL_EVENT => {
            let tool = req_str(AGENT, &name, event, "tool_name")?;
            let input = event.get("tool_input").and_then(Value::as_object);
            let field = |f: &str| {
                input
                    .and_then(|i| i.get(f))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let attempt = match tool.as_str() {
                "Shell" => match field("command") {
                    Some(command) => Attempt::Shell { command },
                    None => {
                        return Err(HookError::MissingField {
                            agent: AGENT,
                            event: name,
                            field: "tool_input.command",
                        });
                    }
                },
                "Write" | "Edit" | "StrReplace" | "MultiEdit" | "Delete" => {
                    match field("file_path").or_else(|| field("path")) {
                        Some(path) => Attempt::FileWrite { path },
                        None => {
                            return Err(HookError::MissingField {
                                agent: AGENT,
                                event: name,
                                field: "tool_input.file_path",
                            });
                        }
                    }
                }
                other => match split_mcp_name(other) {
                    Some((server, tool)) => Attempt::Mcp {
                        server,
                        tool,
                        arguments: event.get("tool_input").cloned().unwrap_or(Value::Null),
                    },
                    None => Attempt::Other {
                        tool: other.to_owned(),
                    },
                },
            };
            (tool, attempt)
        }
        _ => {
            return Err(HookError::UnknownEvent {
                agent: AGENT,
                event: name,
            });
        }
    };
    Ok(HookCall {
        agent: AGENT,
        event: name,
        session_id: opt_str(event, "conversation_id"),
        cwd,
        tool,
        attempts: vec![attempt],
    })
}

pub(crate) fn render(call: &HookCall, answer: &Answer) -> HookOutput {
    match answer.decision {
        Decision::Allow => json_output(&json!({ "permission": "allow" })),
        Decision::Ask | Decision::Deny => json_output(&json!({
            "permission": answer.decision.as_str(),
            "user_message": message::for_user(call, answer),
            "agent_message": message::for_agent(call, answer),
        })),
    }
}
