//! The `blastwall` command line: parses arguments, loads configuration, prints. All judging is
//! in the library crates.

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use blastwall::{Engine, Report, Request, exit_code};
use blastwall_core::{Decision, Door};
use clap::{Parser, Subcommand};

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
    },
    /// Explain, for a person, how a command, SQL statement or HTTP request is judged and why.
    Explain {
        /// The shell command, as the agent would run it (or the SQL, with --sql).
        command: String,
        /// The input is SQL (PostgreSQL's dialect; MySQL's executable comments are read too).
        #[arg(long)]
        sql: bool,
        /// Working directory to judge relative paths against.
        #[arg(long)]
        cwd: Option<String>,
    },
    /// Run a scripted agent session through blastwall (exits 0 only if it judged every step right).
    Demo,
    /// List the loaded rules.
    Rules,
}

fn main() -> ExitCode {
    // The bash parser panics on some malformed input; the classifier catches that and answers
    // `ask`, so keep its message off stderr (a door may show stderr to the agent). Any other
    // panic is a bug and is reported as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info
            .location()
            .is_some_and(|l| l.file().contains("brush-parser"))
        {
            default_hook(info);
        }
    }));
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
    let loaded = blastwall_config::load(&files)
        .context("the configuration could not be loaded; fix it, or run with --no-config")?;
    Ok(Engine::from_loaded(loaded))
}

fn run() -> anyhow::Result<u8> {
    let cli = Cli::parse();
    match &cli.command {
        Cmd::Check { batch: false } => {
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
            let code = check_one(&engine, &buf, &mut std::io::stdout().lock());
            Ok(code)
        }
        Cmd::Check { batch: true } => {
            let engine = match engine(&cli) {
                Ok(e) => e,
                Err(e) => return Ok(print_invalid(&format!("{e:#}"))),
            };
            let stdin = std::io::stdin();
            let mut reader = stdin.lock().take(u64::MAX);
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
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
                    check_one(&engine, &line, &mut out)
                };
                invalid |= code == 1;
                worst = worst.max(rank(code));
            }
            out.flush().ok();
            Ok(if invalid { 1 } else { unrank(worst) })
        }
        Cmd::Explain { command, sql, cwd } => {
            let engine = engine(&cli)?;
            let mut req = if *sql {
                Request::sql(command)
            } else {
                Request::shell(command)
            };
            req.cwd = cwd.clone();
            let (verdict, input) = engine.check(&req, Door::Check)?;
            print!("{}", blastwall::explain::render(&input, &verdict));
            Ok(exit_code(verdict.decision) as u8)
        }
        Cmd::Demo => {
            let engine = Engine::embedded();
            let (transcript, ok) = blastwall::demo::run(&engine);
            print!("{transcript}");
            Ok(if ok { 0 } else { 1 })
        }
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
fn check_one(engine: &Engine, bytes: &[u8], out: &mut impl Write) -> u8 {
    let mut buf = Vec::new();
    let judged = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        check_one_unguarded(engine, bytes, &mut buf)
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

fn check_one_unguarded(engine: &Engine, bytes: &[u8], out: &mut impl Write) -> u8 {
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
        Ok((verdict, input)) => {
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
