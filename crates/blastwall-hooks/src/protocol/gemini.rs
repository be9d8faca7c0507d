//! Gemini CLI: `BeforeTool` command hooks under `hooks` in `settings.json`.
//!
//! In: `session_id`, `transcript_path`, `cwd`, `hook_event_name`, `timestamp`, `tool_name`,
//! `tool_input` and, for MCP tools, `mcp_context` (`server_name`, `tool_name`). Shell commands are
//! `run_shell_command` with `tool_input.command` (and an optional `dir_path` relative to `cwd`);
//! file writes are `write_file` and `replace` with `tool_input.file_path`; MCP tools are named
//! `mcp__<server>__<tool>`.
//!
//! Out: exit 0 with `{"decision": "allow" | "deny", "reason"}` (`reason` goes to the model as the
//! tool's error), or exit 2 with the reason on standard error. Any other exit code is a warning and
//! the tool runs. `BeforeTool` has no documented way to ask a human, so `ask` becomes a refusal
//! that says a human must approve it.

use blastwall_core::Decision;
use serde_json::{Value, json};

use super::{Event, event_name, json_output, opt_str, req_obj, req_str, split_mcp_name};
use crate::{Agent, Answer, Attempt, HookCall, HookError, HookOutput, message};

const AGENT: Agent = Agent::Gemini;
pub(crate) const EVENT: &str = "BeforeTool";

pub(crate) fn parse(event: &Event) -> Result<HookCall, HookError> {
    let name = event_name(AGENT, event, "hook_event_name")?;
    if name != EVENT {
        return Err(HookError::UnknownEvent {
            agent: AGENT,
            event: name,
        });
    }
    let tool = req_str(AGENT, &name, event, "tool_name")?;
    let mut cwd = opt_str(event, "cwd");
    let attempt = match tool.as_str() {
        "run_shell_command" => {
            let input = req_obj(AGENT, &name, event, "tool_input")?;
            let dir = input
                .get("dir_path")
                .or_else(|| input.get("directory"))
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty());
            if let Some(dir) = dir {
                cwd = Some(match &cwd {
                    Some(base) if !dir.starts_with('/') => {
                        format!("{}/{}", base.trim_end_matches('/'), dir)
                    }
                    _ => dir.to_owned(),
                });
            }
            Attempt::Shell {
                command: req_str(AGENT, &name, input, "command")?,
            }
        }
        "write_file" | "replace" => {
            let input = req_obj(AGENT, &name, event, "tool_input")?;
            Attempt::FileWrite {
                path: req_str(AGENT, &name, input, "file_path")?,
            }
        }
        other => {
            let context = event.get("mcp_context").and_then(Value::as_object);
            let from_context = context.and_then(|c| {
                let server = c.get("server_name")?.as_str()?.to_owned();
                let tool = c.get("tool_name")?.as_str()?.to_owned();
                Some((server, tool))
            });
            match from_context.or_else(|| split_mcp_name(other)) {
                Some((server, tool)) => Attempt::Mcp {
                    server,
                    tool,
                    arguments: event.get("tool_input").cloned().unwrap_or(Value::Null),
                },
                None => Attempt::Other {
                    tool: other.to_owned(),
                },
            }
        }
    };
    Ok(HookCall {
        agent: AGENT,
        event: name,
        session_id: opt_str(event, "session_id"),
        cwd,
        tool,
        attempts: vec![attempt],
    })
}

pub(crate) fn render(call: &HookCall, answer: &Answer) -> HookOutput {
    match answer.decision {
        Decision::Allow => json_output(&json!({ "decision": "allow" })),
        Decision::Ask | Decision::Deny => json_output(&json!({
            "decision": "deny",
            "reason": message::for_agent(call, answer),
            "systemMessage": message::for_user(call, answer),
        })),
    }
}
