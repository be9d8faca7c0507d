//! The pack file format: the serde model of a pack, its validation, and the names of the packs
//! embedded in the binary.
//!
//! The build script includes this file and `paths.rs` to parse and check the embedded packs at
//! build time with exactly the model and checks the runtime applies to user packs, so neither may
//! depend on anything else in the crate.

use blastwall_core::{Decision, Effect, Scope, glob};
use serde::{Deserialize, Serialize};

use crate::paths::{PathClass, PathLists};

/// The packs compiled into the binary (`packs/NAME.toml`), in load order.
// The library itself reads only what the build script encoded from this list.
#[cfg_attr(not(test), allow(dead_code))]
pub const EMBEDDED_PACKS: &[&str] = &[
    "shell",
    "filesystem",
    "git",
    "containers",
    "iac",
    "cloud",
    "paas",
    "databases",
    "system",
    "network",
    "windows",
];

/// A pack that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("rule pack {origin}: {message}")]
    Syntax { origin: String, message: String },
    #[error("rule pack {origin}: rule `{rule}`: {message}")]
    Invalid {
        origin: String,
        rule: String,
        message: String,
    },
}

/// One pack file.
#[derive(Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PackFile {
    pub pack: PackMeta,
    #[serde(default)]
    pub paths: Option<PathLists>,
    /// Programs that only read (their invocations are `read` when no rule matches).
    #[serde(default)]
    pub read_only: Vec<String>,
    /// Branch names (wildcards allowed) that force-pushes and deletions must not touch.
    #[serde(default)]
    pub protected_branches: Vec<String>,
    /// Commands (wildcards) whose output is shell code meant to be `eval`ed or `source`d
    /// (`direnv hook bash`): running their output is not unknown code.
    #[serde(default)]
    pub trusted_code_producers: Vec<String>,
    #[serde(default)]
    pub program: Vec<ProgramSpec>,
    #[serde(default)]
    pub wrapper: Vec<WrapperSpec>,
    #[serde(default)]
    pub shell: Vec<ShellSpec>,
    #[serde(default)]
    pub interpreter: Vec<InterpreterSpec>,
    #[serde(default)]
    pub code_call: Vec<CodeCall>,
    #[serde(default)]
    pub rule: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PackMeta {
    pub id: String,
    pub description: String,
}

/// How to read a program's command line.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProgramSpec {
    pub names: Vec<String>,
    /// Options whose value is the next argument (so it is not a positional).
    #[serde(default)]
    pub value_options: Vec<String>,
    /// `true` where `-h` alone asks for help (`kubectl -h`); elsewhere it may mean anything
    /// (`shutdown -h now`, `grep -h`), so only `--help` counts.
    #[serde(default)]
    pub dash_h_is_help: bool,
    /// `true` where the word `help` anywhere asks for help (`aws s3 rb help`).
    #[serde(default)]
    pub help_word: bool,
    /// `true` for clients that read their commands from standard input when none are given
    /// (`echo FLUSHALL | redis-cli`): known input becomes arguments.
    #[serde(default)]
    pub stdin_as_args: bool,
    /// Options whose value is shell source the program runs: `OPT` (`fly ssh console -C CMD`)
    /// or `OPT:PREFIX` where the value starts with PREFIX (`git -c core.pager=CMD`,
    /// `ssh -o ProxyCommand=CMD`, `vim -c '!CMD'` as `-c:!`).
    #[serde(default)]
    pub shell_options: Vec<String>,
    /// The command this program is equivalent to, its arguments appended (`rimraf` → `rm -rf`).
    #[serde(default)]
    pub equivalent: Vec<String>,
}

/// How a wrapper passes control to the command it wraps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WrapperMode {
    /// The remaining words are a command (`sudo rm ...`, `timeout 5 rm ...`).
    #[default]
    Exec,
    /// The remaining words, joined by spaces, are shell source (`ssh host 'rm ...'`, `watch ...`).
    ShellString,
    /// Like `Exec`, after skipping `NAME=value` words (`env FOO=1 rm ...`).
    Env,
    /// The command follows `--` (`kubectl exec pod -- rm ...`), or the positionals after `skip`.
    AfterDoubleDash,
    /// The remaining words are a command that gets more arguments from standard input (`xargs`).
    Xargs,
}

