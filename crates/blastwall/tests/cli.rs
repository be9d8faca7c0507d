//! The `blastwall` binary as a door sees it: JSON in, JSON and an exit code out, for good input
//! and for every kind of bad input (which must never come out as an allow).

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn blastwall(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_blastwall"))
        .args(args)
        .env("BLASTWALL_CONFIG", "/nonexistent/blastwall.toml")
        .env(
            "BLASTWALL_AUDIT_LOG",
            std::env::temp_dir().join(format!("blastwall-cli-test-{}.db", std::process::id())),
        )
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("the binary finishes");
    writer.join().ok();
    out
}

/// `check` on a fuzzer finding kept in `fuzz/regressions/`.
fn check_regression(name: &str) -> Output {
    let path = format!(
        "{}/../../fuzz/regressions/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let json = serde_json::json!({"tool": "shell", "command": String::from_utf8_lossy(&bytes)});
    blastwall(&["check"], json.to_string().as_bytes())
}

fn check(json: &str) -> (i32, serde_json::Value) {
    let out = blastwall(&["check"], json.as_bytes());
    let code = out.status.code().expect("exit code");
    let value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is one JSON object ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (code, value)
}

fn shell(cmd: &str) -> (i32, serde_json::Value) {
    check(&serde_json::json!({"tool": "shell", "command": cmd}).to_string())
}

#[test]
fn allow_deny_ask_have_their_exit_codes_and_fields() {
    let (code, v) = shell("ls -la");
    assert_eq!((code, v["decision"].as_str()), (0, Some("allow")));
    let (code, v) = shell("rm -rf /");
    assert_eq!((code, v["decision"].as_str()), (2, Some("deny")));
    assert_eq!(v["rule"], "fs.rm.recursive-catastrophic");
    assert_eq!(v["effect"], "irreversible");
    assert_eq!(v["span"]["start"], 0);
    assert_eq!(v["matched"], "rm -rf /");
    let (code, v) = shell("git reset --hard");
    assert_eq!((code, v["decision"].as_str()), (3, Some("ask")));
    assert!(v["reason"].as_str().unwrap().contains("uncommitted"));
}

#[test]
fn span_points_into_the_original_input() {
    let (_, v) = shell("echo hi && sudo bash -c 'rm -rf ~'");
    let matched = v["matched"].as_str().unwrap();
    assert!(matched.contains("rm -rf ~"), "matched {matched}");
}

#[test]
fn malformed_json_is_refused_not_allowed() {
    for bad in [
        "{",
        "not json",
        "[]",
        "{\"tool\":\"shell\"}",
        "{\"tool\":\"shell\",\"command\":\"ls\",\"bogus\":1}",
    ] {
        let (code, v) = check(bad);
        assert_eq!(code, 1, "input {bad}");
        assert_eq!(v["decision"], "deny", "input {bad}");
        assert_eq!(v["rule"], "input.invalid");
        assert!(!v["error"].as_str().unwrap().is_empty());
    }
}

#[test]
fn empty_and_binary_input_are_refused() {
    let (code, v) = check("");
    assert_eq!((code, v["decision"].as_str()), (1, Some("deny")));
    let out = blastwall(&["check"], &[0xff, 0xfe, 0x00, 0x9f, 0x92, 0x96]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "deny");
}

#[test]
fn unknown_tool_is_refused_with_its_name() {
    let (code, v) = check(r#"{"tool":"telepathy","command":"x"}"#);
    assert_eq!(code, 1);
    assert!(v["error"].as_str().unwrap().contains("telepathy"));
}

#[test]
fn ten_megabyte_command_is_asked_not_parsed() {
    let cmd = format!("echo {}", "a".repeat(10 * 1024 * 1024));
    let (code, v) = shell(&cmd);
    assert_eq!((code, v["decision"].as_str()), (3, Some("ask")));
    assert_eq!(v["rule"], "shell.too-large");
}

#[test]
fn deeply_nested_substitutions_are_asked() {
    let cmd = format!("{}rm -rf /{}", "echo $(".repeat(5000), ")".repeat(5000));
    let (code, v) = shell(&cmd);
    assert_eq!((code, v["decision"].as_str()), (3, Some("ask")));
    assert_eq!(v["rule"], "shell.too-deep");
    // Within the limit, nesting is followed to the end.
    let cmd = format!("{}rm -rf /{}", "echo $(".repeat(6), ")".repeat(6));
    assert_eq!(shell(&cmd).1["decision"], "deny");
}

#[test]
fn unparseable_shell_is_ask_with_a_reason() {
    for cmd in ["echo 'unterminated", "rm -rf $(", "if then fi ;;"] {
        let (code, v) = shell(cmd);
        assert_eq!((code, v["decision"].as_str()), (3, Some("ask")), "{cmd}");
        assert_eq!(v["rule"], "shell.unparseable");
    }
}

#[test]
fn batch_gives_the_same_decisions_line_by_line() {
    let lines = [
        r#"{"tool":"shell","command":"ls"}"#,
        r#"{"tool":"shell","command":"rm -rf ~"}"#,
        "garbage",
        r#"{"tool":"shell","command":"git clean -fdx"}"#,
    ];
    let out = blastwall(&["check", "--batch"], lines.join("\n").as_bytes());
    assert_eq!(
        out.status.code(),
        Some(1),
        "an invalid line makes the batch exit 1"
    );
    let decisions: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["decision"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(decisions, ["allow", "deny", "deny", "ask"]);
    let out = blastwall(&["check", "--batch"], lines[..2].join("\n").as_bytes());
    assert_eq!(
        out.status.code(),
        Some(2),
        "a valid batch exits with its strictest decision"
    );
}

#[test]
fn explain_shows_rule_reason_and_the_part_of_the_input() {
    let out = blastwall(&["explain", "echo ok; FOO=1 /bin/rm -rf /"], b"");
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("DENY"), "{text}");
    assert!(text.contains("fs.rm.recursive-catastrophic"), "{text}");
    assert!(text.contains("^^^"), "{text}");
    assert!(text.contains("actions found: 2"), "{text}");
}

#[test]
fn demo_stops_every_destructive_step() {
    let out = blastwall(&["demo"], b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("every destructive step was stopped"));
    assert!(!text.contains("[BAD]"));
}

#[test]
fn config_with_unknown_key_names_key_and_line_and_never_allows() {
    let dir = std::env::temp_dir().join(format!("bw-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("blastwall.toml");
    std::fs::write(&cfg, "[rules]\noverides = {}\n").unwrap();
    let out = blastwall(
        &["--config", cfg.to_str().unwrap(), "check"],
        br#"{"tool":"shell","command":"ls"}"#,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("overides") && err.contains("line 2"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "deny");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn overrides_apply_but_never_below_the_prod_floor() {
    let dir = std::env::temp_dir().join(format!("bw-cli-ov-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("blastwall.toml");
    std::fs::write(&cfg, "[rules.overrides]\n\"git.reset.hard\" = \"allow\"\n\n[paths]\nprotected = [\"/srv/ledger\"]\n").unwrap();
    let run = |json: &str| {
        let out = blastwall(
            &["--config", cfg.to_str().unwrap(), "check"],
            json.as_bytes(),
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    assert_eq!(
        run(r#"{"tool":"shell","command":"git reset --hard"}"#)["decision"],
        "allow"
    );
    let v = run(r#"{"tool":"shell","command":"git reset --hard","cwd":"/srv/prod/app"}"#);
    assert_eq!(v["decision"], "ask");
    assert_eq!(v["environment"], "prod");
    assert_eq!(
        run(r#"{"tool":"shell","command":"rm -rf /srv/ledger"}"#)["rule"],
        "fs.rm.recursive-protected"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn variables_from_the_request_env_are_resolved() {
    let (_, v) = check(
        r#"{"tool":"shell","command":"rm -rf \"$BUILD_DIR\"","env":{"BUILD_DIR":"/tmp/build"}}"#,
    );
    assert_eq!(v["decision"], "allow");
    let (_, v) = shell("rm -rf \"$BUILD_DIR\"");
    assert_eq!(v["decision"], "ask");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("only known when the command runs")
    );
}

#[test]
fn inputs_that_made_the_parser_backtrack_are_answered() {
    // Found by the fuzzer: runs of unmatched `(` or `{` made the bash parser backtrack for
    // minutes. They are now refused before parsing, with a reason.
    for name in ["shell-timeout-nested-parens", "shell-timeout-nested-braces"] {
        let path = format!(
            "{}/../../fuzz/regressions/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (code, v) = shell(&String::from_utf8_lossy(&bytes));
        assert_eq!((code, v["decision"].as_str()), (3, Some("ask")), "{name}");
    }
    let (_, v) = shell(&format!("echo {}a", "{".repeat(40)));
    assert_eq!(v["decision"], "ask");
    assert_eq!(
        shell("echo '{{{{{{{{{{{{{{{{{{{{{{{{'").1["decision"],
        "allow"
    );
}

#[test]
fn input_that_made_the_parser_panic_is_answered_without_a_panic() {
    let out = check_regression("shell-panic-huge-fd-number");
    assert_eq!(out.status.code(), Some(3));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn input_that_made_the_word_parser_panic_is_answered() {
    let out = check_regression("shell-panic-tilde-number");
    // No crash: a decision (this garbage runs an unknown program, which no rule stops).
    assert!(
        matches!(out.status.code(), Some(0 | 2 | 3)),
        "{:?}",
        out.status
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["decision"].is_string());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    // The same word alone: the tilde index cannot be expanded, so the target is unknown.
    let (_, v) = shell(&format!("rm -rf ~{}", "2".repeat(40)));
    assert_eq!(v["decision"], "ask");
}

#[test]
fn sql_and_http_requests_have_the_same_output_and_exit_codes() {
    let (code, v) = check(r#"{"tool":"sql","sql":"SELECT * FROM users WHERE id = 1"}"#);
    assert_eq!((code, v["decision"].as_str()), (0, Some("allow")));
    let (code, v) =
        check(r#"{"tool":"sql","sql":"DELETE FROM users WHERE 1=1","dialect":"postgres"}"#);
    assert_eq!((code, v["decision"].as_str()), (3, Some("ask")));
    assert_eq!(v["rule"], "sql.delete.unbounded");
    assert_eq!(v["matched"], "DELETE FROM users WHERE 1=1");
    let (code, v) = check(r#"{"tool":"sql","sql":"COPY t TO PROGRAM 'rm -rf /'"}"#);
    assert_eq!((code, v["decision"].as_str()), (2, Some("deny")));
    let (code, v) = check(r#"{"tool":"sql","sql":"SELECT 1","dialect":"oracle"}"#);
    assert_eq!((code, v["rule"].as_str()), (1, Some("input.invalid")));

    let volume_delete = serde_json::json!({
        "tool": "http",
        "method": "POST",
        "url": "https://backboard.railway.app/graphql/v2",
        "headers": {"Content-Type": "application/json"},
        "body": r#"{"query":"mutation { volumeDelete(volumeId: \"v1\") }"}"#,
    });
    let (code, v) = check(&volume_delete.to_string());
    assert_eq!((code, v["decision"].as_str()), (3, Some("ask")));
    assert_eq!(v["rule"], "http.railway.volume.delete");
    assert_eq!(v["matched"], "volumeDelete");
    let (code, v) = check(r#"{"tool":"http","url":"https://api.github.com/repos/o/r"}"#);
    assert_eq!((code, v["decision"].as_str()), (0, Some("allow")));
    let (code, v) = check(r#"{"tool":"http","method":"DELETE"}"#);
    assert_eq!((code, v["rule"].as_str()), (1, Some("input.invalid")));
}

#[test]
fn explain_shows_sql_and_http_findings() {
    let out = blastwall(&["explain", "--sql", "SELECT 1; TRUNCATE orders"], b"");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("sql.truncate"), "{text}");
    assert!(text.contains("TRUNCATE orders"), "{text}");
    let out = blastwall(
        &[
            "explain",
            "--http",
            "DELETE https://api.heroku.com/apps/shop",
        ],
        b"",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("http.heroku.delete"), "{text}");
}

#[test]
fn shell_commands_hand_sql_and_requests_to_their_classifiers() {
    let (code, v) = shell("psql -h db.prod.internal -c 'DROP TABLE users'");
    assert_eq!((code, v["rule"].as_str()), (3, Some("sql.drop.table")));
    assert_eq!(v["environment"], "prod");
    let (code, _) = shell("psql -c 'SELECT count(*) FROM users'");
    assert_eq!(code, 0);
    let (code, v) = shell("echo 'TRUNCATE orders' | mysql shop");
    assert_eq!((code, v["rule"].as_str()), (3, Some("sql.truncate")));
    let (code, v) = shell("psql < cleanup.sql");
    assert_eq!((code, v["rule"].as_str()), (3, Some("db.sql-unseen")));
    let (code, v) = shell(
        r#"curl -X POST https://backboard.railway.app/graphql/v2 -H "Authorization: Bearer $T" -H 'Content-Type: application/json' -d '{"query":"mutation { volumeDelete(volumeId: \"v\") }"}'"#,
    );
    assert_eq!(
        (code, v["rule"].as_str()),
        (3, Some("http.railway.volume.delete"))
    );
    // Without a content type curl sends a form body; the server may still read it as JSON.
    let (code, _) = shell(
        r#"curl https://backboard.railway.app/graphql/v2 -d '{"query":"mutation { volumeDelete(volumeId: \"v\") }"}'"#,
    );
    assert_eq!(code, 3);
    let (code, _) = shell("curl -X DELETE https://api.example.com/api/todos/42");
    assert_eq!(code, 0);
    let (code, v) = shell("curl -X DELETE \"$API/volumes/1\"");
    assert_eq!((code, v["rule"].as_str()), (3, Some("net.http.unseen")));
}

#[test]
fn a_curl_option_with_a_multibyte_character_is_answered() {
    // Found by fuzzing: `curl -f…` whose second character is not one byte.
    let out = check_regression("shell-panic-curl-multibyte-option");
    assert!(
        matches!(out.status.code(), Some(0 | 2 | 3)),
        "{:?}",
        out.status
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let (code, _) = shell("curl -é https://example.com");
    assert!(matches!(code, 0 | 2 | 3));
}

#[test]
fn nested_here_documents_in_arithmetic_are_answered() {
    // Found by fuzzing: here-documents nested in `$((` took 0.1 s (over 5 s under the sanitizer).
    let out = check_regression("shell-slow-nested-heredoc-arithmetic");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
}
