//! `blastwall hook <agent>` as each agent runs it: the agent's event JSON on stdin, the answer in
//! its protocol out, every decision in the audit log, and every kind of broken input blocked.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("audit.db")
    }

    fn run(&self, args: &[&str], stdin: &[u8]) -> Output {
        self.run_with(args, stdin, &[])
    }

    fn run_with(&self, args: &[&str], stdin: &[u8], env: &[(&str, &Path)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_blastwall"));
        cmd.args(args)
            .env("BLASTWALL_CONFIG", "/nonexistent/blastwall.toml")
            .env("BLASTWALL_AUDIT_LOG", self.log())
            .env("HOME", self.dir.path())
            .current_dir(self.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("the binary starts");
        // A process that refuses before reading (an unknown agent) closes its stdin early.
        let _ = child.stdin.take().expect("stdin").write_all(stdin);
        child.wait_with_output().expect("the binary finishes")
    }

    fn hook(&self, agent: &str, command: &str) -> Output {
        let event = blastwall_hooks::shell_event(
            agent.parse().expect("agent"),
            command,
            self.dir.path().to_str().unwrap(),
            "session-1",
        );
        self.run(&["hook", agent], event.as_bytes())
    }
}

#[derive(Debug, PartialEq, Clone, Copy)]
enum Seen {
    Runs,
    Blocked,
    AsksHuman,
    NormalFlow,
}

/// What the agent does with the output, read as its protocol reads it.
fn seen(agent: &str, out: &Output) -> Seen {
    match out.status.code() {
        Some(2) => return Seen::Blocked,
        Some(0) => {}
        other => panic!("{agent}: exit {other:?} (anything but 0 or 2 lets the tool run)"),
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stdout.trim().is_empty() {
        return Seen::NormalFlow;
    }
    let v: Value = serde_json::from_str(&stdout).expect("JSON answer");
    let decision = match agent {
        "claude-code" | "codex" => v["hookSpecificOutput"]["permissionDecision"].as_str(),
        "cursor" => v["permission"].as_str(),
        _ => v["decision"].as_str(),
    };
    match decision {
        Some("deny" | "block") => Seen::Blocked,
        Some("ask") => Seen::AsksHuman,
        Some("allow") => Seen::Runs,
        _ => Seen::NormalFlow,
    }
}

const AGENTS: [&str; 4] = ["claude-code", "cursor", "codex", "gemini"];

#[test]
fn every_agent_gets_allow_deny_and_ask_in_its_protocol() {
    let env = Env::new();
    for agent in AGENTS {
        let allow = seen(agent, &env.hook(agent, "git status"));
        // Codex's protocol has no explicit allow: silence lets its own approval flow run.
        let want_allow = if agent == "codex" {
            Seen::NormalFlow
        } else {
            Seen::Runs
        };
        assert_eq!(allow, want_allow, "{agent}: allow");
        assert_eq!(
            seen(agent, &env.hook(agent, "rm -rf ~")),
            Seen::Blocked,
            "{agent}: deny"
        );
        // Codex and Gemini cannot hold an action for approval: an ask is a refusal there.
        let want_ask = if matches!(agent, "claude-code" | "cursor") {
            Seen::AsksHuman
        } else {
            Seen::Blocked
        };
        assert_eq!(
            seen(agent, &env.hook(agent, "psql -c 'DROP TABLE users'")),
            want_ask,
            "{agent}: ask"
        );
    }
}

#[test]
fn the_reason_says_what_was_stopped_and_why() {
    let env = Env::new();
    let out = env.hook("claude-code", "git push --force origin main");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reason = v["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap();
    assert!(reason.contains("git push --force origin main"), "{reason}");
    assert!(reason.contains("git.push.force-protected"), "{reason}");
}

#[test]
fn broken_input_is_never_an_allow() {
    let env = Env::new();
    let valid = blastwall_hooks::shell_event(blastwall_hooks::Agent::ClaudeCode, "ls", "/tmp", "s");
    let truncated = &valid.as_bytes()[..valid.len() / 2];
    for agent in AGENTS {
        for input in [
            &b""[..],
            b"   \n",
            b"not json at all",
            b"\xff\xfe\x00garbage",
            truncated,
            br#"{"hook_event_name":"SomethingNew","tool_name":"Bash","tool_input":{"command":"ls"}}"#,
            b"[1,2,3]",
        ] {
            let out = env.run(&["hook", agent], input);
            assert_eq!(
                seen(agent, &out),
                Seen::Blocked,
                "{agent}: {:?} -> {:?}",
                String::from_utf8_lossy(input),
                out
            );
        }
    }
}

#[test]
fn an_unknown_agent_or_a_broken_config_blocks() {
    let env = Env::new();
    let out = env.run(&["hook", "someagent"], b"{}");
    assert_eq!(out.status.code(), Some(2));
    let config = env.dir.path().join("broken.toml");
    std::fs::write(&config, "[rules\nbroken").unwrap();
    let event = blastwall_hooks::shell_event(blastwall_hooks::Agent::Cursor, "ls", "/", "s");
    let out = env.run_with(
        &["hook", "cursor"],
        event.as_bytes(),
        &[("BLASTWALL_CONFIG", &config)],
    );
    assert_eq!(seen("cursor", &out), Seen::Blocked, "{out:?}");
}

#[test]
fn every_hook_decision_is_audited_and_verifies() {
    let env = Env::new();
    env.hook("claude-code", "ls");
    env.hook("cursor", "rm -rf /");
    env.hook("gemini", "terraform destroy -auto-approve");
    let out = env.run(&["audit", "query", "--json"], b"");
    assert!(out.status.success(), "{out:?}");
    let records: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3);
    assert_eq!(records[1]["door"], "hook:cursor");
    assert_eq!(records[1]["decision"], "deny");
    assert_eq!(records[1]["input"], "rm -rf /");
    assert_eq!(records[0]["session"], "session-1");
    let out = env.run(&["audit", "query", "--decision", "deny", "--json"], b"");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    let out = env.run(&["audit", "verify"], b"");
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // Edit the stored decision in the file: verify names the record and fails.
    blastwall_audit::AuditLog::open(env.log())
        .unwrap()
        .checkpoint()
        .unwrap();
    let mut bytes = std::fs::read(env.log()).unwrap();
    let at: Vec<usize> = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"deny")
        .map(|(i, _)| i)
        .collect();
    assert!(!at.is_empty());
    for i in at {
        bytes[i..i + 4].copy_from_slice(b"allw");
    }
    std::fs::write(env.log(), bytes).unwrap();
    let out = env.run(&["audit", "verify"], b"");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("record 2"));
}

