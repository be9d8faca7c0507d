//! `blastwall init`: writes and removes the hook entries in each agent's own configuration file.
//!
//! | agent | user scope | project scope | entries |
//! |---|---|---|---|
//! | Claude Code | `~/.claude/settings.json` | `.claude/settings.json` | `hooks.PreToolUse`, matcher `Bash\|Write\|Edit\|MultiEdit\|NotebookEdit` |
//! | Cursor | `~/.cursor/hooks.json` | `.cursor/hooks.json` | `hooks.beforeShellExecution`, `hooks.beforeMCPExecution`, `failClosed: true` |
//! | Codex CLI | `~/.codex/config.toml` | `.codex/config.toml` | `[[hooks.PreToolUse]]`, matcher `^(Bash\|apply_patch)$` |
//! | Gemini CLI | `~/.gemini/settings.json` | `.gemini/settings.json` | `hooks.BeforeTool`, matcher `^(run_shell_command\|write_file\|replace)$` |
//!
//! Rules this module must keep: never overwrite a file it cannot parse (the error names the file
//! and the problem); keep every other key, hook and (in TOML) comment; keep a copy of the original
//! beside it once (`<file>.blastwall-backup`); change nothing when the hook is already there;
//! `uninstall` removes only blastwall's entries and, when nothing else changed, puts the original
//! bytes back.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, TableLike, value};

use crate::json::{self, Json};
use crate::{Agent, HookError};

/// Where to install: a project's directory or a user's home directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Project(PathBuf),
    User(PathBuf),
}

impl Scope {
    fn dir(&self) -> &Path {
        match self {
            Scope::Project(p) | Scope::User(p) => p,
        }
    }
}

/// What `install` or `uninstall` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallReport {
    pub agent: Agent,
    /// The configuration file.
    pub path: PathBuf,
    /// The hook command that is (or was) registered.
    pub hook_command: String,
    /// False when the file already was as wanted (nothing written).
    pub changed: bool,
    /// The copy of the original file, when one exists.
    pub backup: Option<PathBuf>,
    /// What the user still has to do in the agent, one sentence each.
    pub notes: Vec<String>,
}

/// The agent's configuration file blastwall edits in that scope.
pub fn config_path(agent: Agent, scope: &Scope) -> PathBuf {
    let (dir, file) = match agent {
        Agent::ClaudeCode => (".claude", "settings.json"),
        Agent::Cursor => (".cursor", "hooks.json"),
        Agent::Codex => (".codex", "config.toml"),
        Agent::Gemini => (".gemini", "settings.json"),
    };
    scope.dir().join(dir).join(file)
}

pub(crate) fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".blastwall-backup");
    path.with_file_name(name)
}

pub(crate) fn hook_command(agent: Agent, blastwall_command: &str) -> String {
    format!("{} hook {}", blastwall_command.trim(), agent.as_str())
}

/// The program part of a hook command blastwall wrote (`/usr/local/bin/blastwall`), when the
/// command is one of blastwall's: `<program> hook <agent>` with a program named `blastwall…`.
pub(crate) fn ours(command: &str, agent: Agent) -> Option<String> {
    let suffix = format!(" hook {}", agent.as_str());
    let program = command.trim().strip_suffix(&suffix)?.trim();
    let unquoted = program.trim_matches(|c| c == '"' || c == '\'');
    let name = Path::new(unquoted).file_name()?.to_str()?;
    name.starts_with("blastwall").then(|| unquoted.to_owned())
}

/// One hook event blastwall registers for an agent, with its matcher when the format has one.
pub(crate) struct Registration {
    pub event: &'static str,
    pub matcher: Option<&'static str>,
}

pub(crate) fn registrations(agent: Agent) -> &'static [Registration] {
    match agent {
        Agent::ClaudeCode => &[Registration {
            event: "PreToolUse",
            matcher: Some("Bash|Write|Edit|MultiEdit|NotebookEdit"),
        }],
        Agent::Cursor => &[
            Registration {
                event: "beforeShellExecution",
                matcher: None,
            },
            Registration {
                event: "beforeMCPExecution",
                matcher: None,
            },
        ],
        Agent::Codex => &[Registration {
            event: "PreToolUse",
            matcher: Some("^(Bash|apply_patch)$"),
        }],
        Agent::Gemini => &[Registration {
            event: "BeforeTool",
            matcher: Some("^(run_shell_command|write_file|replace)$"),
        }],
    }
}

