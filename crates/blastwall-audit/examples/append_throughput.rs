//! Durable appends per second from N writer processes appending to one log at once.
//!
//! ```text
//! cargo run --release -p blastwall-audit --example append_throughput -- [WRITERS] [RECORDS_EACH] [DIR]
//! ```
//!
//! Defaults: 8 writers, 200 records each, a temporary directory (give DIR to measure another
//! filesystem). Each writer is this program run again with `--child`; all of them open the log
//! first, then start appending together. The time runs from the start signal until the last writer
//! exits; the log is verified afterwards.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use blastwall_audit::{AuditLog, NewRecord, Options, now_ms};
use blastwall_core::{Decision, Door, Effect};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1..]);
        return;
    }
    let writers: usize = args.first().map_or(8, |a| a.parse().expect("WRITERS"));
    let each: u64 = args
        .get(1)
        .map_or(200, |a| a.parse().expect("RECORDS_EACH"));
    let tmp = tempfile::tempdir_in(args.get(2).map_or_else(std::env::temp_dir, PathBuf::from))
        .expect("temporary directory");
    let path = tmp.path().join("audit.db");
    let go = tmp.path().join("go");
    AuditLog::open(&path).expect("create the audit log");

    let exe = std::env::current_exe().expect("own executable");
    let mut children: Vec<_> = (0..writers)
        .map(|id| {
            Command::new(&exe)
                .arg("--child")
                .arg(&path)
                .arg(id.to_string())
                .arg(each.to_string())
                .arg(&go)
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn a writer")
        })
        .collect();
    for child in &mut children {
        let mut ready = String::new();
        BufReader::new(child.stdout.as_mut().expect("piped"))
            .read_line(&mut ready)
            .expect("writer ready");
        assert_eq!(ready.trim(), "ready");
    }
    let start = Instant::now();
    std::fs::write(&go, b"").expect("start signal");
    for mut child in children {
        assert!(child.wait().expect("wait").success(), "a writer failed");
    }
    let elapsed = start.elapsed();

    let total = writers as u64 * each;
    let report = AuditLog::open(&path)
        .and_then(|l| l.verify())
        .expect("verify");
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.records, total);
    println!(
        "{writers} writer(s) x {each} records: {total} durable appends in {:.3} s = {:.0} appends/s ({:.2} ms each), log verified",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / total as f64,
    );
}

fn child(args: &[String]) {
    let [path, id, each, go] = args else {
        panic!("usage: --child PATH ID RECORDS GO_FILE");
    };
    let each: u64 = each.parse().expect("RECORDS");
    let log = AuditLog::open_with(
        path,
        Options {
            lock_timeout: Duration::from_secs(300),
        },
    )
    .expect("open the audit log");
    println!("ready");
    while !Path::new(go).exists() {
        std::thread::sleep(Duration::from_micros(200));
    }
    for n in 0..each {
        let record = NewRecord {
            time_ms: now_ms(),
            door: Door::Hook("claude-code".into()),
            agent: Some(format!("writer-{id}")),
            session: None,
            environment: "dev".into(),
            cwd: None,
            input: format!("rm -rf build-{n}"),
            decision: Decision::Allow,
            effect: Effect::Write,
            rule: "fs.rm.recursive".into(),
            reason: "a build directory".into(),
        };
        log.append(&record).expect("append");
    }
}
