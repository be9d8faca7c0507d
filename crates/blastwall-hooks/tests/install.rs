//! `install` and `uninstall` on absent, empty, existing and malformed configuration files, twice,
//! then back: other hooks and keys survive, the original comes back byte for byte.

use std::fs;
use std::path::Path;

use blastwall_hooks::{Agent, HookError, Scope, config_path, doctor_in, install, uninstall};
use serde_json::Value;

const CMD: &str = "/opt/blastwall/bin/blastwall";

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap()
}

fn backup_of(p: &Path) -> std::path::PathBuf {
    p.with_file_name(format!(
        "{}.blastwall-backup",
        p.file_name().unwrap().to_str().unwrap()
    ))
}

/// The existing file of each agent: someone else's hooks, other settings, unusual key order.
fn existing(agent: Agent) -> &'static str {
    match agent {
        Agent::ClaudeCode => concat!(
            "{\n",
            "    \"permissions\": {\n",
            "        \"allow\": [\"Bash(npm test)\"]\n",
            "    },\n",
            "    \"hooks\": {\n",
            "        \"PreToolUse\": [\n",
            "            {\n",
            "                \"matcher\": \"Bash\",\n",
            "                \"hooks\": [{\"type\": \"command\", \"command\": \"python3 audit.py\"}]\n",
            "            }\n",
            "        ],\n",
            "        \"PostToolUse\": [{\"matcher\": \"Write\", \"hooks\": [{\"type\": \"command\", \"command\": \"prettier -w\"}]}]\n",
            "    },\n",
            "    \"model\": \"opus\"\n",
            "}"
        ),
        Agent::Cursor => {
            "{\"version\":1,\"hooks\":{\"afterFileEdit\":[{\"command\":\"./format.sh\"}],\"beforeShellExecution\":[{\"command\":\"./audit.sh\",\"timeout\":5}]}}"
        }
        Agent::Codex => concat!(
            "# my Codex settings\n",
            "model = \"gpt-5-codex\"  # the default model\n",
            "approval_policy = \"on-request\"\n",
            "\n",
            "[features]\n",
            "hooks = true\n",
            "\n",
            "# audit every command\n",
            "[[hooks.PreToolUse]]\n",
            "matcher = \"^Bash$\"\n",
            "\n",
            "[[hooks.PreToolUse.hooks]]\n",
            "type = \"command\"\n",
            "command = \"python3 ~/.codex/audit.py\"\n",
            "\n",
            "[mcp_servers.docs]\n",
            "command = \"docs-mcp\"\n",
        ),
        Agent::Gemini => {
            "{\n  \"theme\": \"GitHub\",\n  \"hooks\": {\n    \"SessionStart\": [{\"hooks\": [{\"type\": \"command\", \"command\": \"./hello.sh\"}]}]\n  },\n  \"general\": {\"vimMode\": true}\n}\n"
        }
    }
}

fn project(agent: Agent, contents: Option<&str>) -> (tempfile::TempDir, Scope, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let scope = Scope::Project(dir.path().to_owned());
    let path = config_path(agent, &scope);
    if let Some(c) = contents {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, c).unwrap();
    }
    (dir, scope, path)
}

fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

fn hook_command(agent: Agent) -> String {
    format!("{CMD} hook {}", agent.as_str())
}

#[test]
fn config_paths() {
    let home = Scope::User("/home/u".into());
    let proj = Scope::Project("/src/app".into());
    assert_eq!(
        config_path(Agent::ClaudeCode, &home),
        Path::new("/home/u/.claude/settings.json")
    );
    assert_eq!(
        config_path(Agent::Cursor, &proj),
        Path::new("/src/app/.cursor/hooks.json")
    );
    assert_eq!(
        config_path(Agent::Codex, &home),
        Path::new("/home/u/.codex/config.toml")
    );
    assert_eq!(
        config_path(Agent::Gemini, &proj),
        Path::new("/src/app/.gemini/settings.json")
    );
}

#[test]
fn absent_file_is_created_then_removed() {
    for agent in Agent::ALL {
        let (_dir, scope, path) = project(agent, None);
        let first = install(agent, &scope, CMD).unwrap();
        assert!(
            first.changed && first.backup.is_none(),
            "{agent}: {first:?}"
        );
        let text = read(&path);
        assert_eq!(
            count(&text, &hook_command(agent)),
            if agent == Agent::Cursor { 2 } else { 1 },
            "{agent}:\n{text}"
        );

        let second = install(agent, &scope, CMD).unwrap();
        assert!(!second.changed, "{agent}: second install changed the file");
        assert_eq!(read(&path), text);

        let gone = uninstall(agent, &scope, CMD).unwrap();
        assert!(gone.changed);
        assert!(
            !path.exists(),
            "{agent}: install created the file, uninstall removes it"
        );
    }
}

