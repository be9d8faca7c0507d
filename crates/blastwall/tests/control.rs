//! The control plane end to end: a real `blastwall serve` on loopback, agents' hooks asking it,
//! humans voting through the CLI and the HTTP API, and every attack on the approval wall refused
//! and recorded in the audit log.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_blastwall");

struct Plane {
    dir: tempfile::TempDir,
    child: Option<Child>,
    url: String,
    admin: String,
    env: Vec<(String, String)>,
}

impl Plane {
    /// A daemon with the configuration `config` (TOML) and extra environment variables.
    fn start(config: &str, env: &[(&str, &str)]) -> Plane {
        let dir = tempfile::tempdir().expect("temp dir");
        // Not in the hook's working directory, where it would be a project file.
        std::fs::create_dir(dir.path().join("daemon")).expect("config dir");
        std::fs::write(dir.path().join("daemon/blastwall.toml"), config).expect("config");
        let mut plane = Plane {
            dir,
            child: None,
            url: String::new(),
            admin: String::new(),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        plane.spawn("127.0.0.1:0");
        plane.admin = std::fs::read_to_string(plane.state().join("admin.token"))
            .expect("the first start writes the admin token")
            .trim()
            .to_owned();
        plane
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("daemon/blastwall.toml")
    }

    fn spawn(&mut self, listen: &str) {
        let mut cmd = Command::new(BIN);
        cmd.arg("--config")
            .arg(self.config())
            .args(["serve", "--listen", listen, "--state-dir"])
            .arg(self.state())
            .env("HOME", self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(url);
                }
            }
        });
        self.url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the daemon says where it listens");
        self.child = Some(child);
    }

    /// Stops the daemon and starts it again on the same address and state.
    fn restart(&mut self) {
        self.stop();
        let addr = self.url.trim_start_matches("http://").to_owned();
        self.spawn(&addr);
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A CLI command as the holder of `token`.
    fn cli(&self, token: &str, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .env("BLASTWALL_SERVER", &self.url)
            .env("BLASTWALL_TOKEN", token)
            .env("BLASTWALL_CONFIG", "/nonexistent/blastwall.toml")
            .env("HOME", self.dir.path())
            .output()
            .expect("the CLI runs")
    }

    /// Claude Code's hook for a Bash command, as the agent holding `token`.
    fn hook(&self, token: &str, command: &str) -> Hooked {
        hook_at(&self.url, token, self.dir.path(), command)
    }

    /// One API call; the status and the JSON body.
    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> (u16, Value) {
        self.call_with(method, path, token, body, &[])
    }

    fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("{}{path}", self.url);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .header("Content-Type", "application/json")
            .body(body.unwrap_or_default().to_vec())
            .expect("request");
        let mut resp = agent.run(req).expect("the daemon answers");
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().expect("body");
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("HTTP {status}: the body is not JSON ({e}): {text}"));
        (status, value)
    }

    /// A POST one byte over the daemon's body limit. Exactly that many bytes are sent, so the
    /// daemon has read them all when it answers (a larger body would race it closing the
    /// connection while the test still writes).
    fn call_oversized(&self, path: &str, token: &str) -> (u16, Value) {
        let addr = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        let body = vec![b'x'; blastwall_server::api::MAX_BODY_BYTES + 1];
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .expect("send");
        stream.write_all(&body).expect("send the body");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        let (head, body) = read_http(&mut stream);
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let body = String::from_utf8_lossy(&body).into_owned();
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    fn create_agent(&self, name: &str, envs: &[&str]) -> String {
        let out = self.cli(
            &self.admin,
            &[
                &["agents", "create", name][..],
                &envs.iter().flat_map(|e| ["--env", e]).collect::<Vec<_>>(),
            ]
            .concat(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    fn create_human(&self, name: &str, role: &str) -> String {
        let out = self.cli(&self.admin, &["humans", "create", name, "--role", role]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// The rules of every record in the daemon's audit log, after checking its chain.
    fn audit_rules(&self) -> Vec<String> {
        let log =
            blastwall_audit::AuditLog::open(self.state().join("audit.db")).expect("audit log");
        assert!(
            log.verify().expect("verify").is_clean(),
            "the audit chain verifies"
        );
        log.tail(100_000)
            .expect("records")
            .into_iter()
            .map(|r| format!("{} {}", r.rule, r.decision))
            .collect()
    }
}

impl Drop for Plane {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Fails unless the audit log has a record with this rule and decision (`"approval.used allow"`).
fn assert_recorded(rules: &[String], needed: &str) {
    assert!(rules.iter().any(|r| r == needed), "{needed} in {rules:?}");
}

struct Hooked {
    decision: String,
    reason: String,
    #[allow(dead_code, reason = "kept for failure messages")]
    output: Output,
}

impl Hooked {
    /// The approval request the reason names.
    fn approval(&self) -> String {
        let at = self
            .reason
            .find("apr_")
            .unwrap_or_else(|| panic!("no approval id in {:?}", self.reason));
        self.reason[at..at + 28].to_owned()
    }
}

/// `blastwall hook claude-code` with `dir` as home and working directory, and no user
/// configuration unless the caller sets `BLASTWALL_CONFIG`.
fn hook_command(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["hook", "claude-code"])
        .env("BLASTWALL_CONFIG", "/nonexistent/blastwall.toml")
        .env("HOME", dir)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Starts the hook and gives it Claude Code's event for the Bash `command`, run in `dir`.
fn start_hook(mut cmd: Command, dir: &Path, command: &str) -> std::process::Child {
    let event = blastwall_hooks::shell_event(
        blastwall_hooks::Agent::ClaudeCode,
        command,
        dir.to_str().unwrap(),
        "session-1",
    );
    let mut child = cmd.spawn().expect("hook starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(event.as_bytes())
        .unwrap();
    child
}

fn hook_at(url: &str, token: &str, dir: &Path, command: &str) -> Hooked {
    let mut cmd = hook_command(dir);
    cmd.env("BLASTWALL_SERVER", url)
        .env("BLASTWALL_AGENT_TOKEN", token)
        .env("BLASTWALL_AUDIT_LOG", dir.join("local-audit.db"));
    let child = start_hook(cmd, dir, command);
    let output = child.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "the hook answers JSON ({e}): {} / {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    Hooked {
        decision: v["hookSpecificOutput"]["permissionDecision"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
        reason: v["hookSpecificOutput"]["permissionDecisionReason"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
        output,
    }
}

const PROD: &str = "[environments.prod]\npatterns = [\"*prod-db*\"]\n";
const DROP: &str = "psql -h dev-db -c 'DROP TABLE users'";
const DROP_PROD: &str = "psql -h prod-db -c 'DROP TABLE users'";

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn ask_then_cli_approval_with_typed_confirmation_lets_the_identical_action_pass_once() {
    let plane = Plane::start(PROD, &[]);
    let agent = plane.create_agent("coder", &["dev"]);
    let alice = plane.create_human("alice", "approver");

    // Reads are decided at once.
    assert_eq!(plane.hook(&agent, "git status").decision, "allow");

    let first = plane.hook(&agent, DROP);
    assert_eq!(
        first.decision, "deny",
        "held, not left to the terminal: {}",
        first.reason
    );
    assert!(
        first.reason.contains("blastwall approvals approve"),
        "{}",
        first.reason
    );
    let id = first.approval();

    // The request is listed, with the exact action.
    let listed = plane.cli(&alice, &["approvals", "list"]);
    assert!(text(&listed).contains(&id), "{}", text(&listed));
    let shown = plane.cli(&alice, &["approvals", "show", &id]);
    assert!(
        text(&shown).contains("DROP TABLE users"),
        "{}",
        text(&shown)
    );

    // Retrying before a vote waits on the same request.
    assert_eq!(plane.hook(&agent, DROP).approval(), id);

    // Destructive: the resource name must be typed, exactly.
    let bare = plane.cli(&alice, &["approvals", "approve", &id]);
    assert!(!bare.status.success());
    assert!(text(&bare).contains("--confirm"), "{}", text(&bare));
    let wrong = plane.cli(&alice, &["approvals", "approve", &id, "--confirm", "user"]);
    assert!(!wrong.status.success());
    let ok = plane.cli(&alice, &["approvals", "approve", &id, "--confirm", "users"]);
    assert!(ok.status.success(), "{}", text(&ok));

    // The identical action passes once; the same action again asks again.
    let passed = plane.hook(&agent, DROP);
    assert_eq!(passed.decision, "allow", "{}", passed.reason);
    let again = plane.hook(&agent, DROP);
    assert_eq!(again.decision, "deny");
    assert_ne!(again.approval(), id, "a used approval opens a new request");

    let rules = plane.audit_rules();
    for needed in [
        "approval.requested ask",
        "approval.vote allow",
        "approval.used allow",
        "approval.pending ask",
        "control.rejected.vote deny",
    ] {
        assert_recorded(&rules, needed);
    }
    // Each decision is recorded by the daemon, not by the hook process.
    assert!(!plane.dir.path().join("local-audit.db").exists());
}

#[test]
fn an_approval_covers_only_the_exact_action_it_was_given_for() {
    let plane = Plane::start("", &[]);
    let agent = plane.create_agent("coder", &["dev"]);
    let alice = plane.create_human("alice", "approver");
    let id = plane.hook(&agent, DROP).approval();
    let ok = plane.cli(&alice, &["approvals", "approve", &id, "--confirm", "users"]);
    assert!(ok.status.success(), "{}", text(&ok));

    // One byte differs (a second space): another digest, another request.
    let changed = plane.hook(&agent, "psql -h dev-db -c 'DROP TABLE  users'");
    assert_eq!(changed.decision, "deny");
    assert_ne!(changed.approval(), id);
    // Another agent sending the identical text does not use it either.
    let other = plane.create_agent("other", &["dev"]);
    let theirs = plane.hook(&other, DROP);
    assert_eq!(theirs.decision, "deny");
    assert_ne!(theirs.approval(), id);
    // The approved one still passes, once.
    assert_eq!(plane.hook(&agent, DROP).decision, "allow");

    // Voting again on the used request is refused.
    let (status, body) = plane.call(
        "POST",
        &format!("/v1/approvals/{id}/approve"),
        Some(&alice),
        Some(br#"{"confirm":"users"}"#),
    );
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "not-open");
}

#[test]
fn an_expired_request_approves_nothing() {
    let plane = Plane::start("[serve]\napproval_ttl_seconds = 1\n", &[]);
    let agent = plane.create_agent("coder", &["dev"]);
    let alice = plane.create_human("alice", "approver");
    let id = plane.hook(&agent, DROP).approval();
    std::thread::sleep(Duration::from_millis(1500));
    let late = plane.cli(&alice, &["approvals", "approve", &id, "--confirm", "users"]);
    assert!(!late.status.success());
    assert!(text(&late).contains("expired"), "{}", text(&late));
    let retry = plane.hook(&agent, DROP);
    assert_eq!(retry.decision, "deny");
    assert_ne!(retry.approval(), id);
    let rules = plane.audit_rules();
    assert_recorded(&rules, "approval.expired deny");
    assert_recorded(&rules, "control.rejected.vote deny");
}

#[test]
fn agents_can_neither_approve_nor_administer() {
    let plane = Plane::start("", &[]);
    let agent = plane.create_agent("coder", &["dev"]);
    let id = plane.hook(&agent, DROP).approval();

    // Its own request, with its own token, by the API and by the CLI.
    let (status, body) = plane.call(
        "POST",
        &format!("/v1/approvals/{id}/approve"),
        Some(&agent),
        Some(br#"{"confirm":"users"}"#),
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "agent-forbidden");
    let cli = plane.cli(&agent, &["approvals", "approve", &id, "--confirm", "users"]);
    assert!(!cli.status.success());

    // Every approval and admin call, and the admin's own credentials.
    let (_, me) = plane.call("GET", "/v1/whoami", Some(&plane.admin), None);
    let admin_id = me["id"].as_str().expect("the admin's id").to_owned();
    let calls: [(&str, String, &[u8]); 9] = [
        (
            "POST",
            format!("/v1/humans/{admin_id}/password"),
            br#"{"password":"correct horse battery"}"#,
        ),
        ("POST", format!("/v1/humans/{admin_id}/totp"), b""),
        ("GET", "/v1/approvals".into(), b""),
        ("POST", format!("/v1/approvals/{id}/deny"), b""),
        ("GET", "/v1/agents".into(), b""),
        (
            "POST",
            "/v1/agents".into(),
            br#"{"name":"x","environments":["prod"]}"#,
        ),
        (
            "POST",
            "/v1/humans".into(),
            br#"{"name":"me","roles":["admin"]}"#,
        ),
        (
            "POST",
            "/v1/principals/hum_000000000000000000000000/revoke".into(),
            b"",
        ),
        ("POST", "/v1/policy/reload".into(), b""),
    ];
    for (method, path, body) in calls {
        let (status, answer) = plane.call(method, &path, Some(&agent), Some(body));
        assert_eq!(status, 403, "{method} {path}: {answer}");
        assert_eq!(
            answer["error"]["code"], "agent-forbidden",
            "{method} {path}"
        );
    }
    // Still pending: nothing the agent did counted.
    let (_, shown) = plane.call(
        "GET",
        &format!("/v1/approvals/{id}"),
        Some(&plane.admin),
        None,
    );
    assert_eq!(shown["state"], "pending");
    assert_eq!(plane.hook(&agent, DROP).decision, "deny");

    let rules = plane.audit_rules();
    for needed in [
        "control.rejected.vote deny",
        "control.rejected.admin deny",
        "control.rejected.read deny",
    ] {
        assert_recorded(&rules, needed);
    }
}

#[test]
fn a_quorum_of_two_needs_two_different_humans() {
    let plane = Plane::start(PROD, &[]);
    let agent = plane.create_agent("dba", &["prod"]);
    let alice = plane.create_human("alice", "approver");
    let bob = plane.create_human("bob", "approver");

    let held = plane.hook(&agent, DROP_PROD);
    assert_eq!(held.decision, "deny", "{}", held.reason);
    assert!(held.reason.contains("0 of 2"), "{}", held.reason);
    let id = held.approval();

    let once = plane.cli(&alice, &["approvals", "approve", &id, "--confirm", "users"]);
    assert!(once.status.success(), "{}", text(&once));
    let twice = plane.cli(&alice, &["approvals", "approve", &id, "--confirm", "users"]);
    assert!(!twice.status.success());
    assert!(text(&twice).contains("already voted"), "{}", text(&twice));
    assert_eq!(
        plane.hook(&agent, DROP_PROD).decision,
        "deny",
        "one human is not two"
    );

    let second = plane.cli(&bob, &["approvals", "approve", &id, "--confirm", "users"]);
    assert!(second.status.success(), "{}", text(&second));
    let passed = plane.hook(&agent, DROP_PROD);
    assert_eq!(passed.decision, "allow", "{}", passed.reason);
    assert!(passed.reason.contains("approval.used"), "{}", passed.reason);
}

#[test]
fn an_agent_scoped_to_dev_is_denied_prod_with_both_named() {
    let plane = Plane::start(PROD, &[]);
    let agent = plane.create_agent("coder", &["dev"]);
    let out = plane.hook(&agent, DROP_PROD);
    assert_eq!(out.decision, "deny");
    assert!(
        !out.reason.contains("apr_"),
        "no request for what policy forbids: {}",
        out.reason
    );
    assert!(
        out.reason.contains("scoped to")
            && out.reason.contains("dev")
            && out.reason.contains("prod"),
        "{}",
        out.reason
    );
}

#[test]
fn a_human_deny_refuses_the_action() {
    let plane = Plane::start("", &[]);
    let agent = plane.create_agent("coder", &["dev"]);
    let alice = plane.create_human("alice", "approver");
    let id = plane.hook(&agent, DROP).approval();
    assert!(
        plane
            .cli(&alice, &["approvals", "deny", &id])
            .status
            .success()
    );
    let out = plane.hook(&agent, DROP);
    assert_eq!(out.decision, "deny");
    assert!(out.reason.contains("alice denied"), "{}", out.reason);
}

#[test]
fn signed_vote_callbacks_count_and_tampered_ones_are_refused_and_recorded() {
    let secret = "a-shared-secret-of-some-length";
    let plane = Plane::start("", &[("BLASTWALL_CALLBACK_SECRET", secret)]);
    let agent = plane.create_agent("coder", &["dev"]);
    plane.create_human("alice", "approver");
    let id = plane.hook(&agent, DROP).approval();

    let vote = serde_json::to_vec(&json!({
        "request": id, "human": "alice", "choice": "approve", "confirm": "users"
    }))
    .unwrap();
    let good = blastwall_control::webhook::sign(&vote, secret.as_bytes());
    let forged = blastwall_control::webhook::sign(&vote, b"not-the-secret-at-all");
    let mut tampered = vote.clone();
    tampered[10] ^= 1;

    for (body, sig) in [
        (&tampered, good.as_str()),
        (&vote, forged.as_str()),
        (&vote, "sha256=zz"),
    ] {
        let (status, answer) = plane.call_with(
            "POST",
            "/v1/callbacks/vote",
            None,
            Some(body),
            &[("X-Blastwall-Signature", sig)],
        );
        assert_eq!(status, 401, "{answer}");
        assert_eq!(answer["error"]["code"], "bad-signature");
    }
    assert_eq!(
        plane.hook(&agent, DROP).decision,
        "deny",
        "nothing was counted"
    );

    let (status, answer) = plane.call_with(
        "POST",
        "/v1/callbacks/vote",
        None,
        Some(&vote),
        &[("X-Blastwall-Signature", &good)],
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["state"], "approved");
    assert_eq!(plane.hook(&agent, DROP).decision, "allow");
    let rules = plane.audit_rules();
    assert_recorded(&rules, "control.rejected.callback deny");
}

#[test]
fn bad_api_input_gets_a_json_4xx_and_the_daemon_stays_up() {
    let plane = Plane::start("", &[]);
    let agent = plane.create_agent("coder", &["dev"]);
    // method, path, token, body, expected status, expected error code
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, Vec<u8>, u16, &'a str);
    let cases: [Case; 7] = [
        (
            "POST",
            "/v1/decide",
            Some(&agent),
            b"{not json".to_vec(),
            400,
            "invalid-json",
        ),
        (
            "POST",
            "/v1/decide",
            Some(&agent),
            br#"{"action":{"tool":"shell","command":"ls"},"extra":1}"#.to_vec(),
            400,
            "invalid-json",
        ),
        (
            "POST",
            "/v1/decide",
            Some(&agent),
            br#"{"action":{"tool":"fortran"}}"#.to_vec(),
            400,
            "invalid-action",
        ),
        (
            "POST",
            "/v1/decide",
            Some("agt_nope.nope"),
            br#"{"action":{"tool":"shell","command":"ls"}}"#.to_vec(),
            401,
            "invalid-token",
        ),
        (
            "POST",
            "/v1/decide",
            None,
            br#"{"action":{"tool":"shell","command":"ls"}}"#.to_vec(),
            401,
            "unauthenticated",
        ),
        ("GET", "/v1/nowhere", None, Vec::new(), 404, "no-such-route"),
        (
            "DELETE",
            "/v1/decide",
            None,
            Vec::new(),
            405,
            "method-not-allowed",
        ),
    ];
    for (method, path, token, body, status, code) in cases {
        let (got, answer) = plane.call(method, path, token, Some(&body));
        assert_eq!(
            (got, answer["error"]["code"].as_str()),
            (status, Some(code)),
            "{method} {path}: {answer}"
        );
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // An id that is not text is an unknown id, in JSON, after authentication.
    let (status, answer) = plane.call("GET", "/v1/approvals/%FF", Some(&plane.admin), None);
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("no-such-request")),
        "{answer}"
    );
    let (status, _) = plane.call("GET", "/v1/approvals/%FF", None, None);
    assert_eq!(status, 401);
    // The scheme is case-insensitive; the query string is percent-decoded.
    let (status, answer) = plane.call("GET", "/v1/approvals?state=%70ending", None, None);
    assert_eq!(status, 401, "{answer}");
    let (status, answer) = plane.call_with(
        "GET",
        "/v1/approvals?state=%70ending",
        None,
        None,
        &[("Authorization", &format!("bearer {}", plane.admin))],
    );
    assert_eq!(status, 200, "{answer}");
    // An agent asking to create an identity is refused before its body is read.
    let (status, answer) = plane.call("POST", "/v1/agents", Some(&agent), Some(b"{}"));
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (403, Some("agent-forbidden"))
    );
    // Oversized bodies are named as such on every route that reads one.
    for path in [
        "/v1/decide",
        "/v1/approvals/apr_x/approve",
        "/v1/callbacks/vote",
        "/v1/agents",
    ] {
        let (status, answer) = plane.call_oversized(path, &plane.admin);
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (413, Some("body-too-large")),
            "{path}"
        );
    }
    let (status, health) = plane.call("GET", "/v1/health", None, None);
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    // The API describes itself.
    let (status, doc) = plane.call("GET", "/openapi.json", None, None);
    assert_eq!(status, 200);
    assert!(doc["paths"]["/v1/decide"]["post"].is_object(), "{doc}");
}

#[test]
fn a_restart_loses_no_pending_approval_and_no_audit_record() {
    let mut plane = Plane::start("", &[]);
    let agent = plane.create_agent("coder", &["dev"]);
    let alice = plane.create_human("alice", "approver");
    let id = plane.hook(&agent, DROP).approval();
    let before = plane.audit_rules().len();
    plane.restart();
    let listed = plane.cli(&alice, &["approvals", "list"]);
    assert!(text(&listed).contains(&id), "{}", text(&listed));
    assert!(
        plane
            .cli(&alice, &["approvals", "approve", &id, "--confirm", "users"])
            .status
            .success()
    );
    assert_eq!(plane.hook(&agent, DROP).decision, "allow");
    assert!(plane.audit_rules().len() > before);
}

#[test]
fn with_the_daemon_down_destructive_actions_are_denied_and_reads_decided_locally() {
    // A port nothing listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let token = "agt_000000000000000000000000.00";
    assert_eq!(
        hook_at(&url, token, dir.path(), "git status").decision,
        "allow"
    );
    let down = hook_at(&url, token, dir.path(), DROP);
    assert_eq!(down.decision, "deny");
    assert!(down.reason.contains("cannot be reached"), "{}", down.reason);
    assert!(
        down.reason.contains("control.unreachable"),
        "{}",
        down.reason
    );
    // The local decision is recorded locally.
    assert!(dir.path().join("local-audit.db").exists());
}

#[test]
fn a_hook_configured_for_a_control_plane_without_a_token_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = hook_command(dir.path());
    cmd.env("BLASTWALL_SERVER", "http://127.0.0.1:9")
        .env_remove("BLASTWALL_AGENT_TOKEN");
    let child = start_hook(cmd, dir.path(), "ls");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no agent token"), "{}", text(&out));
}

#[test]
fn webhooks_announce_new_requests_slack_style_and_signed() {
    let receiver = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = receiver.local_addr().unwrap();
    let secret = "webhook-secret-0123456789";
    let config = format!(
        "[[serve.webhooks]]\nurl = \"http://{addr}/slack\"\nformat = \"slack\"\n\n[[serve.webhooks]]\nurl = \"http://{addr}/signed\"\nformat = \"signed\"\nsecret_env = \"HOOK_SECRET\"\n"
    );
    let plane = Plane::start(&config, &[("HOOK_SECRET", secret)]);
    let agent = plane.create_agent("coder", &["dev"]);
    let id = plane.hook(&agent, DROP).approval();

    let mut seen = Vec::new();
    for _ in 0..2 {
        let (mut stream, _) = receiver.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let (head, body) = read_http(&mut stream);
        stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .unwrap();
        seen.push((head, body));
    }
    let slack = seen
        .iter()
        .find(|(h, _)| h.starts_with("POST /slack"))
        .expect("slack message");
    let slack_json: Value = serde_json::from_slice(&slack.1).unwrap();
    assert!(
        slack_json["text"].as_str().unwrap().contains(&id),
        "{slack_json}"
    );
    let signed = seen
        .iter()
        .find(|(h, _)| h.starts_with("POST /signed"))
        .expect("signed message");
    let signature = signed
        .0
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("x-blastwall-signature:")
                .map(|v| v.trim().to_owned())
        })
        .expect("signature header");
    blastwall_control::verify_signature(&signed.1, &signature, secret.as_bytes())
        .expect("signature checks");
    let payload: Value = serde_json::from_slice(&signed.1).unwrap();
    assert_eq!(payload["request"]["id"], id.as_str());
    assert!(
        !String::from_utf8_lossy(&signed.1).contains(&agent),
        "no token in a payload"
    );
}

/// One HTTP/1.1 request: its head and its body (by Content-Length).
fn read_http(stream: &mut std::net::TcpStream) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).unwrap();
    (head, body)
}

#[test]
fn a_broken_policy_is_reported_with_its_line_and_the_old_one_stays() {
    let plane = Plane::start("", &[]);
    let policy = plane.dir.path().join("policy.cedar");
    std::fs::write(&policy, blastwall_policy::DEFAULT_POLICY).unwrap();
    // A second daemon of the same state would fight over it; use the CLI on files here, and
    // the reload endpoint of a daemon started with the file.
    let valid = plane.cli("", &["policy", "validate", policy.to_str().unwrap()]);
    assert!(valid.status.success(), "{}", text(&valid));
    let broken = format!(
        "{}\npermit (principal, action, resource) when {{ context.nope }};\n",
        blastwall_policy::DEFAULT_POLICY
    );
    let lines = broken.lines().count();
    let bad = plane.dir.path().join("bad.cedar");
    std::fs::write(&bad, &broken).unwrap();
    let invalid = plane.cli("", &["policy", "validate", bad.to_str().unwrap()]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(
        text(&invalid).contains(&format!("{lines}:")),
        "names line {lines}: {}",
        text(&invalid)
    );

    let cases =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../blastwall-policy/cases/default.toml");
    let tested = plane.cli("", &["policy", "test", cases.to_str().unwrap()]);
    assert!(tested.status.success(), "{}", text(&tested));
    assert!(text(&tested).contains("0 failed"), "{}", text(&tested));
}

#[test]
fn hot_reload_keeps_the_working_policy_when_the_new_file_is_broken() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.cedar");
    std::fs::write(&policy, blastwall_policy::DEFAULT_POLICY).unwrap();
    let plane = Plane::start(
        &format!("[serve]\npolicy = {:?}\n", policy.to_str().unwrap()),
        &[],
    );
    let (_, before) = plane.call("GET", "/v1/policy", Some(&plane.admin), None);
    let count = before["policies"].as_array().unwrap().len();
    std::fs::write(
        &policy,
        "permit (principal, action, resource) when { nonsense };\n",
    )
    .unwrap();
    let (status, answer) = plane.call("POST", "/v1/policy/reload", Some(&plane.admin), None);
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]["message"].as_str().unwrap().contains("1:"),
        "{answer}"
    );
    let (_, after) = plane.call("GET", "/v1/policy", Some(&plane.admin), None);
    assert_eq!(
        after["policies"].as_array().unwrap().len(),
        count,
        "the old policy stays"
    );
    let agent = plane.create_agent("coder", &["dev"]);
    assert_eq!(plane.hook(&agent, "git status").decision, "allow");
}

