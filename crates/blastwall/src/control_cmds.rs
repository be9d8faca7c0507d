//! The control-plane commands of the CLI: `serve`, `agents`, `humans`, `approvals`, `policy`.
//!
//! `serve` runs the daemon in this process; the others are clients of its API (humans and
//! admins with their own token) except `policy validate|test`, which need no daemon.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use blastwall::Engine;
use blastwall::client::{Client, DEFAULT_URL};
use blastwall_audit::AuditLog;
use blastwall_config::{ServeSection, WebhookFormat};
use blastwall_control::{Agent, Human, SqliteStore, State, SystemClock};
use blastwall_policy::{PolicySet, PolicyStore};
use blastwall_server::api::{
    ApprovalView, CreatedAgent, CreatedHuman, DEFAULT_LISTEN, NewAgent, NewHuman, NewPassword,
    VoteBody,
};
use blastwall_server::{AuditTrail, Daemon, Settings, Webhook};
use clap::{Args, Subcommand};

/// How a client command reaches the daemon and who it is.
#[derive(Args, Debug, Clone)]
pub struct Conn {
    /// The control plane's URL (default: $BLASTWALL_SERVER, else [control] url, else
    /// http://127.0.0.1:7878).
    #[arg(long, value_name = "URL", global = true)]
    server: Option<String>,
    /// A file holding your token (default: $BLASTWALL_TOKEN).
    #[arg(long, value_name = "FILE", global = true, conflicts_with = "user")]
    token_file: Option<PathBuf>,
    /// Log in as this human with a password instead of a token (the password is read from
    /// $BLASTWALL_PASSWORD, else from the first line of standard input).
    #[arg(long, value_name = "NAME", global = true)]
    user: Option<String>,
    /// The code your authenticator app shows, with --user when you enrolled TOTP.
    #[arg(long, value_name = "CODE", global = true, requires = "user")]
    totp: Option<String>,
}

#[derive(Subcommand, Debug, Clone)]
pub enum AgentsCmd {
    /// Create an agent identity; its token is printed once (stored only as a hash).
    Create {
        name: String,
        /// An environment it may act in (repeat for several): dev, staging, prod, …
        #[arg(long = "env", required = true, value_name = "ENV")]
        environments: Vec<String>,
        /// A scope or group, seen by policy as the agent's group (repeatable).
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
    },
    /// List agents.
    List,
    /// Revoke an agent or human by id: its token stops working at once.
    Revoke { id: String },
}

#[derive(Subcommand, Debug, Clone)]
pub enum HumansCmd {
    /// Create a human; their token is printed once.
    Create {
        name: String,
        /// approver or admin (repeatable).
        #[arg(long = "role", required = true, value_name = "ROLE")]
        roles: Vec<String>,
    },
    /// List humans.
    List,
    /// Set a human's password (yours, or anyone's as an admin); read from the first line of
    /// standard input, at least 12 characters.
    Password { id: String },
    /// Enroll a human in TOTP: password logins then also need the authenticator's code. Prints
    /// the secret and an otpauth:// URI, once.
    Totp { id: String },
}

#[derive(Subcommand, Debug, Clone)]
pub enum ApprovalsCmd {
    /// Approval requests (default: the pending ones).
    List {
        /// pending, approved, denied, used, expired or all.
        #[arg(long, default_value = "pending")]
        state: String,
        /// JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// One request in full: the exact action, who asked, why, and how to vote.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Approve a request (once per human; destructive ones need --confirm with the resource name).
    Approve {
        id: String,
        /// The resource name, typed exactly, for requests that need it.
        #[arg(long, value_name = "NAME")]
        confirm: Option<String>,
    },
    /// Deny a request: the action must not run.
    Deny { id: String },
}

#[derive(Subcommand, Debug, Clone)]
pub enum PolicyCmd {
    /// Check a Cedar policy file against blastwall's schema; names file, line and column of each
    /// problem.
    Validate { file: PathBuf },
    /// Run a file of policy test cases (TOML or JSON Lines) against a policy (default: the
    /// embedded one).
    Test {
        cases: PathBuf,
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
    },
    /// Print the embedded default policy.
    Show,
}

/// `blastwall serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on (default: [serve] listen, else 127.0.0.1:7878).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Directory of the control database, its audit log and the first admin's token (default:
    /// [serve] state_dir, else $XDG_STATE_HOME/blastwall/control).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// A Cedar policy file, watched and reloaded while serving (default: the embedded policy).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Where to write the first admin's token on first start (default: DIR/admin.token).
    #[arg(long, value_name = "FILE")]
    admin_token_file: Option<PathBuf>,
}

