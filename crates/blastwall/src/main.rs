//! The `blastwall` command line: parses arguments, loads configuration, prints. All judging is
//! in the library crates.

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use blastwall::audit::{Recorder, after_recording};
use blastwall::{Engine, Report, Request, exit_code};
use blastwall_audit::NewRecord;
use blastwall_core::{Decision, Door, Principal};
use clap::{Parser, Subcommand};

mod control_cmds;
use control_cmds::{AgentsCmd, ApprovalsCmd, Conn, HumansCmd, PolicyCmd, ServeArgs};

/// Largest input `check` reads, so hostile input cannot exhaust memory.
const MAX_STDIN: u64 = 16 * 1024 * 1024;

#[derive(Parser)]
#[command(
    name = "blastwall",
    version,
    about = "Stops AI agents from destroying what they can reach."
)]
struct Cli {
    /// Configuration file to use instead of the user and project files.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ignore every configuration file: embedded rule packs and defaults only.
    #[arg(long, global = true)]
    no_config: bool,
    /// The audit log (default: $BLASTWALL_AUDIT_LOG, else $XDG_STATE_HOME/blastwall/audit.db,
    /// else ~/.local/state/blastwall/audit.db).
    #[arg(long, global = true, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Judge one action read as JSON on stdin: {"tool":"shell","command":"…"}.
    ///
    /// Prints one JSON object (decision, effect, rule, reason, span). Exit code: 0 allow, 2 deny,
    /// 3 ask, 1 invalid input (printed as a deny, so a caller that only reads the JSON is safe).
    Check {
        /// JSON Lines in, JSON Lines out: one action per line.
        #[arg(long)]
        batch: bool,
        /// Do not record the decisions in the audit log (for measuring classification alone).
        #[arg(long)]
        no_audit: bool,
    },
    /// Answer an agent's hook: reads the agent's event JSON on stdin, answers in its protocol.
    ///
    /// AGENT is claude-code, cursor, codex or gemini. `blastwall init` writes the agent's hook
    /// configuration that runs this.
    Hook {
        /// claude-code, cursor, codex or gemini.
        agent: String,
    },
    /// Install blastwall as an agent's hook (merging into its settings; a backup is kept).
    Init {
        /// claude-code, cursor, codex or gemini.
        #[arg(long)]
        agent: String,
        /// Install for the project in the current directory (the default).
        #[arg(long, conflicts_with = "user")]
        project: bool,
        /// Install for the user (in the home directory), for every project.
        #[arg(long)]
        user: bool,
        /// Remove exactly what an earlier init added.
        #[arg(long)]
        uninstall: bool,
    },
    /// Check, per agent on this machine, that the hook is installed, runs and answers.
    Doctor,
    /// Read and check the tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCmd,
    },
    /// Explain, for a person, how a command, SQL statement or HTTP request is judged and why.
    Explain {
        /// The shell command, as the agent would run it (or the SQL, with --sql).
        command: String,
        /// The input is SQL (PostgreSQL's dialect; MySQL's executable comments are read too).
        #[arg(long, conflicts_with = "http")]
        sql: bool,
        /// The input is an HTTP request: `METHOD URL`, or a whole HTTP/1.1 message (request line,
        /// headers, blank line, body).
        #[arg(long)]
        http: bool,
        /// Working directory to judge relative paths against.
        #[arg(long)]
        cwd: Option<String>,
    },
    /// Run a scripted agent session through blastwall (exits 0 only if it judged every step right).
    Demo,
    /// Run the control plane: agent identities, Cedar policy, the approval wall and the audit
    /// log, behind an HTTP API that hooks and humans use.
    Serve(ServeArgs),
    /// Manage agent identities at the control plane (admins).
    Agents {
        #[command(flatten)]
        conn: Conn,
        #[command(subcommand)]
        command: AgentsCmd,
    },
    /// Manage humans at the control plane (admins).
    Humans {
        #[command(flatten)]
        conn: Conn,
        #[command(subcommand)]
        command: HumansCmd,
    },
    /// List, inspect, approve or deny the actions waiting for humans.
    Approvals {
        #[command(flatten)]
        conn: Conn,
        #[command(subcommand)]
        command: ApprovalsCmd,
    },
    /// Validate and test Cedar policy files.
    Policy {
        #[command(subcommand)]
        command: PolicyCmd,
    },
    /// List the loaded rules.
    Rules,
}