#[test]
fn a_hook_told_to_wait_lets_the_action_run_once_a_human_approves() {
    let plane = Plane::start("", &[]);
    let agent = plane.create_agent("coder", &["dev"]);
    let alice = plane.create_human("alice", "approver");
    // The hook's own user configuration: where the daemon is, its token, and how long to wait.
    let home = plane.dir.path().join("agent-home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join("coder.token"), format!("{agent}\n")).unwrap();
    // Not in the working directory, where it would be read as a project file too.
    std::fs::create_dir(home.join("config")).unwrap();
    let config = home.join("config/blastwall.toml");
    std::fs::write(
        &config,
        format!(
            "[control]\nurl = {:?}\ntoken_file = {:?}\nwait_seconds = 60\n",
            plane.url,
            home.join("coder.token")
        ),
    )
    .unwrap();
    let mut cmd = hook_command(&home);
    cmd.env("BLASTWALL_CONFIG", &config)
        .env_remove("BLASTWALL_SERVER")
        .env_remove("BLASTWALL_AGENT_TOKEN");
    let mut child = start_hook(cmd, &home, DROP);

    // A human finds the request and approves it while the hook waits.
    let id = (0..300)
        .find_map(|_| {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the hook ended before anyone approved: {status}");
            }
            let (_, list) = plane.call("GET", "/v1/approvals?state=pending", Some(&alice), None);
            let id = list
                .as_array()
                .and_then(|l| l.first())
                .map(|r| r["id"].as_str().unwrap().to_owned());
            if id.is_none() {
                std::thread::sleep(Duration::from_millis(100));
            }
            id
        })
        .expect("the hook opened a request");
    let ok = plane.cli(&alice, &["approvals", "approve", &id, "--confirm", "users"]);
    assert!(ok.status.success(), "{}", text(&ok));

    let out = child.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    assert_eq!(
        v["hookSpecificOutput"]["permissionDecision"], "allow",
        "{v}"
    );
    // It was used: the next identical attempt asks again.
    assert_eq!(plane.hook(&agent, DROP).decision, "deny");
}