#[test]
fn a_failing_audit_log_never_loosens_a_decision() {
    let env = Env::new();
    // A directory where the log file should be: the append fails.
    let blocked = env.dir.path().join("not-a-file");
    std::fs::create_dir_all(blocked.join("audit.db")).unwrap();
    let log = blocked.join("audit.db");
    let run = |command: &str| {
        let event =
            blastwall_hooks::shell_event(blastwall_hooks::Agent::ClaudeCode, command, "/", "s");
        env.run_with(
            &["hook", "claude-code"],
            event.as_bytes(),
            &[("BLASTWALL_AUDIT_LOG", &log)],
        )
    };
    assert_eq!(seen("claude-code", &run("rm -rf /")), Seen::Blocked);
    // A write that cannot be recorded waits for a human; a read still runs.
    assert_eq!(
        seen("claude-code", &run("touch notes.txt")),
        Seen::AsksHuman
    );
    assert_eq!(seen("claude-code", &run("ls")), Seen::Runs);
}

#[test]
fn init_installs_idempotently_and_uninstalls_to_the_original() {
    let env = Env::new();
    let settings = env.dir.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let original = "{\n  \"model\": \"opus\",\n  \"hooks\": {}\n}\n";
    std::fs::write(&settings, original).unwrap();
    let out = env.run(&["init", "--agent", "claude-code"], b"");
    assert!(out.status.success(), "{out:?}");
    let installed = std::fs::read_to_string(&settings).unwrap();
    assert!(installed.contains("hook claude-code"), "{installed}");
    assert!(installed.contains("\"model\": \"opus\""));
    let again = env.run(&["init", "--agent", "claude-code"], b"");
    assert!(String::from_utf8_lossy(&again.stdout).contains("already installed"));
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), installed);
    let out = env.run(&["init", "--agent", "claude-code", "--uninstall"], b"");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), original);
}

#[test]
fn doctor_runs_the_installed_hook() {
    let env = Env::new();
    let out = env.run(&["init", "--agent", "cursor"], b"");
    assert!(out.status.success(), "{out:?}");
    let out = env.run(&["doctor"], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Cursor"), "{text}");
    assert!(text.contains("answering: yes"), "{text}");
}

#[test]
fn commands_that_carry_a_command_as_data_pass() {
    let env = Env::new();
    for command in [
        "blastwall explain 'rm -rf /'",
        "blastwall explain --sql 'DROP TABLE users'",
        "git commit -m 'remove the rm -rf / from the cleanup script'",
        "gh issue create --title 'DROP TABLE users ran in prod' --body 'it was curl -X DELETE'",
        "echo 'terraform destroy' >> notes.md",
    ] {
        assert_eq!(
            seen("claude-code", &env.hook("claude-code", command)),
            Seen::Runs,
            "{command}"
        );
    }
}
