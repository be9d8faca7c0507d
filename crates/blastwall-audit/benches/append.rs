//! Durable appends per second from one writer: each iteration is a full append (lock, `BEGIN
//! IMMEDIATE`, insert, fsync'd commit, head file replaced and fsync'd).
//!
//! For several writer processes at once, see `examples/append_throughput.rs`.

use blastwall_audit::{AuditLog, NewRecord, now_ms};
use blastwall_core::{Decision, Door, Effect};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn sample() -> NewRecord {
    NewRecord {
        time_ms: now_ms(),
        door: Door::Hook("claude-code".into()),
        agent: Some("claude-code".into()),
        session: Some("5f0c6d1e-bench".into()),
        environment: "dev".into(),
        cwd: Some("/home/dev/project".into()),
        input: "git push --force origin main".into(),
        decision: Decision::Ask,
        effect: Effect::Destructive,
        rule: "git.push.force".into(),
        reason: "force-pushing rewrites the remote branch's history".into(),
    }
}

fn append(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let log = AuditLog::open(dir.path().join("audit.db")).expect("open the audit log");
    let record = sample();
    let mut group = c.benchmark_group("audit");
    group.throughput(Throughput::Elements(1));
    group.sample_size(30);
    group.bench_function("durable_append_single_writer", |b| {
        b.iter(|| log.append(&record).expect("append"))
    });
    group.finish();
    let report = log.verify().expect("verify");
    assert!(report.is_clean(), "{report}");
}

criterion_group!(benches, append);
criterion_main!(benches);