#[test]
fn a_human_can_vote_with_password_and_totp_and_a_wrong_code_is_refused() {
    let plane = Plane::start("", &[]);
    let agent = plane.create_agent("coder", &["dev"]);
    let (status, created) = plane.call(
        "POST",
        "/v1/humans",
        Some(&plane.admin),
        Some(br#"{"name":"carol","roles":["approver"]}"#),
    );
    assert_eq!(status, 200, "{created}");
    let carol = created["human"]["id"].as_str().unwrap().to_owned();
    let (status, _) = plane.call(
        "POST",
        &format!("/v1/humans/{carol}/password"),
        Some(&plane.admin),
        Some(br#"{"password":"correct horse battery"}"#),
    );
    assert_eq!(status, 200);
    let (status, enrolled) = plane.call(
        "POST",
        &format!("/v1/humans/{carol}/totp"),
        Some(&plane.admin),
        Some(b""),
    );
    assert_eq!(status, 200, "{enrolled}");
    let secret = enrolled["secret_base32"].as_str().unwrap().to_owned();

    let id = plane.hook(&agent, DROP).approval();
    let vote = |totp: &str| {
        Command::new(BIN)
            .args([
                "approvals",
                "approve",
                &id,
                "--confirm",
                "users",
                "--user",
                "carol",
                "--totp",
                totp,
            ])
            .env("BLASTWALL_SERVER", &plane.url)
            .env("BLASTWALL_PASSWORD", "correct horse battery")
            .env_remove("BLASTWALL_TOKEN")
            .env("BLASTWALL_CONFIG", "/nonexistent/blastwall.toml")
            .output()
            .unwrap()
    };
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let code = blastwall_control::totp_code(&secret, now()).unwrap();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let refused = vote(&wrong);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("login failed"),
        "{}",
        text(&refused)
    );
    assert_eq!(plane.hook(&agent, DROP).decision, "deny");

    let ok = vote(&blastwall_control::totp_code(&secret, now()).unwrap());
    assert!(ok.status.success(), "{}", text(&ok));
    assert_eq!(plane.hook(&agent, DROP).decision, "allow");
    let rules = plane.audit_rules();
    assert_recorded(&rules, "control.rejected.login deny");
    assert!(
        rules
            .iter()
            .any(|r| r == "identity.credential-changed allow"),
        "{rules:?}"
    );
}

#[test]
fn doctor_checks_the_control_plane_and_the_agent_token() {
    let mut plane = Plane::start("", &[]);
    let agent = plane.create_agent("coder", &["dev"]);
    let (url, dir) = (plane.url.clone(), plane.dir.path().to_owned());
    let doctor = |token: &str| {
        Command::new(BIN)
            .args(["doctor"])
            .env("BLASTWALL_SERVER", &url)
            .env("BLASTWALL_AGENT_TOKEN", token)
            .env("BLASTWALL_CONFIG", "/nonexistent/blastwall.toml")
            .env("HOME", &dir)
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    let good = doctor(&agent);
    assert!(
        text(&good).contains("agent token: accepted, agent coder in dev"),
        "{}",
        text(&good)
    );
    let human = doctor(&plane.admin);
    assert!(
        text(&human).contains("belongs to the human admin"),
        "{}",
        text(&human)
    );
    assert_eq!(human.status.code(), Some(1));
    plane.stop();
    let down = doctor(&agent);
    assert!(text(&down).contains("reachable: NO"), "{}", text(&down));
    assert_eq!(down.status.code(), Some(1));
}