#[derive(Subcommand)]
enum AuditCmd {
    /// The newest records.
    Tail {
        /// How many.
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: usize,
        /// JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Records matching every filter given.
    Query {
        #[command(flatten)]
        filter: AuditFilter,
        /// JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check the hash chain; names the first edited, removed or reordered record (exit 2).
    Verify,
    /// Write records as JSON Lines (to stdout, or --output FILE).
    Export {
        #[command(flatten)]
        filter: AuditFilter,
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct AuditFilter {
    /// Records at or after this time: RFC 3339 (`2026-11-25T10:00:00Z`) or an age (`15m`, `2h`, `7d`).
    #[arg(long)]
    since: Option<String>,
    /// Records before this time (same forms as --since).
    #[arg(long)]
    until: Option<String>,
    #[arg(long)]
    agent: Option<String>,
    #[arg(long)]
    session: Option<String>,
    /// allow, ask or deny.
    #[arg(long)]
    decision: Option<String>,
    /// A rule id; `*` matches any run of characters (`git.*`).
    #[arg(long)]
    rule: Option<String>,
    #[arg(long)]
    environment: Option<String>,
    /// A door (`check`, `hook`, `hook:claude-code`).
    #[arg(long)]
    door: Option<String>,
    /// Keep only the newest N matches.
    #[arg(long)]
    limit: Option<usize>,
}

fn main() -> ExitCode {
    // The bash parser panics on some malformed input; the classifier catches that and answers
    // `ask`, so keep its message off stderr (a door may show stderr to the agent). Any other
    // panic is a bug and is reported as usual. A closed standard output (`blastwall … | head`)
    // ends the process quietly, as it would end any Unix tool (128 + SIGPIPE).
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        if !info
            .location()
            .is_some_and(|l| l.file().contains("brush-parser"))
        {
            default_hook(info);
        }
    }));
    // The agent runs `blastwall hook <agent>` (as `init` writes it) before every tool call: that
    // exact form skips building the whole command line parser and the log subscriber, which
    // together are a tenth of the hook's start-up. Any other form goes through clap.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let [_, hook, agent] = args.as_slice()
        && hook == "hook"
        && std::env::var_os("BLASTWALL_LOG").is_none()
        && let Some(agent) = agent.to_str().filter(|a| !a.starts_with('-'))
    {
        let cli = Cli {
            config: None,
            no_config: false,
            audit_log: None,
            command: Cmd::Hook {
                agent: agent.to_owned(),
            },
        };
        finish_hook(hook_answer(&cli, agent));
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("BLASTWALL_LOG"))
        .with_writer(std::io::stderr)
        .init();
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("blastwall: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn engine(cli: &Cli) -> anyhow::Result<Engine> {
    if cli.no_config {
        return Ok(Engine::embedded());
    }
    let loaded = blastwall_config::load_parsed(config_files(cli)?)
        .context("the configuration could not be loaded; fix it, or run with --no-config")?;
    Ok(Engine::from_loaded(loaded))
}

/// The configuration files read (none with --no-config), parsed but not yet applied.
fn config_files(cli: &Cli) -> anyhow::Result<Vec<(PathBuf, blastwall_config::ConfigFile)>> {
    if cli.no_config {
        return Ok(Vec::new());
    }
    let files: Vec<PathBuf> = match &cli.config {
        Some(path) => {
            anyhow::ensure!(
                path.is_file(),
                "the configuration file {} does not exist",
                path.display()
            );
            vec![path.clone()]
        }
        None => {
            let cwd = std::env::current_dir().context("cannot read the current directory")?;
            blastwall_config::user_config_path()
                .into_iter()
                .chain(blastwall_config::project_config_path(&cwd))
                .collect()
        }
    };
    blastwall_config::read_files(&files)
        .context("the configuration could not be loaded; fix it, or run with --no-config")
}

/// `[control]` of the configuration, with $BLASTWALL_SERVER overriding its URL.
fn control_section(
    files: &[(PathBuf, blastwall_config::ConfigFile)],
) -> Option<blastwall_config::ControlSection> {
    let configured = files.first().and_then(|(_, f)| f.control.clone());
    match std::env::var("BLASTWALL_SERVER") {
        Ok(url) if !url.is_empty() => Some(blastwall_config::ControlSection {
            url,
            ..configured.unwrap_or_default()
        }),
        _ => configured,
    }
}

fn run() -> anyhow::Result<u8> {
    let cli = Cli::parse();
    match &cli.command {
        Cmd::Check {
            batch: false,
            no_audit,
        } => {
            // Configuration errors still answer with a deny, so a door never reads them as allow.
            let engine = match engine(&cli) {
                Ok(e) => e,
                Err(e) => return Ok(print_invalid(&format!("{e:#}"))),
            };
            let mut buf = Vec::new();
            std::io::stdin()
                .take(MAX_STDIN + 1)
                .read_to_end(&mut buf)
                .context("cannot read stdin")?;
            if buf.len() as u64 > MAX_STDIN {
                return Ok(print_invalid(&format!(
                    "the input is larger than {} MiB",
                    MAX_STDIN / 1024 / 1024
                )));
            }
            let mut recorder = recorder(&cli, *no_audit);
            let code = check_one(&engine, &buf, &mut recorder, &mut std::io::stdout().lock());
            Ok(code)
        }
        Cmd::Check {
            batch: true,
            no_audit,
        } => {
            let engine = match engine(&cli) {
                Ok(e) => e,
                Err(e) => return Ok(print_invalid(&format!("{e:#}"))),
            };
            let stdin = std::io::stdin();
            let mut reader = stdin.lock().take(u64::MAX);
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut recorder = recorder(&cli, *no_audit);
            let mut worst = 0u8;
            let mut invalid = false;
            let mut line = Vec::new();
            loop {
                line.clear();
                let n = (&mut reader)
                    .take(MAX_STDIN + 1)
                    .read_until(b'\n', &mut line)
                    .context("cannot read stdin")?;
                if n == 0 {
                    break;
                }
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let code = if line.len() as u64 > MAX_STDIN {
                    write_invalid(&mut out, "the line is larger than 16 MiB");
                    1
                } else {
                    check_one(&engine, &line, &mut recorder, &mut out)
                };
                invalid |= code == 1;
                worst = worst.max(rank(code));
            }
            out.flush().ok();
            Ok(if invalid { 1 } else { unrank(worst) })
        }
        Cmd::Explain {
            command,
            sql,
            http,
            cwd,
        } => {
            let engine = engine(&cli)?;
            let mut req = if *sql {
                Request::sql(command)
            } else if *http {
                Request::http_message(command)?
            } else {
                Request::shell(command)
            };
            req.cwd = cwd.clone();
            let (verdict, input) = engine.check(&req, Door::Check)?;
            print!("{}", blastwall::explain::render(&input, &verdict));
            Ok(exit_code(verdict.decision) as u8)
        }
        Cmd::Demo => {
            let exe = std::env::current_exe().context("cannot find the blastwall binary")?;
            let dir = std::env::temp_dir().join(format!("blastwall-demo-{}", std::process::id()));
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let (transcript, ok) = blastwall::demo::run(&exe, &dir);
            print!("{transcript}");
            let _ = std::fs::remove_dir_all(&dir);
            Ok(if ok { 0 } else { 1 })
        }
        Cmd::Serve(args) => {
            let mut files = config_files(&cli)?;
            let section = files
                .first_mut()
                .and_then(|(_, f)| f.serve.take())
                .unwrap_or_default();
            let loaded = blastwall_config::load_parsed(files).context(
                "the configuration could not be loaded; fix it, or run with --no-config",
            )?;
            control_cmds::serve(
                args.clone(),
                Engine::from_loaded(loaded),
                section,
                cli.audit_log.clone(),
            )
        }
        Cmd::Agents { conn, command } => {
            let url = configured_url(&cli);
            control_cmds::agents(&conn.client(url.as_deref())?, command.clone())
        }
        Cmd::Humans { conn, command } => {
            let url = configured_url(&cli);
            control_cmds::humans(&conn.client(url.as_deref())?, command.clone())
        }
        Cmd::Approvals { conn, command } => {
            let url = configured_url(&cli);
            control_cmds::approvals(&conn.client(url.as_deref())?, command.clone())
        }
        Cmd::Policy { command } => control_cmds::policy(command.clone()),
        Cmd::Hook { agent } => finish_hook(hook_answer(&cli, agent)),
        Cmd::Init {
            agent,
            project: _,
            user,
            uninstall,
        } => {
            let agent: blastwall_hooks::Agent = agent.parse()?;
            let scope = if *user {
                let home = home_dir()?;
                blastwall_hooks::Scope::User(home)
            } else {
                blastwall_hooks::Scope::Project(
                    std::env::current_dir().context("cannot read the current directory")?,
                )
            };
            let command = own_command()?;
            let report = if *uninstall {
                blastwall_hooks::uninstall(agent, &scope, &command)?
            } else {
                blastwall_hooks::install(agent, &scope, &command)?
            };
            let verb = match (*uninstall, report.changed) {
                (false, true) => "installed the hook in",
                (false, false) => "the hook was already installed in",
                (true, true) => "removed the hook from",
                (true, false) => "there was no blastwall hook in",
            };
            println!("{}: {verb} {}", agent.display_name(), report.path.display());
            if let Some(backup) = &report.backup {
                println!("  the original is kept at {}", backup.display());
            }
            for note in &report.notes {
                println!("  note: {note}");
            }
            Ok(0)
        }
        Cmd::Doctor => doctor(&cli),
        Cmd::Audit { command } => audit(&cli, command),
        Cmd::Rules => {
            let engine = engine(&cli)?;
            for r in &engine.rules().rules {
                println!(
                    "{:<40} {:<6} {:<12} {}",
                    r.id,
                    r.decision.as_str(),
                    r.effect.as_str(),
                    r.programs.join(",")
                );
            }
            Ok(0)
        }
    }
}

/// Judges one JSON request and writes one JSON line. Returns the exit code. A panic anywhere in
/// judging is answered with a refusal, never with silence or an allow.
fn check_one(engine: &Engine, bytes: &[u8], recorder: &mut Recorder, out: &mut impl Write) -> u8 {
    let mut buf = Vec::new();
    let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_one_unguarded(engine, bytes, recorder, &mut buf)
    }));
    match judged {
        Ok(code) => {
            let _ = out.write_all(&buf);
            code
        }
        Err(_) => {
            write_invalid(
                out,
                "blastwall failed while judging this input (please report it)",
            );
            1
        }
    }
}

