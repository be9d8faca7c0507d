//! Each agent's real hook JSON in, the expected answer out: allow, deny and ask, tools blastwall
//! does not judge, and every kind of broken input, which must never come out as an allow.

use blastwall_core::Decision;
use blastwall_hooks::{
    Agent, Answer, Attempt, HookOutput, fail_closed, parse_event, proceed, render,
};
use serde_json::{Value, json};

fn payload(agent: &str, name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/payloads/{agent}/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn answer(decision: Decision) -> Answer {
    Answer {
        decision,
        rule: "test.rule".into(),
        reason: "it would destroy something".into(),
    }
}

fn stdout_json(out: &HookOutput) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", out.stdout))
}

fn decide(agent: Agent, file: &str, decision: Decision) -> HookOutput {
    let call = parse_event(agent, &payload(agent.as_str(), file)).unwrap();
    render(agent, &call, &answer(decision))
}

/// What the agent will do with this output, read the way its protocol reads it.
#[derive(Debug, PartialEq)]
enum Effect {
    Runs,
    Blocked,
    AsksHuman,
    NormalFlow,
}

fn effect(agent: Agent, out: &HookOutput) -> Effect {
    if out.exit_code == 2 {
        // Every supported protocol blocks on exit 2; Codex needs a reason on standard error.
        assert!(!out.stderr.trim().is_empty(), "exit 2 without a reason");
        return Effect::Blocked;
    }
    assert_eq!(
        out.exit_code, 0,
        "an exit code other than 0 or 2 lets the tool run: {out:?}"
    );
    if out.stdout.trim().is_empty() {
        return Effect::NormalFlow;
    }
    let v = stdout_json(out);
    match agent {
        Agent::ClaudeCode | Agent::Codex => {
            match v["hookSpecificOutput"]["permissionDecision"].as_str() {
                Some("deny") => Effect::Blocked,
                Some("ask") => Effect::AsksHuman,
                Some("allow") => Effect::Runs,
                _ => Effect::NormalFlow,
            }
        }
        Agent::Cursor => match v["permission"].as_str() {
            Some("deny") => Effect::Blocked,
            Some("ask") => Effect::AsksHuman,
            Some("allow") => Effect::Runs,
            _ => Effect::NormalFlow,
        },
        Agent::Gemini => match v["decision"].as_str() {
            Some("deny" | "block") => Effect::Blocked,
            Some("allow") => Effect::Runs,
            _ => Effect::NormalFlow,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Claude Code

#[test]
fn claude_code_bash() {
    let call = parse_event(
        Agent::ClaudeCode,
        &payload("claude-code", "pretooluse-bash.json"),
    )
    .unwrap();
    assert_eq!(call.event, "PreToolUse");
    assert_eq!(call.tool, "Bash");
    assert_eq!(call.cwd.as_deref(), Some("/home/dev/app"));
    assert_eq!(
        call.session_id.as_deref(),
        Some("0f3b6c2e-5d1a-4c52-9d0e-7c1b2a3f4e5d")
    );
    assert_eq!(
        call.attempts,
        [Attempt::Shell {
            command: "rm -rf ~/".into()
        }]
    );

    let allow = decide(Agent::ClaudeCode, "pretooluse-bash.json", Decision::Allow);
    assert_eq!(allow.exit_code, 0);
    let v = stdout_json(&allow);
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "PreToolUse");
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "allow");

    let deny = decide(Agent::ClaudeCode, "pretooluse-bash.json", Decision::Deny);
    assert_eq!(deny.exit_code, 0);
    let v = stdout_json(&deny);
    assert_eq!(
        v,
        json!({"hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": "deny",
            "permissionDecisionReason": v["hookSpecificOutput"]["permissionDecisionReason"].clone(),
        }})
    );
    let reason = v["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap();
    assert!(
        reason.contains("rm -rf ~/") && reason.contains("test.rule") && reason.contains("destroy"),
        "{reason}"
    );

    let ask = decide(Agent::ClaudeCode, "pretooluse-bash.json", Decision::Ask);
    let v = stdout_json(&ask);
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "ask");
    assert!(
        v["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains("approv")
    );
}

#[test]
fn claude_code_file_tools_and_others() {
    for (file, path) in [
        ("pretooluse-write.json", "/home/dev/.ssh/authorized_keys"),
        ("pretooluse-edit.json", "/home/dev/app/src/main.rs"),
        ("pretooluse-multiedit.json", "/home/dev/app/Cargo.toml"),
    ] {
        let call = parse_event(Agent::ClaudeCode, &payload("claude-code", file)).unwrap();
        assert_eq!(
            call.attempts,
            [Attempt::FileWrite { path: path.into() }],
            "{file}"
        );
        assert_eq!(
            effect(
                Agent::ClaudeCode,
                &decide(Agent::ClaudeCode, file, Decision::Deny)
            ),
            Effect::Blocked
        );
    }

    let read = parse_event(
        Agent::ClaudeCode,
        &payload("claude-code", "pretooluse-read.json"),
    )
    .unwrap();
    assert!(read.is_unjudged());
    let out = render(Agent::ClaudeCode, &read, &answer(Decision::Allow));
    assert_eq!(out, proceed(Agent::ClaudeCode));
    assert_eq!(
        (out.stdout.as_str(), out.exit_code),
        ("", 0),
        "normal permission flow, not a forced allow"
    );

    let mcp = parse_event(
        Agent::ClaudeCode,
        &payload("claude-code", "pretooluse-mcp.json"),
    )
    .unwrap();
    assert_eq!(
        mcp.attempts,
        [Attempt::Mcp {
            server: "postgres".into(),
            tool: "query".into(),
            arguments: json!({"sql": "DROP TABLE users"})
        }]
    );
}

// ---------------------------------------------------------------------------------------------
// Cursor

#[test]
fn cursor_shell() {
    let call = parse_event(
        Agent::Cursor,
        &payload("cursor", "beforeShellExecution.json"),
    )
    .unwrap();
    assert_eq!(call.event, "beforeShellExecution");
    assert_eq!(
        call.session_id.as_deref(),
        Some("c6a1f2e4-8b3d-4f0a-9e7c-2d5b8a1c3f60")
    );
    assert_eq!(call.cwd.as_deref(), Some("/home/dev/app"));
    assert_eq!(
        call.attempts,
        [Attempt::Shell {
            command: "git push --force origin main".into()
        }]
    );

    let allow = decide(Agent::Cursor, "beforeShellExecution.json", Decision::Allow);
    assert_eq!(
        (stdout_json(&allow), allow.exit_code),
        (json!({"permission": "allow"}), 0)
    );

    for (decision, word) in [(Decision::Deny, "deny"), (Decision::Ask, "ask")] {
        let out = decide(Agent::Cursor, "beforeShellExecution.json", decision);
        assert_eq!(out.exit_code, 0);
        let v = stdout_json(&out);
        assert_eq!(v["permission"], word);
        assert!(
            v["user_message"]
                .as_str()
                .unwrap()
                .contains("git push --force")
        );
        assert!(v["agent_message"].as_str().unwrap().contains("test.rule"));
        assert_eq!(v.as_object().unwrap().len(), 3);
    }
}

#[test]
fn cursor_mcp() {
    let call = parse_event(Agent::Cursor, &payload("cursor", "beforeMCPExecution.json")).unwrap();
    assert_eq!(call.event, "beforeMCPExecution");
    assert_eq!(
        call.cwd.as_deref(),
        Some("/home/dev/app"),
        "falls back to the first workspace root"
    );
    assert_eq!(
        call.attempts,
        [Attempt::Mcp {
            server: "npx -y @modelcontextprotocol/server-postgres postgresql://localhost/shop"
                .into(),
            tool: "query".into(),
            arguments: json!({"sql": "DELETE FROM orders"}),
        }]
    );
    assert_eq!(
        effect(
            Agent::Cursor,
            &decide(Agent::Cursor, "beforeMCPExecution.json", Decision::Deny)
        ),
        Effect::Blocked
    );
    assert_eq!(
        effect(
            Agent::Cursor,
            &decide(Agent::Cursor, "beforeMCPExecution.json", Decision::Ask)
        ),
        Effect::AsksHuman
    );
}

// ---------------------------------------------------------------------------------------------
// Codex CLI

#[test]
fn codex_bash() {
    let call = parse_event(Agent::Codex, &payload("codex", "pretooluse-bash.json")).unwrap();
    assert_eq!(
        call.attempts,
        [Attempt::Shell {
            command: "terraform destroy -auto-approve".into()
        }]
    );
    assert_eq!(
        call.session_id.as_deref(),
        Some("019a4c2e-7b1d-7f30-9c4e-5a2b8d1f6e03")
    );

    // Codex rejects `allow` without `updatedInput`: no opinion is the honest allow.
    let allow = decide(Agent::Codex, "pretooluse-bash.json", Decision::Allow);
    assert_eq!(
        allow,
        HookOutput {
            stdout: String::new(),
            stderr: String::new(),
            exit_code: 0
        }
    );

    let deny = decide(Agent::Codex, "pretooluse-bash.json", Decision::Deny);
    let v = stdout_json(&deny);
    assert_eq!(deny.exit_code, 0);
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "PreToolUse");
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny");
    assert!(
        !v["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .trim()
            .is_empty()
    );
    assert!(
        v["systemMessage"]
            .as_str()
            .unwrap()
            .contains("terraform destroy")
    );

    // Codex does not support `ask` (it would run the tool), so an ask is a refusal for a human.
    let ask = decide(Agent::Codex, "pretooluse-bash.json", Decision::Ask);
    let v = stdout_json(&ask);
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny");
    assert!(v["systemMessage"].as_str().unwrap().contains("cannot ask"));
    assert_eq!(effect(Agent::Codex, &ask), Effect::Blocked);
}

#[test]
fn codex_apply_patch_and_mcp() {
    let call = parse_event(
        Agent::Codex,
        &payload("codex", "pretooluse-apply-patch.json"),
    )
    .unwrap();
    assert_eq!(call.tool, "apply_patch");
    assert_eq!(
        call.attempts,
        [
            Attempt::FileWrite {
                path: "src/config.rs".into()
            },
            Attempt::FileWrite {
                path: ".env".into()
            }
        ]
    );
    let out = render(Agent::Codex, &call, &answer(Decision::Deny));
    assert!(
        stdout_json(&out)["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap()
            .contains(".env")
    );

    let mcp = parse_event(Agent::Codex, &payload("codex", "pretooluse-mcp.json")).unwrap();
    assert_eq!(
        mcp.attempts,
        [Attempt::Mcp {
            server: "memory".into(),
            tool: "delete_entities".into(),
            arguments: json!({"entityNames": ["project-notes"]})
        }]
    );
}

// ---------------------------------------------------------------------------------------------
// Gemini CLI

#[test]
fn gemini_shell() {
    let call = parse_event(Agent::Gemini, &payload("gemini", "beforetool-shell.json")).unwrap();
    assert_eq!(call.event, "BeforeTool");
    assert_eq!(
        call.cwd.as_deref(),
        Some("/home/dev/app/scripts"),
        "dir_path is relative to cwd"
    );
    assert_eq!(
        call.attempts,
        [Attempt::Shell {
            command: "dd if=/dev/zero of=/dev/sda bs=1M".into()
        }]
    );

    let allow = decide(Agent::Gemini, "beforetool-shell.json", Decision::Allow);
    assert_eq!(
        (stdout_json(&allow), allow.exit_code),
        (json!({"decision": "allow"}), 0)
    );

    let deny = decide(Agent::Gemini, "beforetool-shell.json", Decision::Deny);
    let v = stdout_json(&deny);
    assert_eq!((v["decision"].as_str(), deny.exit_code), (Some("deny"), 0));
    assert!(v["reason"].as_str().unwrap().contains("dd if=/dev/zero"));

    // BeforeTool has no documented ask: a refusal that says a human must approve.
    let ask = decide(Agent::Gemini, "beforetool-shell.json", Decision::Ask);
    let v = stdout_json(&ask);
    assert_eq!(v["decision"], "deny");
    assert!(v["systemMessage"].as_str().unwrap().contains("human"));
}

#[test]
fn gemini_files_mcp_and_others() {
    for (file, path) in [
        (
            "beforetool-write-file.json",
            "/home/dev/app/.git/hooks/pre-commit",
        ),
        ("beforetool-replace.json", "/home/dev/app/src/lib.rs"),
    ] {
        let call = parse_event(Agent::Gemini, &payload("gemini", file)).unwrap();
        assert_eq!(call.attempts, [Attempt::FileWrite { path: path.into() }]);
    }
    let mcp = parse_event(Agent::Gemini, &payload("gemini", "beforetool-mcp.json")).unwrap();
    assert_eq!(
        mcp.attempts,
        [Attempt::Mcp {
            server: "github".into(),
            tool: "delete_repository".into(),
            arguments: json!({"owner": "acme", "repo": "shop"})
        }]
    );
    let read = parse_event(
        Agent::Gemini,
        &payload("gemini", "beforetool-read-file.json"),
    )
    .unwrap();
    assert!(read.is_unjudged());
    assert_eq!(
        effect(
            Agent::Gemini,
            &render(Agent::Gemini, &read, &answer(Decision::Allow))
        ),
        Effect::NormalFlow
    );
}

// ---------------------------------------------------------------------------------------------
// Broken input is never an allow

fn broken_inputs(agent: Agent) -> Vec<(String, Vec<u8>)> {
    let real = match agent {
        Agent::ClaudeCode => payload("claude-code", "pretooluse-bash.json"),
        Agent::Cursor => payload("cursor", "beforeShellExecution.json"),
        Agent::Codex => payload("codex", "pretooluse-bash.json"),
        Agent::Gemini => payload("gemini", "beforetool-shell.json"),
    };
    let unknown_event = match agent {
        Agent::ClaudeCode => payload("claude-code", "posttooluse-bash.json"),
        Agent::Cursor => payload("cursor", "afterFileEdit.json"),
        Agent::Codex => payload("codex", "permission-request.json"),
        Agent::Gemini => payload("gemini", "aftertool.json"),
    };
    let mut no_command: Value = serde_json::from_slice(&real).unwrap();
    match agent {
        Agent::Cursor => no_command.as_object_mut().unwrap().remove("command"),
        _ => no_command["tool_input"]
            .as_object_mut()
            .unwrap()
            .remove("command"),
    };
    vec![
        ("empty".into(), Vec::new()),
        ("whitespace".into(), b" \n\t ".to_vec()),
        ("garbage".into(), b"\x00\xffnot json at all".to_vec()),
        ("array".into(), b"[1, 2, 3]".to_vec()),
        ("truncated".into(), real[..real.len() / 2].to_vec()),
        ("unknown event".into(), unknown_event),
        (
            "missing command".into(),
            serde_json::to_vec(&no_command).unwrap(),
        ),
        (
            "no event name".into(),
            br#"{"tool_name": "Bash", "tool_input": {"command": "ls"}}"#.to_vec(),
        ),
    ]
}

#[test]
fn broken_input_is_never_an_allow() {
    for agent in Agent::ALL {
        for (what, bytes) in broken_inputs(agent) {
            let err = parse_event(agent, &bytes).expect_err(&format!("{agent}: {what} parsed"));
            let out = fail_closed(agent, &err.to_string());
            assert_eq!(
                effect(agent, &out),
                Effect::Blocked,
                "{agent}: {what}: {out:?}"
            );
            assert_eq!(out.exit_code, 2, "{agent}: {what}");
            assert!(
                out.stderr.contains("nothing ran"),
                "{agent}: {what}: {}",
                out.stderr
            );
        }
    }
}

#[test]
fn fail_closed_shapes() {
    let claude = fail_closed(Agent::ClaudeCode, "config failed to load");
    assert_eq!((claude.stdout.as_str(), claude.exit_code), ("", 2));
    assert!(claude.stderr.contains("config failed to load"));

    let cursor = fail_closed(Agent::Cursor, "config failed to load");
    assert_eq!(cursor.exit_code, 2);
    assert_eq!(stdout_json(&cursor)["permission"], "deny");

    for agent in [Agent::Codex, Agent::Gemini] {
        let out = fail_closed(agent, "panic caught");
        assert_eq!((out.stdout.as_str(), out.exit_code), ("", 2));
        assert!(out.stderr.contains("panic caught"));
    }
}

#[test]
fn agent_names_round_trip() {
    for agent in Agent::ALL {
        assert_eq!(agent.as_str().parse::<Agent>().unwrap(), agent);
    }
    assert!("copilot".parse::<Agent>().is_err());
}

#[test]
fn file_writes_have_a_shell_equivalent() {
    let a = Attempt::FileWrite {
        path: "/tmp/it's here".into(),
    };
    assert_eq!(
        a.shell_equivalent().as_deref(),
        Some(r#"cat > '/tmp/it'\''s here'"#)
    );
    assert_eq!(
        Attempt::Other {
            tool: "Read".into()
        }
        .shell_equivalent(),
        None
    );
}

#[test]
fn shell_events_parse_back_to_their_command() {
    for agent in blastwall_hooks::Agent::ALL {
        let event = blastwall_hooks::shell_event(agent, "rm -rf /", "/srv/app", "s-1");
        let call = blastwall_hooks::parse_event(agent, event.as_bytes()).unwrap();
        assert_eq!(
            call.attempt(),
            &blastwall_hooks::Attempt::Shell {
                command: "rm -rf /".into()
            },
            "{agent}"
        );
    }
}
