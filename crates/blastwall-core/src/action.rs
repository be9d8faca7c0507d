//! The normalized [`Action`]: who tries what, where, with which effect and how big.

use serde::{Deserialize, Serialize};

use crate::Decision;
use crate::environment::Environment;

/// A byte range `[start, end)` in the input a front door received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// The text this span covers in `input`, or `""` when the span does not fit (never panics).
    pub fn slice<'a>(&self, input: &'a str) -> &'a str {
        input.get(self.start..self.end).unwrap_or("")
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// What an action does to the world, from harmless to unrecoverable.
///
/// Ordered: `Read < Write < Destructive < Irreversible`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    /// Observes state without changing it.
    Read,
    /// Changes state in a way that is routine or easily undone.
    Write,
    /// Removes or overwrites data that may be recoverable (history, backups, snapshots).
    Destructive,
    /// Removes or overwrites data with no way back (disks, home directories, backups themselves).
    Irreversible,
}

impl Effect {
    pub const fn as_str(self) -> &'static str {
        match self {
            Effect::Read => "read",
            Effect::Write => "write",
            Effect::Destructive => "destructive",
            Effect::Irreversible => "irreversible",
        }
    }

    /// The effect named by [`Effect::as_str`].
    pub fn parse(s: &str) -> Option<Effect> {
        [
            Effect::Read,
            Effect::Write,
            Effect::Destructive,
            Effect::Irreversible,
        ]
        .into_iter()
        .find(|e| e.as_str() == s)
    }
}

impl std::fmt::Display for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far the damage of an action could reach.
///
/// Ordered from smallest to largest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Nothing is changed.
    None,
    /// One file, record or object.
    Single,
    /// A directory tree or a set of objects.
    Tree,
    /// A repository's history or a whole project.
    Project,
    /// A machine: its disks, system directories or home directory.
    Host,
    /// A cluster, cloud account, PaaS project or database server.
    Account,
    /// Unknown: the input could not be understood well enough to say.
    Unknown,
}

/// A blast-radius estimate: the scope plus a human note ("all of $HOME", "3 volumes").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlastRadius {
    pub scope: Scope,
    pub note: String,
}

impl BlastRadius {
    pub fn new(scope: Scope, note: impl Into<String>) -> Self {
        Self {
            scope,
            note: note.into(),
        }
    }
}

/// Who is acting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The agent identity, when the door knows it.
    pub agent: Option<String>,
    /// The agent session, when the door knows it.
    pub session: Option<String>,
}

/// The front door an action came through.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum Door {
    /// `blastwall check` / `explain` / `demo`.
    Check,
    /// An agent hook; the name is the agent (`claude-code`, `cursor`, ...).
    Hook(String),
    /// A wire or API proxy; the name says which.
    Proxy(String),
}

/// The input language a classifier understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Shell,
    Sql,
    Http,
}

impl Language {
    pub const fn as_str(self) -> &'static str {
        match self {
            Language::Shell => "shell",
            Language::Sql => "sql",
            Language::Http => "http",
        }
    }
}

/// What an action touches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// The kind of thing: `path`, `git-branch`, `kube-namespace`, `cloud-resource`, `process`, ...
    pub kind: String,
    /// Its name as far as the classifier could resolve it.
    pub name: String,
}

/// What the rule that judged an action proposes, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule id (`fs.rm.recursive-home`, `shell.unparseable`, ...).
    pub rule: String,
    /// The rule's own decision, before overrides and environment floors.
    pub decision: Decision,
    /// A sentence for the person who has to act: what, why, and what to do instead.
    pub reason: String,
    /// The part of the input that triggered the rule.
    pub span: Span,
}

/// One normalized thing an agent tries to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub principal: Principal,
    pub environment: Environment,
    pub door: Door,
    pub language: Language,
    /// The operation, as the classifier names it (`rm -r`, `git push --force`, `kubectl delete`).
    pub operation: String,
    pub resource: Resource,
    pub effect: Effect,
    pub blast_radius: BlastRadius,
    /// The part of the input this action came from (after unwrapping, decoding, nesting).
    pub raw: String,
    /// Where this action sits in the door's input.
    pub span: Span,
    /// How deep in wrappers, nested shells or decodings the action was found (0 = top level).
    pub depth: usize,
    /// How the classifier got here, outermost first (`bash -c`, `base64 -d | sh`, `function f`).
    pub via: Vec<String>,
    pub finding: Finding,
}
