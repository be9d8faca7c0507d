//! The agent hook door of blastwall: Claude Code, Cursor, Codex CLI and Gemini CLI.
//!
//! An agent runs `blastwall hook <agent>` before a tool call and writes a JSON event on standard
//! input. This crate turns that event into a neutral [`HookCall`] ([`parse_event`]), and turns
//! blastwall's decision back into exactly what that agent's hook protocol expects ([`render`]):
//! standard output, standard error and an exit code. It also writes and removes the agents' hook
//! configuration ([`install`], [`uninstall`]) and reports whether each agent is protected
//! ([`doctor`]).
//!
//! What this crate must never do:
//! - judge anything itself (the binary asks the `Engine`; this crate only translates);
//! - produce an output that an agent reads as "go ahead" when something went wrong: every error is
//!   rendered by [`fail_closed`] as that protocol's blocking answer (some agents treat an unexpected
//!   exit code as "proceed", so an error must never escape as a plain non-zero exit);
//! - overwrite a configuration file it cannot parse, or lose what the user had in it.

mod doctor;
mod error;
mod install;
mod json;
mod message;
pub use message::APPROVAL_PENDING;
mod protocol;

use std::fmt;
use std::str::FromStr;

use blastwall_core::Decision;
use serde_json::Value;

pub use doctor::{AgentStatus, HookPlacement, doctor, doctor_in};
pub use error::HookError;
pub use install::{InstallReport, Scope, config_path, install, uninstall};

/// An agent whose hook protocol blastwall speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Agent {
    ClaudeCode,
    Cursor,
    Codex,
    Gemini,
}

impl Agent {
    pub const ALL: [Agent; 4] = [
        Agent::ClaudeCode,
        Agent::Cursor,
        Agent::Codex,
        Agent::Gemini,
    ];

    /// The name used on the command line (`blastwall hook <name>`) and in `Door::Hook`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "claude-code",
            Agent::Cursor => "cursor",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
        }
    }

    /// The product name, for messages.
    pub const fn display_name(self) -> &'static str {
        match self {
            Agent::ClaudeCode => "Claude Code",
            Agent::Cursor => "Cursor",
            Agent::Codex => "Codex CLI",
            Agent::Gemini => "Gemini CLI",
        }
    }

    /// Whether the protocol can hold an action for a human's approval. Where it cannot, an `ask`
    /// is rendered as a refusal that says a human must approve it.
    pub const fn can_ask(self) -> bool {
        matches!(self, Agent::ClaudeCode | Agent::Cursor)
    }
}

impl fmt::Display for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Agent {
    type Err = HookError;

    fn from_str(s: &str) -> Result<Agent, HookError> {
        match s {
            "claude-code" | "claude" => Ok(Agent::ClaudeCode),
            "cursor" => Ok(Agent::Cursor),
            "codex" => Ok(Agent::Codex),
            "gemini" => Ok(Agent::Gemini),
            other => Err(HookError::UnknownAgent(other.to_owned())),
        }
    }
}

/// One thing an agent is about to do, in blastwall's terms.
#[derive(Clone, Debug, PartialEq)]
pub enum Attempt {
    /// A shell command line.
    Shell { command: String },
    /// A file the agent's own edit tool writes, creates, patches or deletes.
    FileWrite { path: String },
    /// A call to a tool of an MCP server.
    Mcp {
        server: String,
        tool: String,
        arguments: Value,
    },
    /// A tool blastwall does not judge (reads, searches, ...): the agent's own permission flow
    /// decides.
    Other { tool: String },
}

impl Attempt {
    /// The shell command with the same effect, when there is one, so that one set of rules judges
    /// both: a command is itself, and a file write is the redirection `cat > 'path'` (new content,
    /// not known here), which the shell classifier judges as a write to that path.
    pub fn shell_equivalent(&self) -> Option<String> {
        match self {
            Attempt::Shell { command } => Some(command.clone()),
            Attempt::FileWrite { path } => Some(format!("cat > {}", shell_quote(path))),
            Attempt::Mcp { .. } | Attempt::Other { .. } => None,
        }
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A hook event, parsed: who asked, where, and what would happen.
#[derive(Clone, Debug, PartialEq)]
pub struct HookCall {
    pub agent: Agent,
    /// The agent's event name (`PreToolUse`, `beforeShellExecution`, `BeforeTool`, ...).
    pub event: String,
    /// The agent's session or conversation id, when it sends one.
    pub session_id: Option<String>,
    /// The working directory the action runs in, when the agent says.
    pub cwd: Option<String>,
    /// The agent's own name for the tool (`Bash`, `apply_patch`, `run_shell_command`, ...).
    pub tool: String,
    /// What the call would do; never empty. A Codex patch touching several files gives one
    /// [`Attempt::FileWrite`] per file: judge each, the strictest decision wins.
    pub attempts: Vec<Attempt>,
}

impl HookCall {
    /// The first (for most tools, the only) attempt.
    pub fn attempt(&self) -> &Attempt {
        &self.attempts[0]
    }

    /// True when blastwall judges none of it: answer with [`proceed`].
    pub fn is_unjudged(&self) -> bool {
        self.attempts
            .iter()
            .all(|a| matches!(a, Attempt::Other { .. }))
    }
}

/// blastwall's decision about a [`HookCall`], as the binary got it from the `Engine`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub decision: Decision,
    /// The rule behind the decision (for example `fs.rm-root`).
    pub rule: String,
    /// Why, in one sentence.
    pub reason: String,
}

/// What the hook process prints and how it exits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookOutput {
    pub stdout: String,
    pub stderr: String,
    pub exit_code: i32,
}