/// A program that runs another program.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WrapperSpec {
    pub names: Vec<String>,
    /// Subcommand words that must come first for this to be a wrapper (`["exec"]` for kubectl).
    #[serde(default)]
    pub subcommand: Vec<String>,
    #[serde(default)]
    pub value_options: Vec<String>,
    /// Positionals consumed before the wrapped command (the duration of `timeout`, the host of `ssh`).
    #[serde(default)]
    pub skip: usize,
    #[serde(default)]
    pub mode: WrapperMode,
    /// Flags that make a shell-string wrapper run its words as a command instead (`watch -x`).
    #[serde(default)]
    pub exec_flags: Vec<String>,
    /// Images whose entrypoint is a known program (`hashicorp/terraform:1.8 destroy` runs
    /// `terraform destroy`): pattern, program.
    #[serde(default)]
    pub entrypoints: Vec<(String, String)>,
}

/// A shell that runs source given with a flag, from a file, or on standard input.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ShellSpec {
    pub names: Vec<String>,
    /// The flag letter that takes source (`c`), also inside clusters (`-lc`).
    pub code_flag: String,
    /// Runs only what it reads on standard input; its positionals are not scripts (`at now`).
    #[serde(default)]
    pub stdin_only: bool,
}

/// An interpreter whose one-liners are scanned for destructive library calls.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InterpreterSpec {
    pub names: Vec<String>,
    pub language: String,
    /// Flags whose value is source code (`-c`, `-e`, `--eval`).
    pub code_flags: Vec<String>,
    /// The first positional is the code (`awk 'BEGIN{…}'`).
    #[serde(default)]
    pub code_positional: bool,
}

/// A library call in interpreter code, mapped to the shell command with the same effect, so that
/// the same path-aware rules judge `shutil.rmtree('/')` and `rm -rf /`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CodeCall {
    pub languages: Vec<String>,
    /// Call names as written (`shutil.rmtree`, `fs.rmSync`, `system`).
    pub calls: Vec<String>,
    /// The equivalent command words; the call's string arguments are appended. The single word
    /// `shell` means the argument is shell source (a string) or an argument vector (a list).
    pub equivalent: Vec<String>,
    /// Extra words added when the call's text contains this marker (`recursive: true` → `-r`).
    #[serde(default)]
    pub when_contains: Vec<(String, String)>,
    /// Also match the call without parentheses (`fork while fork`, `exec "…"`).
    #[serde(default)]
    pub bare: bool,
}

/// Which arguments are a rule's targets.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetMode {
    /// Positionals after the subcommand words.
    #[default]
    Operands,
    /// Only the last positional (`cp src DEST`).
    Last,
    /// The values of `key=value` arguments with this key (`dd of=...`).
    Key(String),
    /// Git refspecs after the remote (`git push origin +HEAD:main`): the destination branches,
    /// classed `protected` (see `protected_branches`), `unresolved` (none given: the current
    /// branch) or `ordinary`.
    Refspecs,
}

