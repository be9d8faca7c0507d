//! Codex CLI: `PreToolUse` command hooks, inline `[hooks]` in `config.toml` (or `hooks.json`).
//!
//! In: `session_id`, `turn_id`, `transcript_path`, `cwd`, `hook_event_name`, `model`,
//! `permission_mode`, `tool_name`, `tool_input`, `tool_use_id`. Shell tools arrive as `Bash` with
//! `tool_input.command`; file edits as `apply_patch` with the whole patch in `tool_input.command`
//! (matchers `Write` and `Edit` are aliases of it); MCP tools as `mcp__<server>__<tool>` with their
//! arguments as `tool_input`.
//!
//! Out: exit 0 and `hookSpecificOutput.permissionDecision: "deny"` with a non-empty
//! `permissionDecisionReason` blocks; exit 2 with a reason on standard error blocks. Codex rejects
//! `allow` without `updatedInput` and does not support `ask` (both are logged as hook failures and
//! the tool runs), so blastwall answers `allow` with silence (Codex's own approval policy still
//! applies) and `ask` with a refusal that tells the human to approve by running it themselves.

use blastwall_core::Decision;
use serde_json::json;

use super::{Event, event_name, json_output, opt_str, req_obj, req_str, split_mcp_name};
use crate::{Agent, Answer, Attempt, HookCall, HookError, HookOutput, message};

const AGENT: Agent = Agent::Codex;
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
    let attempts = match tool.as_str() {
        "Bash" => {
            let input = req_obj(AGENT, &name, event, "tool_input")?;
            vec![Attempt::Shell {
                command: req_str(AGENT, &name, input, "command")?,
            }]
        }
        "apply_patch" => {
            let input = req_obj(AGENT, &name, event, "tool_input")?;
            let patch = req_str(AGENT, &name, input, "command")?;
            patch_paths(&patch)?
                .into_iter()
                .map(|path| Attempt::FileWrite { path })
                .collect()
        }
        other => match split_mcp_name(other) {
            Some((server, tool)) => vec![Attempt::Mcp {
                server,
                tool,
                arguments: event
                    .get("tool_input")
                    .cloned()
                    .unwrap_or(serde_json::Value::Null),
            }],
            None => vec![Attempt::Other {
                tool: other.to_owned(),
            }],
        },
    };
    Ok(HookCall {
        agent: AGENT,
        event: name,
        session_id: opt_str(event, "session_id"),
        cwd: opt_str(event, "cwd"),
        tool,
        attempts,
    })
}

/// The files a Codex patch adds, updates, deletes or moves to, in order, without repeats.
fn patch_paths(patch: &str) -> Result<Vec<String>, HookError> {
    const MARKERS: [&str; 4] = [
        "*** Add File: ",
        "*** Update File: ",
        "*** Delete File: ",
        "*** Move to: ",
    ];
    let mut paths: Vec<String> = Vec::new();
    for line in patch.lines() {
        let line = line.trim_end_matches('\r');
        for marker in MARKERS {
            if let Some(path) = line.strip_prefix(marker) {
                let path = path.trim();
                if !path.is_empty() && !paths.iter().any(|p| p == path) {
                    paths.push(path.to_owned());
                }
            }
        }
    }
    if paths.is_empty() {
        return Err(HookError::UnreadablePatch {
            agent: AGENT,
            detail:
                "no `*** Add File:`, `*** Update File:`, `*** Delete File:` or `*** Move to:` line"
                    .into(),
        });
    }
    Ok(paths)
}

pub(crate) fn render(call: &HookCall, answer: &Answer) -> HookOutput {
    match answer.decision {
        Decision::Allow => super::output("", "", 0),
        Decision::Ask | Decision::Deny => json_output(&json!({
            "systemMessage": message::for_user(call, answer),
            "hookSpecificOutput": {
                "hookEventName": EVENT,
                "permissionDecision": "deny",
                "permissionDecisionReason": message::for_agent(call, answer),
            }
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::patch_paths;

    #[test]
    fn patch_paths_in_order_without_repeats() {
        let patch = "*** Begin Patch\n*** Update File: src/a.rs\n@@\n-x\n+y\n*** Move to: src/b.rs\n*** Delete File: old.txt\n*** Add File: src/a.rs\n+z\n*** End Patch\n";
        assert_eq!(
            patch_paths(patch).unwrap(),
            ["src/a.rs", "src/b.rs", "old.txt"]
        );
    }

    #[test]
    fn a_patch_naming_no_file_is_an_error() {
        assert!(patch_paths("*** Begin Patch\n*** End Patch\n").is_err());
        assert!(patch_paths("").is_err());
    }
}