#[test]
fn written_shapes_are_what_each_agent_reads() {
    let (_d, scope, path) = project(Agent::ClaudeCode, None);
    install(Agent::ClaudeCode, &scope, CMD).unwrap();
    let v: Value = serde_json::from_str(&read(&path)).unwrap();
    assert_eq!(
        v["hooks"]["PreToolUse"][0]["matcher"],
        "Bash|Write|Edit|MultiEdit|NotebookEdit"
    );
    assert_eq!(v["hooks"]["PreToolUse"][0]["hooks"][0]["type"], "command");
    assert_eq!(
        v["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
        hook_command(Agent::ClaudeCode)
    );

    let (_d, scope, path) = project(Agent::Cursor, None);
    install(Agent::Cursor, &scope, CMD).unwrap();
    let v: Value = serde_json::from_str(&read(&path)).unwrap();
    assert_eq!(v["version"], 1);
    for event in ["beforeShellExecution", "beforeMCPExecution"] {
        assert_eq!(v["hooks"][event][0]["command"], hook_command(Agent::Cursor));
        assert_eq!(v["hooks"][event][0]["failClosed"], true);
    }

    let (_d, scope, path) = project(Agent::Gemini, None);
    install(Agent::Gemini, &scope, CMD).unwrap();
    let v: Value = serde_json::from_str(&read(&path)).unwrap();
    assert_eq!(
        v["hooks"]["BeforeTool"][0]["matcher"],
        "^(run_shell_command|write_file|replace)$"
    );
    assert_eq!(
        v["hooks"]["BeforeTool"][0]["hooks"][0]["command"],
        hook_command(Agent::Gemini)
    );

    let (_d, scope, path) = project(Agent::Codex, None);
    install(Agent::Codex, &scope, CMD).unwrap();
    let text = read(&path);
    let v: toml_edit::DocumentMut = text.parse().unwrap();
    let group = &v["hooks"]["PreToolUse"]
        .as_array_of_tables()
        .unwrap()
        .get(0)
        .unwrap()
        .clone();
    assert_eq!(group["matcher"].as_str(), Some("^(Bash|apply_patch)$"));
    let handler = group["hooks"]
        .as_array_of_tables()
        .unwrap()
        .get(0)
        .unwrap()
        .clone();
    assert_eq!(handler["type"].as_str(), Some("command"));
    assert_eq!(
        handler["command"].as_str(),
        Some(hook_command(Agent::Codex).as_str())
    );
    assert!(
        text.contains("[[hooks.PreToolUse]]") && text.contains("[[hooks.PreToolUse.hooks]]"),
        "{text}"
    );
}

#[test]
fn empty_file_is_filled_then_restored() {
    for agent in Agent::ALL {
        let (_dir, scope, path) = project(agent, Some(""));
        let r = install(agent, &scope, CMD).unwrap();
        assert!(r.changed && r.backup.is_some(), "{agent}");
        assert!(read(&path).contains(&hook_command(agent)));
        assert!(!install(agent, &scope, CMD).unwrap().changed);
        uninstall(agent, &scope, CMD).unwrap();
        assert_eq!(read(&path), "", "{agent}");
        assert!(!backup_of(&path).exists());
    }
}

#[test]
fn existing_file_keeps_everything_and_comes_back_byte_for_byte() {
    for agent in Agent::ALL {
        let original = existing(agent);
        let (_dir, scope, path) = project(agent, Some(original));
        let r = install(agent, &scope, CMD).unwrap();
        assert!(r.changed, "{agent}");
        assert_eq!(read(&backup_of(&path)), original, "{agent}: backup");
        let text = read(&path);
        assert!(text.contains(&hook_command(agent)), "{agent}:\n{text}");
        for kept in [
            "audit",
            "format.sh",
            "prettier",
            "opus",
            "Bash(npm test)",
            "vimMode",
            "hello.sh",
            "docs-mcp",
        ] {
            if original.contains(kept) {
                assert!(text.contains(kept), "{agent} lost `{kept}`:\n{text}");
            }
        }
        if agent == Agent::Codex {
            for comment in [
                "# my Codex settings",
                "# the default model",
                "# audit every command",
            ] {
                assert!(text.contains(comment), "lost `{comment}`:\n{text}");
            }
        }
        if agent == Agent::ClaudeCode {
            // Key order and indentation are the user's.
            assert!(text.find("permissions").unwrap() < text.find("\"hooks\"").unwrap());
            assert!(text.find("\"hooks\"").unwrap() < text.find("\"model\"").unwrap());
            assert!(text.contains("\n    \"permissions\""));
        }

        let again = install(agent, &scope, CMD).unwrap();
        assert!(!again.changed, "{agent}: not idempotent");
        assert_eq!(read(&path), text);

        let back = uninstall(agent, &scope, CMD).unwrap();
        assert!(back.changed);
        assert_eq!(
            read(&path),
            original,
            "{agent}: original not restored byte for byte"
        );
        assert!(!backup_of(&path).exists());
        assert!(
            !uninstall(agent, &scope, CMD).unwrap().changed,
            "{agent}: second uninstall"
        );
    }
}

#[test]
fn uninstall_after_other_edits_removes_only_blastwall() {
    let agent = Agent::ClaudeCode;
    let (_dir, scope, path) = project(agent, Some(existing(agent)));
    install(agent, &scope, CMD).unwrap();
    let mut v: Value = serde_json::from_str(&read(&path)).unwrap();
    v["theme"] = "dark".into();
    fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();

    let r = uninstall(agent, &scope, CMD).unwrap();
    assert!(r.changed && r.backup.is_some());
    let v: Value = serde_json::from_str(&read(&path)).unwrap();
    assert_eq!(v["theme"], "dark");
    assert_eq!(v["hooks"]["PreToolUse"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
        "python3 audit.py"
    );
    assert!(!read(&path).contains("blastwall hook"));
}

#[test]
fn a_moved_blastwall_is_updated_in_place() {
    for agent in Agent::ALL {
        let (_dir, scope, path) = project(agent, None);
        install(agent, &scope, "/old/place/blastwall").unwrap();
        let r = install(agent, &scope, CMD).unwrap();
        assert!(r.changed);
        let text = read(&path);
        assert!(!text.contains("/old/place"), "{agent}:\n{text}");
        assert_eq!(
            count(&text, &hook_command(agent)),
            if agent == Agent::Cursor { 2 } else { 1 },
            "{agent}"
        );
    }
}

#[test]
fn malformed_file_is_never_overwritten() {
    let cases = [
        (Agent::ClaudeCode, "{\"hooks\": {\"PreToolUse\": [}"),
        (Agent::Cursor, "{\"version\": 1,"),
        (Agent::Codex, "[hooks\nmodel = "),
        (Agent::Gemini, "not json"),
    ];
    for (agent, bad) in cases {
        let (_dir, scope, path) = project(agent, Some(bad));
        let err = install(agent, &scope, CMD).unwrap_err();
        assert!(matches!(err, HookError::Malformed { .. }), "{agent}: {err}");
        let msg = err.to_string();
        assert!(
            msg.contains(&path.display().to_string()),
            "{agent}: the error names the file: {msg}"
        );
        assert_eq!(read(&path), bad, "{agent}: file was touched");
        assert!(!backup_of(&path).exists());
        assert!(uninstall(agent, &scope, CMD).is_err());
        assert_eq!(read(&path), bad);
    }
}

#[test]
fn wrong_shapes_are_refused_untouched() {
    let (_dir, scope, path) = project(
        Agent::ClaudeCode,
        Some("{\"hooks\": [\"not\", \"an\", \"object\"]}"),
    );
    let err = install(Agent::ClaudeCode, &scope, CMD).unwrap_err();
    assert!(matches!(err, HookError::UnexpectedShape { .. }), "{err}");
    assert!(err.to_string().contains("hooks"));
    assert_eq!(read(&path), "{\"hooks\": [\"not\", \"an\", \"object\"]}");

    let (_dir, scope, path) = project(Agent::Codex, Some("hooks = 3\n"));
    assert!(install(Agent::Codex, &scope, CMD).is_err());
    assert_eq!(read(&path), "hooks = 3\n");
}

#[test]
fn gemini_settings_with_comments_are_left_alone() {
    let text = "{\n  // my theme\n  \"theme\": \"GitHub\"\n}\n";
    let (_dir, scope, path) = project(Agent::Gemini, Some(text));
    let err = install(Agent::Gemini, &scope, CMD).unwrap_err();
    assert!(matches!(err, HookError::CommentsWouldBeLost { .. }));
    assert!(
        err.to_string().contains(&hook_command(Agent::Gemini)),
        "the error shows what to add: {err}"
    );
    assert_eq!(read(&path), text);
}

#[test]
fn user_scope_writes_under_home() {
    let home = tempfile::tempdir().unwrap();
    let r = install(Agent::Codex, &Scope::User(home.path().to_owned()), CMD).unwrap();
    assert_eq!(r.path, home.path().join(".codex/config.toml"));
    assert!(r.notes.iter().any(|n| n.contains("trust")));
}

// ---------------------------------------------------------------------------------------------
// doctor

#[cfg(unix)]
fn executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, "#!/bin/sh\n").unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[test]
fn doctor_reports_found_agents_installs_and_commands() {
    let home = tempfile::tempdir().unwrap();
    let proj = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let blastwall = bin.path().join("blastwall");
    executable(&blastwall);
    executable(&bin.path().join("codex"));
    fs::create_dir_all(home.path().join(".claude")).unwrap();
    fs::create_dir_all(proj.path().join(".cursor")).unwrap();
    fs::create_dir_all(home.path().join(".gemini")).unwrap();
    fs::write(home.path().join(".gemini/settings.json"), "{ broken").unwrap();
    let path_var = std::ffi::OsString::from(bin.path());
    let cmd = blastwall.to_str().unwrap();

    // Claude Code: installed for the user with a command that exists.
    install(Agent::ClaudeCode, &Scope::User(home.path().to_owned()), cmd).unwrap();
    // Cursor: installed in the project with a command that does not exist.
    install(
        Agent::Cursor,
        &Scope::Project(proj.path().to_owned()),
        "/nowhere/blastwall",
    )
    .unwrap();
    // Codex: found only on PATH, not installed. Gemini: malformed settings.

    let report = doctor_in(home.path(), Some(proj.path()), cmd, Some(&path_var));
    let by = |a: Agent| {
        report
            .iter()
            .find(|s| s.agent == a)
            .unwrap_or_else(|| panic!("{a} not found"))
    };
    assert_eq!(report.len(), 4);

    let claude = by(Agent::ClaudeCode);
    assert!(
        claude.installed() && claude.command_ok && claude.is_protected(),
        "{claude:?}"
    );
    assert!(claude.user[0].installed);

    let cursor = by(Agent::Cursor);
    assert!(cursor.installed() && !cursor.command_ok, "{cursor:?}");
    assert!(cursor.project[0].installed);
    assert!(
        cursor
            .advice
            .as_deref()
            .unwrap()
            .contains("/nowhere/blastwall"),
        "{:?}",
        cursor.advice
    );

    let codex = by(Agent::Codex);
    assert!(!codex.installed());
    assert!(codex.found_by.iter().any(|f| f.ends_with("/codex")));
    assert!(
        codex.advice.as_deref().unwrap().contains("init codex"),
        "{:?}",
        codex.advice
    );

    let gemini = by(Agent::Gemini);
    assert!(gemini.user[0].problem.is_some());
    assert!(
        gemini.advice.as_deref().unwrap().contains("settings.json"),
        "{:?}",
        gemini.advice
    );

    // Nothing on the machine: nothing reported.
    let empty = tempfile::tempdir().unwrap();
    assert!(doctor_in(empty.path(), None, cmd, Some(std::ffi::OsStr::new(""))).is_empty());
}

#[test]
fn doctor_flags_a_cursor_entry_that_fails_open() {
    let home = tempfile::tempdir().unwrap();
    let text = "{\"version\":1,\"hooks\":{\"beforeShellExecution\":[{\"command\":\"blastwall hook cursor\"}]}}";
    fs::create_dir_all(home.path().join(".cursor")).unwrap();
    fs::write(home.path().join(".cursor/hooks.json"), text).unwrap();
    let report = doctor_in(home.path(), None, "blastwall", None);
    let cursor = &report[0];
    assert_eq!(cursor.agent, Agent::Cursor);
    assert!(
        cursor.advice.as_deref().unwrap().contains("failClosed"),
        "{:?}",
        cursor.advice
    );
}