/// Largest hook event accepted on standard input. Anything bigger is refused (fail closed).
pub const MAX_EVENT_BYTES: usize = 64 * 1024 * 1024;

/// Parses one hook event, as the agent wrote it on standard input.
///
/// Errors (empty, truncated or non-JSON input, an event or field this protocol does not have) are
/// meant for [`fail_closed`].
pub fn parse_event(agent: Agent, bytes: &[u8]) -> Result<HookCall, HookError> {
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(HookError::TooLarge {
            agent,
            bytes: bytes.len(),
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(HookError::EmptyInput { agent });
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| HookError::InvalidJson {
        agent,
        detail: e.to_string(),
    })?;
    let Value::Object(event) = value else {
        return Err(HookError::InvalidJson {
            agent,
            detail: "the event is not a JSON object".into(),
        });
    };
    let call = match agent {
        Agent::ClaudeCode => protocol::claude::parse(&event)?,
        Agent::Cursor => protocol::cursor::parse(&event)?,
        Agent::Codex => protocol::codex::parse(&event)?,
        Agent::Gemini => protocol::gemini::parse(&event)?,
    };
    debug_assert!(!call.attempts.is_empty());
    Ok(call)
}

/// Renders blastwall's answer in the agent's protocol.
///
/// A call blastwall does not judge ([`HookCall::is_unjudged`]) that is allowed gets [`proceed`],
/// so the agent's own permission flow still applies.
pub fn render(agent: Agent, call: &HookCall, answer: &Answer) -> HookOutput {
    if call.is_unjudged() && answer.decision == Decision::Allow {
        return proceed(agent);
    }
    match agent {
        Agent::ClaudeCode => protocol::claude::render(call, answer),
        Agent::Cursor => protocol::cursor::render(call, answer),
        Agent::Codex => protocol::codex::render(call, answer),
        Agent::Gemini => protocol::gemini::render(call, answer),
    }
}

/// The answer that expresses no opinion: the agent goes on with its normal permission flow.
pub fn proceed(agent: Agent) -> HookOutput {
    match agent {
        Agent::ClaudeCode | Agent::Codex => protocol::output("", "", 0),
        Agent::Cursor | Agent::Gemini => protocol::output("{}\n", "", 0),
    }
}

/// The protocol's refusal for anything that went wrong before a decision existed: unreadable or
/// truncated input, an unknown event, a configuration that failed to load, a panic caught at the
/// edge. `message` says what went wrong; the output adds what a human can do about it.
pub fn fail_closed(agent: Agent, message: &str) -> HookOutput {
    protocol::fail_closed(agent, message)
}

/// A minimal event of `agent` for its shell tool running `command`, as the agent would send it:
/// what `doctor` feeds an installed hook to see that it answers, and what the demo sends.
pub fn shell_event(agent: Agent, command: &str, cwd: &str, session: &str) -> String {
    let event = match agent {
        Agent::ClaudeCode => serde_json::json!({
            "session_id": session,
            "cwd": cwd,
            "permission_mode": "default",
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": { "command": command },
        }),
        Agent::Cursor => serde_json::json!({
            "conversation_id": session,
            "hook_event_name": "beforeShellExecution",
            "workspace_roots": [cwd],
            "command": command,
            "cwd": cwd,
        }),
        Agent::Codex => serde_json::json!({
            "session_id": session,
            "cwd": cwd,
            "hook_event_name": "PreToolUse",
            "permission_mode": "default",
            "tool_name": "Bash",
            "tool_input": { "command": command },
        }),
        Agent::Gemini => serde_json::json!({
            "session_id": session,
            "cwd": cwd,
            "hook_event_name": "BeforeTool",
            "tool_name": "run_shell_command",
            "tool_input": { "command": command },
        }),
    };
    event.to_string()
}