fn notes(agent: Agent) -> Vec<String> {
    let note = match agent {
        Agent::ClaudeCode => {
            "Restart running Claude Code sessions so they load the hook; `/hooks` in Claude Code lists it."
        }
        Agent::Cursor => {
            "Restart Cursor so it loads the hook; the entries carry `failClosed: true`, so a hook that crashes or times out blocks the action instead of letting it through."
        }
        Agent::Codex => {
            "Codex runs a new hook only after you review and trust it: open `/hooks` in Codex once; project hooks load only in trusted projects."
        }
        Agent::Gemini => {
            "Restart Gemini CLI so it loads the hook; `/hooks` in Gemini CLI lists it."
        }
    };
    vec![note.to_owned()]
}

/// Registers `<blastwall_command> hook <agent>` in the agent's configuration for that scope.
pub fn install(
    agent: Agent,
    scope: &Scope,
    blastwall_command: &str,
) -> Result<InstallReport, HookError> {
    let path = config_path(agent, scope);
    let command = hook_command(agent, blastwall_command);
    let original = read_optional(&path)?;
    let updated = match agent {
        Agent::Codex => toml_install(&path, original.as_deref(), &command)?,
        _ => json_install(agent, &path, original.as_deref(), &command)?,
    };
    let backup = backup_path(&path);
    let changed = updated.is_some();
    if let Some(text) = updated {
        if let Some(original) = &original
            && !backup.exists()
        {
            write_atomically(&backup, original.as_bytes(), Some(&path))?;
        }
        write_atomically(&path, text.as_bytes(), Some(&path))?;
    }
    Ok(InstallReport {
        agent,
        path,
        hook_command: command,
        changed,
        backup: backup.exists().then_some(backup),
        notes: notes(agent),
    })
}

/// Removes what [`install`] added. When nothing else in the file changed since, the original
/// comes back byte for byte (or the file goes away if install created it).
pub fn uninstall(
    agent: Agent,
    scope: &Scope,
    blastwall_command: &str,
) -> Result<InstallReport, HookError> {
    let path = config_path(agent, scope);
    let command = hook_command(agent, blastwall_command);
    let backup = backup_path(&path);
    let mut report = InstallReport {
        agent,
        path: path.clone(),
        hook_command: command.clone(),
        changed: false,
        backup: None,
        notes: Vec::new(),
    };
    let Some(current) = read_optional(&path)? else {
        report.backup = backup.exists().then_some(backup);
        return Ok(report);
    };
    let saved = read_optional(&backup)?;

    // What install would have written over the backup (or over no file at all): if that is what
    // is there now, nothing else touched the file and the original can come back as it was.
    let reinstalled = match agent {
        Agent::Codex => toml_install(&path, saved.as_deref(), &command)?,
        _ => json_install(agent, &path, saved.as_deref(), &command)?,
    };
    let untouched_since_install = match (&reinstalled, &saved) {
        (Some(text), _) => same_content(agent, text, &current),
        (None, Some(saved)) => same_content(agent, saved, &current),
        (None, None) => false,
    };
    if untouched_since_install {
        match saved {
            Some(saved) => {
                write_atomically(&path, saved.as_bytes(), Some(&path))?;
                fs::remove_file(&backup).map_err(|source| HookError::Write {
                    path: backup.clone(),
                    source,
                })?;
            }
            None => fs::remove_file(&path).map_err(|source| HookError::Write {
                path: path.clone(),
                source,
            })?,
        }
        report.changed = true;
        return Ok(report);
    }

    let removed = match agent {
        Agent::Codex => toml_uninstall(&path, &current)?,
        _ => json_uninstall(agent, &path, &current)?,
    };
    if let Some(text) = removed {
        write_atomically(&path, text.as_bytes(), Some(&path))?;
        report.changed = true;
    }
    report.backup = backup.exists().then_some(backup);
    if report.backup.is_some() {
        report
            .notes
            .push("Other changes were made to the file since install, so it was edited in place; the original is still in the backup beside it.".to_owned());
    }
    Ok(report)
}

