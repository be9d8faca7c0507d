//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use blastwall_audit::{AuditLog, NewRecord, Receipt};
use blastwall_core::{Decision, Door, Effect};

/// A record whose fields all depend on `n`, with every optional field set on odd `n` only.
pub fn record(n: u64) -> NewRecord {
    let odd = n % 2 == 1;
    NewRecord {
        time_ms: 1_700_000_000_000 + i64::try_from(n).unwrap() * 1000,
        door: if odd {
            Door::Hook("claude-code".into())
        } else {
            Door::Check
        },
        agent: odd.then(|| format!("agent-{}", n % 3)),
        session: odd.then(|| format!("session-{n}")),
        environment: if n.is_multiple_of(4) { "prod" } else { "dev" }.to_owned(),
        cwd: odd.then(|| "/home/dev/project".to_owned()),
        input: format!("rm -rf ./build-{n:04} # MARK{n:04}"),
        decision: match n % 3 {
            0 => Decision::Deny,
            1 => Decision::Allow,
            _ => Decision::Ask,
        },
        effect: if n.is_multiple_of(3) {
            Effect::Irreversible
        } else {
            Effect::Write
        },
        rule: if n.is_multiple_of(3) {
            "fs.rm.recursive-home".to_owned()
        } else {
            "git.push".to_owned()
        },
        reason: format!("reason number {n}"),
    }
}

/// A fresh log in a temporary directory with records 1..=n appended.
pub fn log_with(n: u64) -> (tempfile::TempDir, PathBuf, Vec<Receipt>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state").join("audit.db");
    let log = AuditLog::open(&path).unwrap();
    let receipts = (1..=n).map(|i| log.append(&record(i)).unwrap()).collect();
    // Tests that edit the file itself need every record in it, not in the WAL.
    log.checkpoint().unwrap();
    (dir, path, receipts)
}

/// Runs `sql` against the database directly, as an attacker with file access would.
pub fn tamper(path: &Path, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(sql).unwrap();
}
