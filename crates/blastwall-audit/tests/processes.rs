//! Real OS processes appending at once, and an appender killed with SIGKILL mid-write.
//!
//! The test binary re-executes itself: `child_writer` (ignored, so it never runs on its own) does
//! the child's work when `BLASTWALL_AUDIT_TEST_CHILD` is set, and prints one `ACK <seq> <hash>` line
//! per acknowledged record.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use blastwall_audit::{AuditLog, Filter, Options};

const CHILD: &str = "BLASTWALL_AUDIT_TEST_CHILD";

#[test]
#[ignore = "runs only as a child process of the other tests in this file"]
fn child_writer() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    // spec: <path>|<writer id>|<records, 0 = until killed>|<go file>
    let parts: Vec<&str> = spec.split('|').collect();
    let [path, id, count, go] = parts[..] else {
        panic!("bad child spec {spec}");
    };
    let count: u64 = count.parse().unwrap();
    while !Path::new(go).exists() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let log = AuditLog::open_with(
        path,
        Options {
            lock_timeout: Duration::from_secs(120),
        },
    )
    .unwrap();
    let mut n = 0;
    while count == 0 || n < count {
        n += 1;
        let mut rec = common::record(n);
        rec.agent = Some(format!("writer-{id}"));
        rec.input = format!("writer {id} record {n}");
        let receipt = log.append(&rec).unwrap();
        // println! locks and flushes stdout per line, so each ACK reaches the parent whole.
        println!("ACK {} {} {id} {n}", receipt.seq, receipt.hash);
    }
}

fn spawn_writer(path: &Path, id: usize, count: u64, go: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_writer", "--ignored", "--nocapture"])
        .env(
            CHILD,
            format!("{}|{id}|{count}|{}", path.display(), go.display()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// `(seq, hash)` of every ACK line in `text`.
fn acks(text: &str) -> Vec<(u64, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix("ACK "))
        .map(|l| {
            let mut parts = l.split(' ');
            let seq = parts.next().unwrap().parse().unwrap();
            (seq, parts.next().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn eight_processes_appending_at_once_lose_nothing_and_keep_the_chain() {
    const WRITERS: usize = 8;
    const EACH: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    // No one creates the log beforehand: the writers race to create it too.
    let path = dir.path().join("audit.db");
    let go = dir.path().join("go");
    let children: Vec<Child> = (0..WRITERS)
        .map(|id| spawn_writer(&path, id, EACH, &go))
        .collect();
    std::fs::write(&go, b"").unwrap();

    let mut acked = Vec::new();
    for mut child in children {
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert!(child.wait().unwrap().success(), "a writer failed:\n{out}");
        let mine = acks(&out);
        assert_eq!(
            mine.len() as u64,
            EACH,
            "every append of a writer was acknowledged"
        );
        acked.extend(mine);
    }

    let log = AuditLog::open(&path).unwrap();
    let report = log.verify().unwrap();
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.records, WRITERS as u64 * EACH);
    assert_eq!(report.unanchored, 0);

    let stored: BTreeMap<u64, String> = log
        .query(&Filter::default())
        .unwrap()
        .into_iter()
        .map(|r| (r.seq, r.hash))
        .collect();
    let acked_seqs: BTreeSet<u64> = acked.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        acked_seqs.len(),
        acked.len(),
        "no sequence number was handed out twice"
    );
    for (seq, hash) in &acked {
        assert_eq!(stored.get(seq), Some(hash), "acknowledged record {seq}");
    }
    for id in 0..WRITERS {
        let mine = log
            .query(&Filter {
                agent: Some(format!("writer-{id}")),
                ..Filter::default()
            })
            .unwrap();
        let inputs: BTreeSet<String> = mine.into_iter().map(|r| r.input).collect();
        let want: BTreeSet<String> = (1..=EACH)
            .map(|n| format!("writer {id} record {n}"))
            .collect();
        assert_eq!(inputs, want, "writer {id}");
    }
}

#[test]
fn kill_9_mid_write_loses_no_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");
    let go = dir.path().join("go");
    std::fs::write(&go, b"").unwrap();
    let mut acked = Vec::new();
    // Several rounds on the same log: each new writer also recovers from the previous kill.
    for (round, kill_after) in [7usize, 13, 22].into_iter().enumerate() {
        let mut child = spawn_writer(&path, round, 0, &go);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut seen = 0;
        while seen < kill_after {
            let line = lines.next().expect("the writer stopped early").unwrap();
            if line.starts_with("ACK ") {
                seen += 1;
                acked.extend(acks(&line));
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
        // Whatever it acknowledged before dying is still in the pipe.
        for line in lines {
            acked.extend(acks(&line.unwrap()));
        }
        let status = child.wait().unwrap();
        assert!(!status.success(), "the writer was killed, not finished");

        let log = AuditLog::open(&path).unwrap();
        let report = log.verify().unwrap();
        assert!(report.is_clean(), "round {round}: {report}");
        assert!(report.unanchored <= 1, "round {round}: {report}");
        let stored: BTreeMap<u64, String> = log
            .query(&Filter::default())
            .unwrap()
            .into_iter()
            .map(|r| (r.seq, r.hash))
            .collect();
        for (seq, hash) in &acked {
            assert_eq!(
                stored.get(seq),
                Some(hash),
                "round {round}: acknowledged record {seq}"
            );
        }
        assert!(stored.len() >= acked.len());
    }
}
