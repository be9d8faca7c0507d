//! `blastwall doctor`: which agents are on this machine, whether blastwall's hook is registered for
//! each (user and project), whether the command it runs exists, and one sentence on what to do.
//!
//! This module only reads. It never edits a configuration file and never runs the hook (the
//! binary checks that the hook answers).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::install::{config_path, registered_commands};
use crate::{Agent, Scope};

/// One configuration file where the hook can be registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookPlacement {
    pub path: PathBuf,
    /// blastwall's hook is registered here.
    pub installed: bool,
    /// The registered hook command, when installed.
    pub command: Option<String>,
    /// What is wrong with the file (unreadable, malformed, an unsafe entry), if anything.
    pub problem: Option<String>,
}

/// How one agent on this machine stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentStatus {
    pub agent: Agent,
    /// Why the agent counts as present: its configuration directories and programs found.
    pub found_by: Vec<String>,
    /// The user-wide configuration files (the first is the one `init` writes).
    pub user: Vec<HookPlacement>,
    /// The project's configuration files, when a project directory was given.
    pub project: Vec<HookPlacement>,
    /// The program of every registered hook command exists and is executable.
    pub command_ok: bool,
    /// What is wrong with the command, when `command_ok` is false.
    pub command_problem: Option<String>,
    /// One actionable sentence when the agent is not protected; `None` when it is.
    pub advice: Option<String>,
}

impl AgentStatus {
    pub fn installed(&self) -> bool {
        self.user.iter().chain(&self.project).any(|p| p.installed)
    }

    /// Registered somewhere, with a runnable command and no problem in any file.
    pub fn is_protected(&self) -> bool {
        self.advice.is_none()
    }
}

/// Checks every agent found under `home`, in `project_dir` or on `PATH`.
pub fn doctor(
    home: &Path,
    project_dir: Option<&Path>,
    blastwall_command: &str,
) -> Vec<AgentStatus> {
    let path = std::env::var_os("PATH");
    doctor_in(home, project_dir, blastwall_command, path.as_deref())
}

/// [`doctor`] with an explicit `PATH`, for callers (and tests) that control the environment.
pub fn doctor_in(
    home: &Path,
    project_dir: Option<&Path>,
    blastwall_command: &str,
    path_var: Option<&OsStr>,
) -> Vec<AgentStatus> {
    Agent::ALL
        .into_iter()
        .filter_map(|agent| check(agent, home, project_dir, blastwall_command, path_var))
        .collect()
}

fn dot_dir(agent: Agent) -> &'static str {
    match agent {
        Agent::ClaudeCode => ".claude",
        Agent::Cursor => ".cursor",
        Agent::Codex => ".codex",
        Agent::Gemini => ".gemini",
    }
}

fn programs(agent: Agent) -> &'static [&'static str] {
    match agent {
        Agent::ClaudeCode => &["claude"],
        Agent::Cursor => &["cursor", "cursor-agent"],
        Agent::Codex => &["codex"],
        Agent::Gemini => &["gemini"],
    }
}

/// Every file the agent reads hooks from in one scope; the one `init` writes comes first.
fn candidate_files(agent: Agent, scope: &Scope) -> Vec<PathBuf> {
    let main = config_path(agent, scope);
    let dir = main.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut files = vec![main];
    match (agent, scope) {
        (Agent::ClaudeCode, Scope::Project(_)) => files.push(dir.join("settings.local.json")),
        (Agent::Codex, _) => files.push(dir.join("hooks.json")),
        _ => {}
    }
    files
}

fn placements(agent: Agent, scope: &Scope) -> Vec<HookPlacement> {
    candidate_files(agent, scope)
        .into_iter()
        .map(|path| match registered_commands(agent, &path) {
            Ok(commands) => HookPlacement {
                installed: !commands.is_empty(),
                command: commands.into_iter().next(),
                problem: None,
                path,
            },
            Err(problem) => HookPlacement {
                path,
                installed: false,
                command: None,
                problem: Some(problem),
            },
        })
        .collect()
}

fn check(
    agent: Agent,
    home: &Path,
    project_dir: Option<&Path>,
    blastwall_command: &str,
    path_var: Option<&OsStr>,
) -> Option<AgentStatus> {
    let mut found_by = Vec::new();
    let user_dir = home.join(dot_dir(agent));
    if user_dir.is_dir() {
        found_by.push(user_dir.display().to_string());
    }
    if let Some(project) = project_dir {
        let dir = project.join(dot_dir(agent));
        if dir.is_dir() {
            found_by.push(dir.display().to_string());
        }
    }
    for program in programs(agent) {
        if let Some(p) = find_on_path(program, path_var) {
            found_by.push(p.display().to_string());
        }
    }
    if found_by.is_empty() {
        return None;
    }

    let user = placements(agent, &Scope::User(home.to_owned()));
    let project = project_dir
        .map(|p| placements(agent, &Scope::Project(p.to_owned())))
        .unwrap_or_default();

    let mut command_problem = None;
    for placement in user.iter().chain(&project) {
        if let Some(command) = &placement.command
            && let Some(problem) = program_problem(agent, command, path_var)
        {
            command_problem = Some(problem);
            break;
        }
    }
    let command_ok = command_problem.is_none();

    let init = format!("{} init {}", blastwall_command.trim(), agent.as_str());
    let advice = if let Some(bad) = user.iter().chain(&project).find(|p| p.problem.is_some()) {
        Some(format!(
            "Fix {}: {}; then run `{init}` again.",
            bad.path.display(),
            bad.problem
                .as_deref()
                .unwrap_or_default()
                .trim_end_matches('.')
        ))
    } else if !user.iter().chain(&project).any(|p| p.installed) {
        Some(format!(
            "{} runs unguarded: run `{init}` to register the hook in {}.",
            agent.display_name(),
            user[0].path.display()
        ))
    } else {
        command_problem.as_ref().map(|problem| {
            format!("{problem}: install blastwall at a fixed path and run `{init}` again with that path.")
        })
    };

    Some(AgentStatus {
        agent,
        found_by,
        user,
        project,
        command_ok,
        command_problem,
        advice,
    })
}

/// Why the program of a registered hook command cannot run, if it cannot.
fn program_problem(agent: Agent, command: &str, path_var: Option<&OsStr>) -> Option<String> {
    let program = crate::install::ours(command, agent)?;
    if program.contains('/') {
        let p = Path::new(&program);
        if !p.is_file() {
            return Some(format!("the hook runs `{program}`, which does not exist"));
        }
        if !is_executable(p) {
            return Some(format!(
                "the hook runs `{program}`, which is not executable"
            ));
        }
        return None;
    }
    match find_on_path(&program, path_var) {
        Some(_) => None,
        None => Some(format!("the hook runs `{program}`, which is not on PATH")),
    }
}

fn find_on_path(program: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let path_var: OsString = path_var?.to_owned();
    std::env::split_paths(&path_var)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file() && is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}