fn same_content(agent: Agent, a: &str, b: &str) -> bool {
    match agent {
        Agent::Codex => a == b,
        _ => match (parse_json_lenient(a), parse_json_lenient(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

fn parse_json_lenient(text: &str) -> Option<Json> {
    if text.trim().is_empty() {
        return Some(Json::Obj(Vec::new()));
    }
    json::parse(text).ok()
}

fn read_optional(path: &Path) -> Result<Option<String>, HookError> {
    match fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| HookError::Malformed {
                path: path.to_owned(),
                format: "UTF-8 text",
                detail: "the file is not UTF-8".into(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(HookError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes through a temporary file in the same directory and a rename, so a crash never leaves
/// half a configuration file; keeps the permissions of `like` when it exists.
fn write_atomically(path: &Path, bytes: &[u8], like: Option<&Path>) -> Result<(), HookError> {
    let err = |source| HookError::Write {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(err)?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".blastwall-tmp");
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if let Some(like) = like
            && let Ok(meta) = fs::metadata(like)
        {
            fs::set_permissions(&tmp, meta.permissions())?;
        }
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(err)
}

// ---------------------------------------------------------------------------------------------
// JSON (Claude Code, Cursor, Gemini CLI)

fn load_json(
    agent: Agent,
    path: &Path,
    text: Option<&str>,
    command: &str,
) -> Result<(Json, String), HookError> {
    let Some(text) = text else {
        return Ok((Json::Obj(Vec::new()), "  ".to_owned()));
    };
    if text.trim().is_empty() {
        return Ok((Json::Obj(Vec::new()), "  ".to_owned()));
    }
    if agent == Agent::Gemini && json::has_comments(text) {
        return Err(HookError::CommentsWouldBeLost {
            path: path.to_owned(),
            snippet: json_snippet(agent, command),
        });
    }
    let doc = json::parse(text).map_err(|e| HookError::Malformed {
        path: path.to_owned(),
        format: "JSON",
        detail: e.0,
    })?;
    if !matches!(doc, Json::Obj(_)) {
        return Err(shape(agent, path, "(top level)", &doc, "an object"));
    }
    Ok((doc, json::detect_indent(text)))
}

fn shape(agent: Agent, path: &Path, key: &str, found: &Json, expected: &'static str) -> HookError {
    HookError::UnexpectedShape {
        path: path.to_owned(),
        agent,
        key: key.to_owned(),
        found: found.kind(),
        expected,
    }
}

fn json_handler(agent: Agent, command: &str) -> Json {
    match agent {
        Agent::Cursor => Json::Obj(vec![
            ("command".into(), Json::str(command)),
            ("failClosed".into(), Json::Bool(true)),
        ]),
        Agent::Gemini => Json::Obj(vec![
            ("name".into(), Json::str("blastwall")),
            ("type".into(), Json::str("command")),
            ("command".into(), Json::str(command)),
            (
                "description".into(),
                Json::str("blastwall: stops destructive commands and writes"),
            ),
        ]),
        _ => Json::Obj(vec![
            ("type".into(), Json::str("command")),
            ("command".into(), Json::str(command)),
        ]),
    }
}

fn json_group(agent: Agent, reg: &Registration, command: &str) -> Json {
    let mut members = Vec::new();
    if let Some(m) = reg.matcher {
        members.push(("matcher".to_owned(), Json::str(m)));
    }
    members.push((
        "hooks".to_owned(),
        Json::Arr(vec![json_handler(agent, command)]),
    ));
    Json::Obj(members)
}

/// Cursor lists handlers directly under the event; the others group them under matchers.
fn flat(agent: Agent) -> bool {
    agent == Agent::Cursor
}

fn json_snippet(agent: Agent, command: &str) -> String {
    let mut hooks = Json::Obj(Vec::new());
    for reg in registrations(agent) {
        let entry = if flat(agent) {
            json_handler(agent, command)
        } else {
            json_group(agent, reg, command)
        };
        hooks.set(reg.event, Json::Arr(vec![entry]));
    }
    json::render(&hooks, "  ")
}

/// The handler objects of one event's array, with a flag saying where they live.
fn handlers_mut(agent: Agent, entries: &mut [Json]) -> Vec<&mut Json> {
    if flat(agent) {
        return entries.iter_mut().collect();
    }
    let mut out = Vec::new();
    for group in entries.iter_mut() {
        if let Some(Json::Arr(hs)) = group.get_mut("hooks") {
            out.extend(hs.iter_mut());
        }
    }
    out
}

/// Adds blastwall's entries to the document; false when they were all there already.
fn json_add(agent: Agent, path: &Path, doc: &mut Json, command: &str) -> Result<bool, HookError> {
    let mut changed = false;
    if agent == Agent::Cursor && doc.get("version").is_none() {
        if let Json::Obj(members) = doc {
            members.insert(0, ("version".to_owned(), Json::Num("1".to_owned())));
        }
        changed = true;
    }
    if doc.get("hooks").is_none() {
        doc.set("hooks", Json::Obj(Vec::new()));
    }
    let hooks = doc.get_mut("hooks").expect("just set");
    if !matches!(hooks, Json::Obj(_)) {
        return Err(shape(
            agent,
            path,
            "hooks",
            hooks,
            "an object of hook events",
        ));
    }
    for reg in registrations(agent) {
        if hooks.get(reg.event).is_none() {
            hooks.set(reg.event, Json::Arr(Vec::new()));
        }
        let Some(Json::Arr(entries)) = hooks.get_mut(reg.event) else {
            let found = hooks.get(reg.event).expect("just set");
            return Err(shape(
                agent,
                path,
                &format!("hooks.{}", reg.event),
                found,
                "an array",
            ));
        };
        let mut present = false;
        for handler in handlers_mut(agent, entries) {
            let Some(existing) = handler.get("command").and_then(Json::as_str) else {
                continue;
            };
            if ours(existing, agent).is_some() {
                present = true;
                if existing != command {
                    // A blastwall that moved: point the entry at the new command.
                    handler.set("command", Json::str(command));
                    changed = true;
                }
            }
        }
        if !present {
            entries.push(if flat(agent) {
                json_handler(agent, command)
            } else {
                json_group(agent, reg, command)
            });
            changed = true;
        }
    }
    Ok(changed)
}

/// Removes every blastwall entry, and the groups, events and `hooks` object left empty by that.
fn json_remove(agent: Agent, doc: &mut Json) -> bool {
    let mut changed = false;
    let Some(hooks) = doc.get_mut("hooks") else {
        return false;
    };
    let is_ours = |h: &Json| {
        h.get("command")
            .and_then(Json::as_str)
            .is_some_and(|c| ours(c, agent).is_some())
    };
    for reg in registrations(agent) {
        let Some(Json::Arr(entries)) = hooks.get_mut(reg.event) else {
            continue;
        };
        let mut event_changed = false;
        if flat(agent) {
            let before = entries.len();
            entries.retain(|h| !is_ours(h));
            event_changed = entries.len() != before;
        } else {
            entries.retain_mut(|group| {
                let Some(Json::Arr(hs)) = group.get_mut("hooks") else {
                    return true;
                };
                let n = hs.len();
                hs.retain(|h| !is_ours(h));
                if hs.len() == n {
                    return true;
                }
                event_changed = true;
                !hs.is_empty()
            });
        }
        if event_changed {
            changed = true;
            if entries.is_empty() {
                hooks.remove(reg.event);
            }
        }
    }
    if changed && matches!(hooks, Json::Obj(m) if m.is_empty()) {
        doc.remove("hooks");
    }
    changed
}

fn json_install(
    agent: Agent,
    path: &Path,
    text: Option<&str>,
    command: &str,
) -> Result<Option<String>, HookError> {
    let (mut doc, indent) = load_json(agent, path, text, command)?;
    if json_add(agent, path, &mut doc, command)? {
        Ok(Some(json::render(&doc, &indent)))
    } else {
        Ok(None)
    }
}

fn json_uninstall(agent: Agent, path: &Path, text: &str) -> Result<Option<String>, HookError> {
    let (mut doc, indent) = load_json(agent, path, Some(text), "")?;
    if json_remove(agent, &mut doc) {
        Ok(Some(json::render(&doc, &indent)))
    } else {
        Ok(None)
    }
}

// ---------------------------------------------------------------------------------------------
// TOML (Codex CLI)

const CODEX_STATUS: &str = "blastwall: checking the action";

fn load_toml(path: &Path, text: Option<&str>) -> Result<DocumentMut, HookError> {
    text.unwrap_or("")
        .parse::<DocumentMut>()
        .map_err(|e| HookError::Malformed {
            path: path.to_owned(),
            format: "TOML",
            detail: e.to_string().trim().replace('\n', " "),
        })
}

fn toml_shape(path: &Path, key: &str, found: &Item, expected: &'static str) -> HookError {
    HookError::UnexpectedShape {
        path: path.to_owned(),
        agent: Agent::Codex,
        key: key.to_owned(),
        found: found.type_name(),
        expected,
    }
}

fn toml_handler(command: &str) -> Table {
    let mut handler = Table::new();
    handler.insert("type", value("command"));
    handler.insert("command", value(command));
    handler.insert("statusMessage", value(CODEX_STATUS));
    handler
}

/// The handler tables of one `[[hooks.<event>]]` group.
fn toml_group_handlers(group: &mut Table) -> Vec<&mut dyn TableLike> {
    match group.get_mut("hooks") {
        Some(Item::ArrayOfTables(aot)) => aot.iter_mut().map(|t| t as &mut dyn TableLike).collect(),
        Some(Item::Value(toml_edit::Value::Array(arr))) => arr
            .iter_mut()
            .filter_map(|v| v.as_inline_table_mut().map(|t| t as &mut dyn TableLike))
            .collect(),
        _ => Vec::new(),
    }
}

fn toml_add(path: &Path, doc: &mut DocumentMut, command: &str) -> Result<bool, HookError> {
    let mut changed = false;
    let hooks = doc.entry("hooks").or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    });
    let Item::Table(hooks) = hooks else {
        return Err(toml_shape(path, "hooks", hooks, "a table of hook events"));
    };
    for reg in registrations(Agent::Codex) {
        let groups = hooks
            .entry(reg.event)
            .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
        let Item::ArrayOfTables(groups) = groups else {
            return Err(toml_shape(
                path,
                &format!("hooks.{}", reg.event),
                groups,
                "an array of tables ([[hooks.PreToolUse]])",
            ));
        };
        let mut present = false;
        for group in groups.iter_mut() {
            for handler in toml_group_handlers(group) {
                let Some(existing) = handler.get("command").and_then(Item::as_str) else {
                    continue;
                };
                if ours(existing, Agent::Codex).is_some() {
                    present = true;
                    if existing != command {
                        // A blastwall that moved: point the entry at the new command.
                        handler.insert("command", value(command));
                        changed = true;
                    }
                }
            }
        }
        if !present {
            let mut handlers = ArrayOfTables::new();
            handlers.push(toml_handler(command));
            let mut group = Table::new();
            if let Some(m) = reg.matcher {
                group.insert("matcher", value(m));
            }
            group.insert("hooks", Item::ArrayOfTables(handlers));
            groups.push(group);
            changed = true;
        }
    }
    Ok(changed)
}

fn toml_remove(doc: &mut DocumentMut) -> bool {
    let mut changed = false;
    let Some(Item::Table(hooks)) = doc.get_mut("hooks") else {
        return false;
    };
    let is_ours = |cmd: Option<&str>| cmd.is_some_and(|c| ours(c, Agent::Codex).is_some());
    for reg in registrations(Agent::Codex) {
        let Some(Item::ArrayOfTables(groups)) = hooks.get_mut(reg.event) else {
            continue;
        };
        let mut emptied = Vec::new();
        for (i, group) in groups.iter_mut().enumerate() {
            let removed = match group.get_mut("hooks") {
                Some(Item::ArrayOfTables(aot)) => {
                    let n = aot.len();
                    aot.retain(|t| !is_ours(t.get("command").and_then(Item::as_str)));
                    (aot.len() != n).then_some(aot.is_empty())
                }
                Some(Item::Value(toml_edit::Value::Array(arr))) => {
                    let n = arr.len();
                    arr.retain(|v| {
                        !is_ours(
                            v.as_inline_table()
                                .and_then(|t| t.get("command"))
                                .and_then(|c| c.as_str()),
                        )
                    });
                    (arr.len() != n).then_some(arr.is_empty())
                }
                _ => None,
            };
            if let Some(now_empty) = removed {
                changed = true;
                if now_empty {
                    emptied.push(i);
                }
            }
        }
        let event_changed = !emptied.is_empty() || changed;
        for i in emptied.into_iter().rev() {
            groups.remove(i);
        }
        if event_changed && groups.is_empty() {
            hooks.remove(reg.event);
        }
    }
    if changed && hooks.is_empty() {
        doc.remove("hooks");
    }
    changed
}

fn toml_install(
    path: &Path,
    text: Option<&str>,
    command: &str,
) -> Result<Option<String>, HookError> {
    let mut doc = load_toml(path, text)?;
    Ok(toml_add(path, &mut doc, command)?.then(|| doc.to_string()))
}

fn toml_uninstall(path: &Path, text: &str) -> Result<Option<String>, HookError> {
    let mut doc = load_toml(path, Some(text))?;
    Ok(toml_remove(&mut doc).then(|| doc.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Reading back, for doctor

/// The hook commands of blastwall's registered in one configuration file, or what is wrong with
/// the file. A missing file has none.
pub(crate) fn registered_commands(agent: Agent, path: &Path) -> Result<Vec<String>, String> {
    let text = match read_optional(path) {
        Ok(Some(t)) => t,
        Ok(None) => return Ok(Vec::new()),
        Err(e) => return Err(e.to_string()),
    };
    let mut found = Vec::new();
    let is_toml = path.extension().is_some_and(|e| e == "toml");
    if is_toml {
        let mut doc = load_toml(path, Some(&text)).map_err(|e| e.to_string())?;
        if let Some(Item::Table(hooks)) = doc.get_mut("hooks") {
            for reg in registrations(agent) {
                if let Some(Item::ArrayOfTables(groups)) = hooks.get_mut(reg.event) {
                    for group in groups.iter_mut() {
                        for h in toml_group_handlers(group) {
                            if let Some(c) = h.get("command").and_then(Item::as_str)
                                && ours(c, agent).is_some()
                            {
                                found.push(c.to_owned());
                            }
                        }
                    }
                }
            }
        }
        return Ok(found);
    }
    if text.trim().is_empty() {
        return Ok(found);
    }
    let doc = json::parse(&text)
        .map_err(|e| format!("{} is not valid JSON ({})", path.display(), e.0))?;
    // Codex's hooks.json uses the grouped layout of Claude Code.
    let layout = if agent == Agent::Codex {
        Agent::ClaudeCode
    } else {
        agent
    };
    if let Some(hooks) = doc.get("hooks") {
        for reg in registrations(agent) {
            if let Some(Json::Arr(entries)) = hooks.get(reg.event) {
                let mut entries = entries.clone();
                for h in handlers_mut(layout, &mut entries) {
                    if let Some(c) = h.get("command").and_then(Json::as_str)
                        && ours(c, agent).is_some()
                    {
                        if agent == Agent::Cursor && h.get("failClosed") != Some(&Json::Bool(true))
                        {
                            return Err(format!(
                                "the blastwall entry under `{}` in {} lacks `\"failClosed\": true`, so a crashed hook would let the action through",
                                reg.event,
                                path.display()
                            ));
                        }
                        found.push(c.to_owned());
                    }
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_its_own_commands_only() {
        assert_eq!(
            ours("blastwall hook codex", Agent::Codex).as_deref(),
            Some("blastwall")
        );
        assert_eq!(
            ours("/opt/bin/blastwall hook cursor", Agent::Cursor).as_deref(),
            Some("/opt/bin/blastwall")
        );
        assert_eq!(
            ours("'/My Tools/blastwall' hook gemini", Agent::Gemini).as_deref(),
            Some("/My Tools/blastwall")
        );
        assert!(ours("blastwall hook codex", Agent::Cursor).is_none());
        assert!(ours("other-guard hook codex", Agent::Codex).is_none());
        assert!(ours("python3 check.py", Agent::ClaudeCode).is_none());
    }
}