fn state_dir(given: Option<PathBuf>, section: &ServeSection) -> anyhow::Result<PathBuf> {
    if let Some(d) = given.or_else(|| section.state_dir.clone()) {
        return Ok(d);
    }
    let base = blastwall_audit::state_dir()
        .context("neither XDG_STATE_HOME nor HOME is set: give --state-dir")?;
    Ok(base.join("control"))
}

fn secret_from_env(var: &str, what: &str) -> anyhow::Result<Vec<u8>> {
    let value = std::env::var(var)
        .with_context(|| format!("{what}: the environment variable {var} is not set"))?;
    anyhow::ensure!(
        value.len() >= 16,
        "{what}: the secret in {var} is shorter than 16 characters"
    );
    Ok(value.into_bytes())
}

/// Runs the daemon until interrupted.
pub fn serve(
    args: ServeArgs,
    engine: Engine,
    section: ServeSection,
    audit_log: Option<PathBuf>,
) -> anyhow::Result<u8> {
    let dir = state_dir(args.state_dir, &section)?;
    create_private_dir(&dir)?;
    let store = SqliteStore::open(dir.join("control.db"))?;
    let audit_path = audit_log.unwrap_or_else(|| dir.join("audit.db"));
    let audit = AuditLog::open(&audit_path)
        .with_context(|| format!("cannot open the audit log {}", audit_path.display()))?;
    let policy_file = args.policy.or(section.policy.clone());
    let set = match &policy_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the policy file {}", path.display()))?;
            blastwall_policy::validate(&text, &path.display().to_string())?
        }
        None => PolicySet::defaults(),
    };
    let callback_var = section
        .callback_secret_env
        .clone()
        .unwrap_or_else(|| "BLASTWALL_CALLBACK_SECRET".into());
    let callback_secret = match std::env::var(&callback_var) {
        Ok(_) => Some(secret_from_env(&callback_var, "vote callbacks")?),
        Err(_) => None,
    };
    let mut webhooks = Vec::new();
    for hook in &section.webhooks {
        webhooks.push(match hook.format {
            WebhookFormat::Slack => Webhook::Slack {
                url: hook.url.clone(),
            },
            WebhookFormat::Signed => {
                let var = hook.secret_env.as_deref().with_context(|| {
                    format!(
                        "[[serve.webhooks]] {}: a signed webhook needs secret_env",
                        hook.url
                    )
                })?;
                Webhook::Signed {
                    url: hook.url.clone(),
                    secret: secret_from_env(var, &format!("the webhook {}", hook.url))?,
                }
            }
        });
    }
    let settings = Settings {
        approval_ttl: Duration::from_secs(section.approval_ttl_seconds.unwrap_or(900).max(1)),
        utc_offset_secs: section.utc_offset_minutes.unwrap_or(0) * 60,
        callback_secret,
        webhooks,
        policy_file: policy_file.clone(),
    };
    let daemon = Daemon::start(
        engine,
        store,
        AuditTrail::new(audit),
        PolicyStore::new(set),
        Arc::new(SystemClock),
        settings,
    );
    if let Some((human, token)) = daemon.bootstrap()? {
        let path = args
            .admin_token_file
            .unwrap_or_else(|| dir.join("admin.token"));
        write_private(&path, &format!("{token}\n"))?;
        eprintln!(
            "blastwall: first start: created the admin `{}`; its token is in {} (readable only by you). Keep it where no agent can read it.",
            human.name,
            path.display()
        );
    }
    let listen = args
        .listen
        .or(section.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.into());
    // Decisions run on blocking threads; a bounded pool keeps a burst of agents from starting
    // hundreds of threads (and their allocator arenas): the excess waits its turn.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(16)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        eprintln!(
            "blastwall: control plane listening on http://{addr} (state in {}, audit log {}, policy {})",
            dir.display(),
            audit_path.display(),
            policy_file
                .as_ref()
                .map_or("embedded default".into(), |p| p.display().to_string())
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        blastwall_server::serve(listener, daemon, shutdown)
            .await
            .context("the server stopped")
    })?;
    Ok(0)
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot restrict {} to its owner", dir.display()))?;
    }
    Ok(())
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Reads a token file (the first line, trimmed).
pub fn read_token(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?;
    let token = text.lines().next().unwrap_or("").trim().to_owned();
    anyhow::ensure!(
        !token.is_empty(),
        "the token file {} is empty",
        path.display()
    );
    Ok(token)
}