fn check_one_unguarded(
    engine: &Engine,
    bytes: &[u8],
    recorder: &mut Recorder,
    out: &mut impl Write,
) -> u8 {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            write_invalid(out, &format!("the input is not UTF-8 text ({e})"));
            return 1;
        }
    };
    if text.trim().is_empty() {
        write_invalid(
            out,
            "the input is empty: expected one JSON object such as {\"tool\":\"shell\",\"command\":\"ls\"}",
        );
        return 1;
    }
    let req: Request = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            write_invalid(out, &format!("the input is not a valid action: {e}"));
            return 1;
        }
    };
    match engine.check(&req, Door::Check) {
        Ok((mut verdict, input)) => {
            let principal = Principal {
                agent: req.agent.clone(),
                session: req.session.clone(),
            };
            let mut record = NewRecord::from_verdict(Door::Check, &principal, &*input, &verdict);
            if let Some(cwd) = &req.cwd {
                record.cwd = Some(cwd.clone());
            }
            let recorded = recorder.append(&record);
            let (decision, why) = after_recording(verdict.decision, verdict.effect, &recorded);
            if let Err(e) = &recorded {
                eprintln!("blastwall: warning: the audit log failed: {e}");
            }
            if let Some(why) = why {
                verdict.decision = decision;
                verdict.rule = "audit.unavailable".into();
                verdict.reason = why;
            }
            let report = Report::new(&verdict, &input);
            let _ = serde_json::to_writer(&mut *out, &report);
            let _ = out.write_all(b"\n");
            exit_code(verdict.decision) as u8
        }
        Err(e) => {
            write_invalid(out, &e.to_string());
            1
        }
    }
}

