//! Claude Code: `PreToolUse` command hooks in `settings.json`.
//!
//! In: `session_id`, `transcript_path`, `cwd`, `permission_mode`, `hook_event_name`, `tool_name`,
//! `tool_input`, `tool_use_id`. `Bash` carries `tool_input.command`; `Write`, `Edit` and
//! `MultiEdit` carry `tool_input.file_path`, `NotebookEdit` `tool_input.notebook_path`; MCP tools
//! are named `mcp__<server>__<tool>`.
//!
//! Out: exit 0 with `hookSpecificOutput.permissionDecision` (`allow` skips the permission prompt,
//! `ask` shows it with the reason, `deny` refuses and shows the reason to the model), or exit 2
//! with the reason on standard error. Any other exit code is a non-blocking error: the tool runs.
//! Exit 0 with nothing on standard output leaves the normal permission flow in charge.

use blastwall_core::Decision;
use serde_json::json;

use super::{Event, event_name, json_output, opt_str, req_obj, req_str, split_mcp_name};
use crate::{Agent, Answer, Attempt, HookCall, HookError, HookOutput, message};

const AGENT: Agent = Agent::ClaudeCode;
pub(crate) const EVENT: &str = "PreToolUse";

pub(crate) fn parse(event: &Event) -> Result<HookCall, HookError> {
    let name = event_name(AGENT, event, "hook_event_name")?;
    if name != EVENT {
        return Err(HookError::UnknownEvent {
            agent: AGENT,
            event: name,
        });
    }
    let tool = req_str(AGENT, &name, event, "tool_name")?;
    let attempt = match tool.as_str() {
        "Bash" => {
            let input = req_obj(AGENT, &name, event, "tool_input")?;
            Attempt::Shell {
                command: req_str(AGENT, &name, input, "command")?,
            }
        }
        "Write" | "Edit" | "MultiEdit" => {
            let input = req_obj(AGENT, &name, event, "tool_input")?;
            Attempt::FileWrite {
                path: req_str(AGENT, &name, input, "file_path")?,
            }
        }
        "NotebookEdit" => {
            let input = req_obj(AGENT, &name, event, "tool_input")?;
            Attempt::FileWrite {
                path: req_str(AGENT, &name, input, "notebook_path")?,
            }
        }
        other => match split_mcp_name(other) {
            Some((server, tool)) => Attempt::Mcp {
                server,
                tool,
                arguments: event
                    .get("tool_input")
                    .cloned()
                    .unwrap_or(serde_json::Value::Null),
            },
            None => Attempt::Other {
                tool: other.to_owned(),
            },
        },
    };
    Ok(HookCall {
        agent: AGENT,
        event: name,
        session_id: opt_str(event, "session_id"),
        cwd: opt_str(event, "cwd"),
        tool,
        attempts: vec![attempt],
    })
}

pub(crate) fn render(call: &HookCall, answer: &Answer) -> HookOutput {
    // `ask` shows the reason to the user in the prompt; `deny` shows it to the model.
    let reason = match answer.decision {
        Decision::Ask => message::for_user(call, answer),
        Decision::Allow | Decision::Deny => message::for_agent(call, answer),
    };
    json_output(&json!({
        "hookSpecificOutput": {
            "hookEventName": EVENT,
            "permissionDecision": answer.decision.as_str(),
            "permissionDecisionReason": reason,
        }
    }))
}