impl Conn {
    /// A client for a human's command; `configured_url` is [control] url.
    pub fn client(&self, configured_url: Option<&str>) -> anyhow::Result<Client> {
        let url = self
            .server
            .clone()
            .or_else(|| std::env::var("BLASTWALL_SERVER").ok())
            .or_else(|| configured_url.map(str::to_owned))
            .unwrap_or_else(|| DEFAULT_URL.into());
        if let Some(name) = &self.user {
            let password = match std::env::var("BLASTWALL_PASSWORD") {
                Ok(p) => p,
                Err(_) => first_line_of_stdin("your password")?,
            };
            return Ok(Client::with_login(
                &url,
                name,
                &password,
                self.totp.as_deref(),
                Duration::from_secs(30),
            ));
        }
        let token = match &self.token_file {
            Some(path) => read_token(path)?,
            None => std::env::var("BLASTWALL_TOKEN").map_err(|_| {
                anyhow::anyhow!(
                    "no token: set BLASTWALL_TOKEN or pass --token-file (the first admin's token is in the daemon's state directory, admin.token)"
                )
            })?,
        };
        Ok(Client::new(&url, Some(token), Duration::from_secs(30)))
    }
}

/// The first line of standard input, without its line ending.
fn first_line_of_stdin(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .with_context(|| format!("cannot read {what} from standard input"))?;
    let line = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!line.is_empty(), "no {what} on standard input");
    Ok(line)
}

pub fn agents(client: &Client, command: AgentsCmd) -> anyhow::Result<u8> {
    match command {
        AgentsCmd::Create {
            name,
            environments,
            scopes,
        } => {
            let created: CreatedAgent = client.post(
                "/v1/agents",
                &NewAgent {
                    name,
                    environments,
                    scopes,
                },
            )?;
            eprintln!(
                "created agent {} ({}) for {}; its token follows, shown only this once:",
                created.agent.name,
                created.agent.id,
                created.agent.environments.join(", ")
            );
            println!("{}", created.token);
        }
        AgentsCmd::List => {
            let agents: Vec<Agent> = client.get("/v1/agents")?;
            println!("{:<28} {:<20} {:<20} STATUS", "ID", "NAME", "ENVIRONMENTS");
            for a in agents {
                println!(
                    "{:<28} {:<20} {:<20} {}",
                    a.id,
                    a.name,
                    a.environments.join(","),
                    if a.revoked_ms.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                );
            }
        }
        AgentsCmd::Revoke { id } => {
            let _: serde_json::Value = client.post(
                &format!("/v1/principals/{id}/revoke"),
                &serde_json::json!({}),
            )?;
            println!("revoked {id}");
        }
    }
    Ok(0)
}

pub fn humans(client: &Client, command: HumansCmd) -> anyhow::Result<u8> {
    match command {
        HumansCmd::Create { name, roles } => {
            let created: CreatedHuman = client.post("/v1/humans", &NewHuman { name, roles })?;
            eprintln!(
                "created human {} ({}); their token follows, shown only this once:",
                created.human.name, created.human.id
            );
            println!("{}", created.token);
        }
        HumansCmd::List => {
            let humans: Vec<Human> = client.get("/v1/humans")?;
            println!("{:<28} {:<20} {:<20} STATUS", "ID", "NAME", "ROLES");
            for h in humans {
                let roles: Vec<&str> = h.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "{:<28} {:<20} {:<20} {}",
                    h.id,
                    h.name,
                    roles.join(","),
                    if h.revoked_ms.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                );
            }
        }
        HumansCmd::Password { id } => {
            let password = first_line_of_stdin("the new password")?;
            let _: serde_json::Value = client.post(
                &format!("/v1/humans/{id}/password"),
                &NewPassword { password },
            )?;
            println!("password set for {id}");
        }
        HumansCmd::Totp { id } => {
            let enrolled: serde_json::Value =
                client.post(&format!("/v1/humans/{id}/totp"), &serde_json::json!({}))?;
            eprintln!("add this to your authenticator app (shown only this once):");
            println!(
                "{}\n{}",
                enrolled["secret_base32"].as_str().unwrap_or(""),
                enrolled["uri"].as_str().unwrap_or("")
            );
        }
    }
    Ok(0)
}