fn write_invalid(out: &mut impl Write, message: &str) {
    let value = serde_json::json!({
        "decision": Decision::Deny,
        "effect": "irreversible",
        "rule": "input.invalid",
        "reason": format!("blastwall could not judge this input, so it is refused: {message}"),
        "span": {"start": 0, "end": 0},
        "error": message,
    });
    let _ = serde_json::to_writer(&mut *out, &value);
    let _ = out.write_all(b"\n");
}

fn print_invalid(message: &str) -> u8 {
    eprintln!("blastwall: error: {message}");
    write_invalid(&mut std::io::stdout().lock(), message);
    1
}

/// Orders exit codes by strictness: allow < ask < deny.
fn rank(code: u8) -> u8 {
    match code {
        0 => 0,
        3 => 1,
        2 => 2,
        _ => 3,
    }
}

fn unrank(r: u8) -> u8 {
    match r {
        0 => 0,
        1 => 3,
        2 => 2,
        _ => 1,
    }
}

fn recorder(cli: &Cli, no_audit: bool) -> Recorder {
    if no_audit {
        Recorder::disabled()
    } else {
        Recorder::new(Some(blastwall::audit::log_path(cli.audit_log.as_deref())))
    }
}

/// Exits with the hook's code once its answer is written and its audit record committed,
/// skipping the teardown of the rule set and connections, which only costs the agent time.
fn finish_hook(code: u8) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(i32::from(code));
}