/// One rule: which invocations it matches and what it decides.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    /// Program base names (wildcards allowed: `mkfs*`).
    pub programs: Vec<String>,
    /// Words that must appear in order among the positionals, the first one first (wildcards;
    /// alternatives with `|`: `rm|remove`).
    #[serde(default)]
    pub subcommand: Vec<String>,
    /// Some positional after the program must match one of these (wildcards): for verbs that may
    /// sit at any depth (`aws rds delete-db-instance`, `heroku apps:destroy`).
    #[serde(default)]
    pub any_positional: Patterns,
    /// No positional may match any of these (exceptions: `kubectl delete pod` is not `k8s.delete`).
    #[serde(default)]
    pub no_positional: Patterns,
    /// Each entry must be present; an entry may list alternatives with `|` (`-r|-R|--recursive`).
    #[serde(default)]
    pub flags: Vec<String>,
    /// None of these may be present (`--dry-run*`, `-n`).
    #[serde(default)]
    pub no_flags: Vec<String>,
    /// Some argument must match one of these wildcard patterns (`*0.0.0.0/0*`).
    #[serde(default)]
    pub any_arg: Patterns,
    /// Some target must be of one of these classes.
    #[serde(default)]
    pub targets: Vec<PathClass>,
    #[serde(default)]
    pub targets_from: TargetMode,
    /// The target when the command names none (`git clean -f` cleans `.`).
    #[serde(default)]
    pub default_target: Option<String>,
    /// Only for programs nothing else in the packs knows (no other rule, program spec, wrapper,
    /// shell, interpreter or read-only entry names them): the catch-all for unknown tools.
    #[serde(default)]
    pub unless_known: bool,
    pub effect: Effect,
    pub decision: Decision,
    #[serde(default)]
    pub scope: Option<Scope>,
    pub reason: String,
    /// What to do instead, shown after the reason.
    #[serde(default)]
    pub instead: Option<String>,
}

/// A list of wildcard patterns, split on first use into exact words (a set lookup) and real
/// patterns: a process judges one command, so most rules' lists are never looked at.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Patterns {
    list: Vec<String>,
    #[serde(skip)]
    split: std::sync::OnceLock<SplitPatterns>,
}

#[derive(Clone)]
struct SplitPatterns {
    exact: std::collections::HashSet<String>,
    wildcard: Vec<String>,
}

impl Patterns {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Does `text` match one of the patterns?
    pub fn matches(&self, text: &str) -> bool {
        let split = self.split.get_or_init(|| {
            let (wildcard, exact): (Vec<String>, Vec<String>) =
                self.list.iter().cloned().partition(|p| glob::is_pattern(p));
            SplitPatterns {
                exact: exact.into_iter().collect(),
                wildcard,
            }
        });
        split.exact.contains(text) || split.wildcard.iter().any(|p| glob::matches(p, text))
    }
}

/// Equal lists are equal whether or not either has been split yet.
impl PartialEq for Patterns {
    fn eq(&self, other: &Patterns) -> bool {
        self.list == other.list
    }
}

impl std::fmt::Debug for Patterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.list).finish()
    }
}

impl PackFile {
    /// Parses and checks one pack's text; `origin` names the pack in errors. Program names are
    /// lower-cased here, so that every loaded pack, embedded or not, is matched the same way.
    pub fn parse(text: &str, origin: &str) -> Result<PackFile, PackError> {
        let mut file: PackFile = toml::from_str(text).map_err(|e| PackError::Syntax {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        for rule in &file.rule {
            validate(rule).map_err(|message| PackError::Invalid {
                origin: origin.to_owned(),
                rule: rule.id.clone(),
                message,
            })?;
        }
        // Program names are matched lower-case (`Set-MpPreference`, `RM` on a case-insensitive
        // file system).
        for names in file
            .rule
            .iter_mut()
            .map(|r| &mut r.programs)
            .chain(file.program.iter_mut().map(|p| &mut p.names))
            .chain(file.wrapper.iter_mut().map(|w| &mut w.names))
            .chain(file.shell.iter_mut().map(|s| &mut s.names))
            .chain(file.interpreter.iter_mut().map(|i| &mut i.names))
        {
            for n in names.iter_mut() {
                if !n.starts_with('<') {
                    *n = n.to_lowercase();
                }
            }
        }
        Ok(file)
    }
}

fn validate(rule: &Rule) -> Result<(), String> {
    if rule.id.trim().is_empty() {
        return Err("the id is empty".into());
    }
    if rule.programs.is_empty() {
        return Err("`programs` is empty: say which programs the rule is about".into());
    }
    if rule.reason.trim().is_empty() {
        return Err("`reason` is empty: say what the rule stops and why".into());
    }
    Ok(())
}