pub fn approvals(client: &Client, command: ApprovalsCmd) -> anyhow::Result<u8> {
    match command {
        ApprovalsCmd::List { state, json } => {
            let list: Vec<ApprovalView> = client.get(&format!("/v1/approvals?state={state}"))?;
            if json {
                for a in &list {
                    println!("{}", serde_json::to_string(a)?);
                }
            } else if list.is_empty() {
                println!("no {state} approval requests");
            } else {
                println!(
                    "{:<28} {:<9} {:<12} {:<8} {:<6} {:<24} INPUT",
                    "ID", "STATE", "EFFECT", "ENV", "VOTES", "AGENT"
                );
                for a in &list {
                    println!(
                        "{:<28} {:<9} {:<12} {:<8} {:<6} {:<24} {}",
                        a.id,
                        a.state.to_string(),
                        a.effect.as_str(),
                        a.environment,
                        format!("{}/{}", a.approvals, a.quorum),
                        a.agent,
                        one_line(&a.input, 60)
                    );
                }
            }
        }
        ApprovalsCmd::Show { id, json } => {
            let a: ApprovalView = client.get(&format!("/v1/approvals/{id}"))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&a)?);
            } else {
                print!("{}", describe(&a));
            }
        }
        ApprovalsCmd::Approve { id, confirm } => {
            // The daemon refuses agents' votes itself (and records the attempt).
            let a: ApprovalView = client.post(
                &format!("/v1/approvals/{id}/approve"),
                &VoteBody { confirm },
            )?;
            println!(
                "approved {} ({} of {} approvals): it is now {}",
                a.id, a.approvals, a.quorum, a.state
            );
            if a.state == State::Approved {
                println!("the identical action will run once when the agent retries it");
            }
        }
        ApprovalsCmd::Deny { id } => {
            let a: ApprovalView =
                client.post(&format!("/v1/approvals/{id}/deny"), &VoteBody::default())?;
            println!(
                "denied {}: the action must not run (state {})",
                a.id, a.state
            );
        }
    }
    Ok(0)
}

fn describe(a: &ApprovalView) -> String {
    let mut out = String::new();
    let line = |out: &mut String, k: &str, v: &str| out.push_str(&format!("{k:<13}{v}\n"));
    line(&mut out, "request", &a.id);
    line(&mut out, "state", &a.state.to_string());
    line(
        &mut out,
        "agent",
        &match &a.session {
            Some(s) => format!("{} (session {s})", a.agent),
            None => a.agent.clone(),
        },
    );
    line(&mut out, "environment", &a.environment);
    line(&mut out, "effect", a.effect.as_str());
    line(&mut out, "resource", &a.resource);
    line(&mut out, "rule", &a.rule);
    line(&mut out, "why", &a.reason);
    line(
        &mut out,
        "approvals",
        &format!("{} of {}", a.approvals, a.quorum),
    );
    if !a.voters.is_empty() {
        line(&mut out, "votes", &a.voters.join(", "));
    }
    line(&mut out, "digest", &a.digest);
    line(
        &mut out,
        "expires",
        &blastwall_audit::rfc3339_ms(a.expires_ms),
    );
    out.push_str("action       (exactly what runs once approved)\n");
    for l in a.input.lines() {
        out.push_str(&format!("    {l}\n"));
    }
    out.push_str(&format!(
        "approve with {}\ndeny with    {}\n",
        a.approve_command, a.deny_command
    ));
    out
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max).collect::<String>())
    } else {
        flat
    }
}

pub fn policy(command: PolicyCmd) -> anyhow::Result<u8> {
    match command {
        PolicyCmd::Validate { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read the policy file {}", file.display()))?;
            match blastwall_policy::validate(&text, &file.display().to_string()) {
                Ok(set) => {
                    println!("{}: valid, {} policies", file.display(), set.len());
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("{e}");
                    Ok(1)
                }
            }
        }
        PolicyCmd::Test { cases, policy } => {
            let set = match policy {
                Some(file) => {
                    let text = std::fs::read_to_string(&file).with_context(|| {
                        format!("cannot read the policy file {}", file.display())
                    })?;
                    blastwall_policy::validate(&text, &file.display().to_string())?
                }
                None => PolicySet::defaults(),
            };
            let report = blastwall_policy::run_case_file(&set, &cases)?;
            println!("{}: {report}", cases.display());
            Ok(if report.ok() { 0 } else { 1 })
        }
        PolicyCmd::Show => {
            print!("{}", blastwall_policy::DEFAULT_POLICY);
            Ok(0)
        }
    }
}
