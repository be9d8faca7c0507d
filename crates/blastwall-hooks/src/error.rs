//! Everything that can go wrong in this crate, worded for the person who has to fix it: each
//! message names the agent or the file and says what to do.

use std::path::PathBuf;

use crate::Agent;

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error(
        "unknown agent `{0}`: blastwall speaks the hooks of `claude-code`, `cursor`, `codex` and `gemini`"
    )]
    UnknownAgent(String),

    #[error(
        "{agent} sent an empty hook event on standard input; the hook must be run by the agent, not by hand"
    )]
    EmptyInput { agent: Agent },

    #[error("{agent} sent a hook event of {bytes} bytes, more than blastwall reads; refused")]
    TooLarge { agent: Agent, bytes: usize },

    #[error(
        "{agent} sent a hook event that is not valid JSON ({detail}); is the hook registered under the right agent name?"
    )]
    InvalidJson { agent: Agent, detail: String },

    #[error(
        "{agent} sent the hook event `{event}`, which blastwall does not judge; register `blastwall hook {agent}` only for the events `blastwall init` writes"
    )]
    UnknownEvent { agent: Agent, event: String },

    #[error(
        "{agent} sent a `{event}` event without the field `{field}`; this version of {agent} may speak a newer hook protocol than blastwall"
    )]
    MissingField {
        agent: Agent,
        event: String,
        field: &'static str,
    },

    #[error(
        "{agent} sent a patch blastwall cannot read ({detail}); it names no file, so nothing can be judged"
    )]
    UnreadablePatch { agent: Agent, detail: String },

    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot write {path}: {source}; nothing was changed")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "{path} is not valid {format} ({detail}); blastwall leaves it untouched: fix the file (or move it away) and run init again"
    )]
    Malformed {
        path: PathBuf,
        format: &'static str,
        detail: String,
    },

    #[error(
        "{path} has comments, which blastwall cannot keep when it rewrites the file; it is left untouched. Add this under \"hooks\" by hand:\n{snippet}"
    )]
    CommentsWouldBeLost { path: PathBuf, snippet: String },

    #[error(
        "{path}: `{key}` is a {found}, where {agent} expects {expected}; blastwall leaves the file untouched: fix that key and run init again"
    )]
    UnexpectedShape {
        path: PathBuf,
        agent: Agent,
        key: String,
        found: &'static str,
        expected: &'static str,
    },
}