/// `blastwall hook AGENT`: never exits in a way the agent reads as "go ahead" unless the action
/// was judged and allowed.
fn hook_answer(cli: &Cli, agent: &str) -> u8 {
    let Ok(agent) = agent.parse::<blastwall_hooks::Agent>() else {
        // Without the agent there is no protocol to answer in; 2 blocks in every supported one.
        eprintln!(
            "blastwall: unknown agent `{agent}`: use claude-code, cursor, codex or gemini (the action is blocked)"
        );
        return 2;
    };
    let mut event = Vec::new();
    let read = std::io::stdin()
        .take(blastwall_hooks::MAX_EVENT_BYTES as u64 + 1)
        .read_to_end(&mut event);
    let output = match read {
        Err(e) => blastwall_hooks::fail_closed(agent, &format!("cannot read the event: {e}")),
        Ok(_) => {
            let judge = judge(cli).map_err(|e| format!("{e:#}"));
            let judge = match &judge {
                Ok(j) => Ok(j.as_ref()),
                Err(e) => Err(e.as_str()),
            };
            let (mut output, decided) = blastwall::hook::answer(judge, agent, &event);
            if let Some(d) = decided.filter(|d| !d.recorded) {
                let record = NewRecord {
                    time_ms: blastwall_audit::now_ms(),
                    door: Door::Hook(agent.as_str().into()),
                    agent: Some(agent.as_str().into()),
                    session: d.session.clone(),
                    environment: d.environment.clone(),
                    cwd: d.cwd.clone(),
                    input: d.input.clone(),
                    decision: d.decision,
                    effect: d.effect,
                    rule: d.rule.clone(),
                    reason: d.reason.clone(),
                };
                let recorded = recorder(cli, false).append(&record);
                let (decision, why) = after_recording(d.decision, d.effect, &recorded);
                if let Some(why) = why {
                    output = blastwall::hook::rerender(agent, &event, decision, &why);
                } else if let Err(e) = recorded {
                    output
                        .stderr
                        .push_str(&format!("blastwall: warning: the audit log failed: {e}\n"));
                }
            }
            output
        }
    };
    print!("{}", output.stdout);
    eprint!("{}", output.stderr);
    let _ = std::io::stdout().flush();
    u8::try_from(output.exit_code).unwrap_or(2)
}

/// The control plane's URL from the configuration (for client commands).
fn configured_url(cli: &Cli) -> Option<String> {
    config_files(cli).ok().and_then(|files| {
        files
            .first()
            .and_then(|(_, f)| f.control.as_ref().map(|c| c.url.clone()))
    })
}

/// The hook's agent token: $BLASTWALL_AGENT_TOKEN, else [control] token_file.
fn agent_token(control: &blastwall_config::ControlSection) -> anyhow::Result<String> {
    match std::env::var("BLASTWALL_AGENT_TOKEN") {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_owned()),
        _ => match &control.token_file {
            Some(path) => control_cmds::read_token(path),
            None => anyhow::bail!(
                "a control plane is configured ({}) but this hook has no agent token: set BLASTWALL_AGENT_TOKEN or [control] token_file (an admin creates one with `blastwall agents create`)",
                control.url
            ),
        },
    }
}

/// What judges hook events: the control plane when one is configured ([control] or
/// $BLASTWALL_SERVER), else the local engine.
fn judge(cli: &Cli) -> anyhow::Result<Box<dyn blastwall::hook::Judge>> {
    let files = config_files(cli)?;
    let Some(control) = control_section(&files) else {
        let loaded = blastwall_config::load_parsed(files)
            .context("the configuration could not be loaded; fix it, or run with --no-config")?;
        return Ok(Box::new(Engine::from_loaded(loaded)));
    };
    let token = agent_token(&control)?;
    let client = blastwall::client::Client::new(
        &control.url,
        Some(token),
        std::time::Duration::from_secs(10),
    );
    let load_local = Box::new(move || {
        blastwall_config::load_parsed(files.clone())
            .map(Engine::from_loaded)
            .map_err(|e| format!("the configuration could not be loaded: {e}"))
    });
    Ok(Box::new(blastwall::remote::Remote::new(
        client,
        control.when_down,
        std::time::Duration::from_secs(control.wait_seconds),
        load_local,
    )))
}

