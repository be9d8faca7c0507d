//! Queries, tail, export, and an independent re-verification of an export from the documented
//! canonical encoding.

mod common;

use blastwall_audit::{AuditLog, Filter, GENESIS, MAGIC};
use blastwall_core::Decision;
use common::{log_with, record};
use sha2::{Digest, Sha256};

#[test]
fn tail_returns_the_newest_oldest_first() {
    let (_dir, path, _) = log_with(10);
    let log = AuditLog::open(&path).unwrap();
    let tail = log.tail(3).unwrap();
    assert_eq!(tail.iter().map(|r| r.seq).collect::<Vec<_>>(), [8, 9, 10]);
    assert_eq!(tail[2].input, record(10).input);
    assert_eq!(log.tail(100).unwrap().len(), 10);
}

#[test]
fn filters_combine() {
    let (_dir, path, _) = log_with(30);
    let log = AuditLog::open(&path).unwrap();
    let seqs = |f: Filter| -> Vec<u64> { log.query(&f).unwrap().iter().map(|r| r.seq).collect() };

    let denies = seqs(Filter {
        decision: Some(Decision::Deny),
        ..Filter::default()
    });
    assert_eq!(
        denies,
        (1..=30u64)
            .filter(|n| n.is_multiple_of(3))
            .collect::<Vec<_>>()
    );

    let prod_denies = seqs(Filter {
        decision: Some(Decision::Deny),
        environment: Some("prod".into()),
        ..Filter::default()
    });
    assert_eq!(prod_denies, [12, 24]);

    assert_eq!(
        seqs(Filter {
            agent: Some("agent-1".into()),
            limit: Some(2),
            ..Filter::default()
        }),
        [19, 25]
    );
    assert_eq!(
        seqs(Filter {
            rule: Some("fs.*".into()),
            after_seq: Some(20),
            ..Filter::default()
        }),
        [21, 24, 27, 30]
    );
    assert_eq!(
        seqs(Filter {
            door: Some("hook".into()),
            until_ms: Some(record(6).time_ms),
            ..Filter::default()
        }),
        [1, 3, 5]
    );
    assert_eq!(
        seqs(Filter {
            door: Some("check".into()),
            since_ms: Some(record(26).time_ms),
            ..Filter::default()
        }),
        [26, 28, 30]
    );
    assert_eq!(
        seqs(Filter {
            door: Some("hook:claude-code".into()),
            session: Some("session-29".into()),
            ..Filter::default()
        }),
        [29]
    );
    assert!(
        seqs(Filter {
            door: Some("hook:cursor".into()),
            ..Filter::default()
        })
        .is_empty()
    );
}

#[test]
fn records_read_back_as_written() {
    let (_dir, path, receipts) = log_with(3);
    let log = AuditLog::open(&path).unwrap();
    let all = log.query(&Filter::default()).unwrap();
    for (i, r) in all.iter().enumerate() {
        let n = i as u64 + 1;
        let w = record(n);
        assert_eq!(r.seq, n);
        assert_eq!(r.hash, receipts[i].hash);
        assert_eq!(
            r.prev_hash,
            if i == 0 {
                GENESIS.to_owned()
            } else {
                receipts[i - 1].hash.clone()
            }
        );
        assert_eq!(
            (r.time_ms, &r.agent, &r.session, &r.cwd),
            (w.time_ms, &w.agent, &w.session, &w.cwd)
        );
        assert_eq!(
            (&r.input, r.decision, r.effect),
            (&w.input, w.decision, w.effect)
        );
        assert_eq!(
            (&r.rule, &r.reason, &r.environment),
            (&w.rule, &w.reason, &w.environment)
        );
        assert_eq!(r.pid, i64::from(std::process::id()));
        assert_eq!(r.version, env!("CARGO_PKG_VERSION"));
    }
    assert_eq!(all[0].door, "hook:claude-code");
    assert_eq!(all[1].door, "check");
    assert_eq!(all[0].time_rfc3339(), "2023-11-14T22:13:21.000Z");
}

/// Rebuilds each record's hash from the JSON export, following only the crate documentation.
#[test]
fn an_export_reverifies_from_the_documented_encoding() {
    let (_dir, path, receipts) = log_with(9);
    let log = AuditLog::open(&path).unwrap();
    let mut out = Vec::new();
    assert_eq!(log.export_jsonl(&Filter::default(), &mut out).unwrap(), 9);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(MAGIC, b"blastwall-audit-record/1\n");

    let mut prev = GENESIS.to_owned();
    for (i, line) in text.lines().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut msg = b"blastwall-audit-record/1\n".to_vec();
        for key in [
            "seq",
            "prev_hash",
            "time_ms",
            "version",
            "door",
            "agent",
            "session",
            "environment",
            "cwd",
            "pid",
            "input",
            "decision",
            "effect",
            "rule",
            "reason",
        ] {
            match &v[key] {
                serde_json::Value::Null => msg.push(0),
                serde_json::Value::String(s) => {
                    msg.push(1);
                    msg.extend_from_slice(&(s.len() as u64).to_be_bytes());
                    msg.extend_from_slice(s.as_bytes());
                }
                serde_json::Value::Number(n) => {
                    msg.push(2);
                    msg.extend_from_slice(&n.as_i64().unwrap().to_be_bytes());
                }
                other => panic!("unexpected {key}: {other}"),
            }
        }
        let hash: String = Sha256::digest(&msg)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(v["hash"], hash.as_str(), "line {i}");
        assert_eq!(v["prev_hash"], prev.as_str(), "line {i}");
        assert_eq!(v["seq"], i as u64 + 1);
        assert_eq!(hash, receipts[i].hash);
        assert!(v["time"].as_str().unwrap().ends_with('Z'));
        prev = hash;
    }

    let mut some = Vec::new();
    let n = log
        .export_jsonl(
            &Filter {
                after_seq: Some(7),
                ..Filter::default()
            },
            &mut some,
        )
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(String::from_utf8(some).unwrap().lines().count(), 2);
}

#[test]
fn open_creates_private_directories_and_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/audit.db");
    let log = AuditLog::open(&path).unwrap();
    log.append(&record(1)).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("a/b")), 0o700);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(log.head_path()), 0o600);
    let journal: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
}