fn home_dir() -> anyhow::Result<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .context("HOME is not set: cannot find the user's settings")
}

/// The command an agent's hook configuration runs: this very binary, by absolute path.
fn own_command() -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("cannot find the blastwall binary's own path")?;
    let exe = exe.canonicalize().unwrap_or(exe);
    Ok(exe.to_string_lossy().into_owned())
}

fn doctor(cli: &Cli) -> anyhow::Result<u8> {
    let control_ok = doctor_control(cli);
    let home = home_dir()?;
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let command = own_command()?;
    let statuses = blastwall_hooks::doctor(&home, Some(&cwd), &command);
    if statuses.is_empty() {
        println!("no supported agent found (Claude Code, Cursor, Codex CLI, Gemini CLI)");
        return Ok(if control_ok { 0 } else { 1 });
    }
    let mut healthy = true;
    for status in &statuses {
        let agent = status.agent;
        let placements: Vec<_> = status.user.iter().chain(&status.project).collect();
        let installed: Vec<_> = placements.iter().filter(|p| p.installed).collect();
        println!("{}", agent.display_name());
        if installed.is_empty() {
            healthy = false;
            println!("  hook: not installed");
        }
        for p in &installed {
            println!("  hook: installed in {}", p.path.display());
            if let Some(problem) = &p.problem {
                healthy = false;
                println!("  problem: {problem}");
            }
            if let Some(cmd) = &p.command {
                match probe(cmd, agent) {
                    Ok(()) => println!("  answering: yes (it blocked `rm -rf /` in a test event)"),
                    Err(why) => {
                        healthy = false;
                        println!("  answering: NO: {why}");
                    }
                }
            }
        }
        if let Some(problem) = &status.command_problem {
            healthy = false;
            println!("  problem: {problem}");
        }
        if let Some(advice) = &status.advice {
            println!("  to do: {advice}");
        }
    }
    Ok(if healthy && control_ok { 0 } else { 1 })
}

/// The control plane the hooks would ask, if one is configured: reachable, and the agent token
/// accepted? Prints what it finds; `false` when something needs fixing.
fn doctor_control(cli: &Cli) -> bool {
    let files = match config_files(cli) {
        Ok(f) => f,
        Err(e) => {
            println!("configuration\n  problem: {e:#}");
            return false;
        }
    };
    let Some(control) = control_section(&files) else {
        println!(
            "control plane\n  none configured: hooks decide locally ([control] url or BLASTWALL_SERVER to use one)"
        );
        return true;
    };
    println!("control plane {}", control.url);
    let health: Result<blastwall_server::api::Health, _> =
        blastwall::client::Client::new(&control.url, None, std::time::Duration::from_secs(5))
            .get("/v1/health");
    match health {
        Ok(h) => println!(
            "  reachable: yes (version {}, policy {} with {} policies, {} approvals pending)",
            h.version, h.policy_file, h.policies, h.pending_approvals
        ),
        Err(e) => {
            println!(
                "  reachable: NO: {e}\n  while it is down, hooks apply when_down = {:?}",
                control.when_down
            );
            return false;
        }
    }
    let token = agent_token(&control).map_err(|e| format!("{e:#}"));
    let who: Result<blastwall_server::api::WhoAmI, String> = token.and_then(|t| {
        blastwall::client::Client::new(&control.url, Some(t), std::time::Duration::from_secs(5))
            .get("/v1/whoami")
            .map_err(|e| e.to_string())
    });
    match who {
        Ok(w) if w.kind == "agent" => {
            println!(
                "  agent token: accepted, agent {} in {}",
                w.name,
                w.environments.join(", ")
            );
            true
        }
        Ok(w) => {
            println!(
                "  agent token: NO: it belongs to the human {}; hooks need an agent's token (`blastwall agents create`)",
                w.name
            );
            false
        }
        Err(e) => {
            println!("  agent token: NO: {e}");
            false
        }
    }
}

/// Runs an installed hook command with a destructive test event and checks that it blocks it.
fn probe(command: &str, agent: blastwall_hooks::Agent) -> Result<(), String> {
    let event = blastwall_hooks::shell_event(agent, "rm -rf /", "/", "blastwall-doctor");
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .env(
            blastwall_audit::PATH_VAR,
            std::env::temp_dir().join("blastwall-doctor-audit.db"),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{command}`: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(event.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("`{command}` did not finish: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let blocked = out.status.code() == Some(2) || stdout.contains("\"deny\"");
    if blocked {
        Ok(())
    } else {
        Err(format!(
            "`{command}` did not block a destructive test event (exit {:?}, output {:?}); reinstall with `blastwall init --agent {}`",
            out.status.code(),
            stdout.chars().take(200).collect::<String>(),
            agent.as_str()
        ))
    }
}

fn audit(cli: &Cli, command: &AuditCmd) -> anyhow::Result<u8> {
    let path = blastwall::audit::log_path(cli.audit_log.as_deref()).map_err(anyhow::Error::msg)?;
    anyhow::ensure!(
        path.exists(),
        "there is no audit log at {} yet: it is created by the first decision a hook or `check` records",
        path.display()
    );
    let log = blastwall_audit::AuditLog::open(&path)?;
    match command {
        AuditCmd::Tail { lines, json } => {
            print_records(&log.tail(*lines)?, *json);
            Ok(0)
        }
        AuditCmd::Query { filter, json } => {
            print_records(&log.query(&audit_filter(filter)?)?, *json);
            Ok(0)
        }
        AuditCmd::Verify => {
            let report = log.verify()?;
            println!("{report}");
            Ok(if report.is_clean() { 0 } else { 2 })
        }
        AuditCmd::Export { filter, output } => {
            let filter = audit_filter(filter)?;
            let n = match output {
                Some(file) => {
                    let f = std::fs::File::create(file)
                        .with_context(|| format!("cannot create {}", file.display()))?;
                    log.export_jsonl(&filter, std::io::BufWriter::new(f))?
                }
                None => log.export_jsonl(&filter, std::io::stdout().lock())?,
            };
            eprintln!("blastwall: exported {n} records");
            Ok(0)
        }
    }
}

fn print_records(records: &[blastwall_audit::Record], json: bool) {
    for r in records {
        if json {
            println!("{}", serde_json::to_string(r).unwrap_or_default());
        } else {
            let input: String = r.input.replace('\n', " ⏎ ").chars().take(80).collect();
            println!(
                "{:>6}  {}  {:<18} {:<5} {:<30} {}",
                r.seq,
                r.time_rfc3339(),
                r.door,
                r.decision.as_str(),
                r.rule,
                input
            );
        }
    }
}

fn audit_filter(f: &AuditFilter) -> anyhow::Result<blastwall_audit::Filter> {
    let decision = match &f.decision {
        Some(d) => Some(
            Decision::parse(d)
                .with_context(|| format!("unknown decision `{d}`: use allow, ask or deny"))?,
        ),
        None => None,
    };
    Ok(blastwall_audit::Filter {
        since_ms: f.since.as_deref().map(parse_time).transpose()?,
        until_ms: f.until.as_deref().map(parse_time).transpose()?,
        after_seq: None,
        agent: f.agent.clone(),
        session: f.session.clone(),
        environment: f.environment.clone(),
        decision,
        rule: f.rule.clone(),
        door: f.door.clone(),
        limit: f.limit,
    })
}

/// `15m`, `2h`, `7d` ago, or an RFC 3339 UTC time, as ms since the epoch.
fn parse_time(text: &str) -> anyhow::Result<i64> {
    let now = blastwall_audit::now_ms();
    let unit = |c: char| match c {
        's' => Some(1_000),
        'm' => Some(60_000),
        'h' => Some(3_600_000),
        'd' => Some(86_400_000),
        _ => None,
    };
    if let Some(last) = text.chars().last()
        && let Some(ms) = unit(last)
        && let Ok(n) = text[..text.len() - 1].parse::<i64>()
    {
        return Ok(now - n * ms);
    }
    blastwall_audit::parse_rfc3339(text).with_context(|| {
        format!("cannot read the time `{text}`: use an age such as 15m, 2h, 7d or a time such as 2026-11-25T10:00:00Z")
    })
}
