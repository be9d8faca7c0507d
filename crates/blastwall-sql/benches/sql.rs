//! Latency of the SQL classifier in process: `SqlClassifier::classify` (PostgreSQL's parser,
//! judging every statement) followed by `decide` with the default policy, on the statements of
//! the SQL corpus (`tests/corpus/pairs.jsonl`, both the `destructive` and the `benign` statement
//! of each pair, and `tests/corpus/singles.jsonl`).
//!
//! Two measurements:
//! - per-statement latency percentiles (p50, p90, p99, p99.9, max), each statement timed on its
//!   own over several passes, printed before criterion runs; the target is p99 < 50 µs;
//! - a criterion group over all the statements, reported as statements per second.
//!
//! Run with `cargo bench -p blastwall-sql --bench sql`. The percentile pass runs only under
//! `cargo bench` (criterion's `--bench` flag), not when `cargo test` smoke-runs the bench.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blastwall_core::{Classifier, Context, Policy, Registry, Verdict, decide};
use blastwall_sql::SqlClassifier;
use criterion::{Criterion, Throughput};
use serde_json::Value;

/// Timed passes over the statements for the percentiles (after one untimed warm-up pass). The
/// corpus is small (under 200 statements), so many passes give enough samples for p99.9.
const PASSES: usize = 200;

/// The same registry as the corpus tests: SQL, and shell for what SQL can run
/// (`COPY … PROGRAM`).
fn registry() -> Registry {
    let rules = Arc::new(blastwall_rules::embedded().expect("embedded packs load"));
    Registry::new()
        .with(Box::new(SqlClassifier::new()))
        .with(Box::new(blastwall_shell::ShellClassifier::new(rules)))
}

fn lines(name: &str) -> Vec<Value> {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}: {e}: {l}")))
        .collect()
}

/// Every statement of the corpus: both sides of each pair, then the singles.
fn statements() -> Vec<String> {
    let mut out = Vec::new();
    for pair in lines("pairs.jsonl") {
        for field in ["destructive", "benign"] {
            let sql = pair[field]
                .as_str()
                .unwrap_or_else(|| panic!("pairs.jsonl: no `{field}` in {pair}"));
            out.push(sql.to_owned());
        }
    }
    for single in lines("singles.jsonl") {
        let sql = single["sql"]
            .as_str()
            .unwrap_or_else(|| panic!("singles.jsonl: no `sql` in {single}"));
        out.push(sql.to_owned());
    }
    out
}

/// What the bench measures: classify one statement, then decide.
fn judge(reg: &Registry, policy: &Policy, sql: &str) -> Verdict {
    decide(
        SqlClassifier.classify(sql, &Context::default(), reg),
        policy,
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Times every statement individually and prints the distribution.
fn percentiles(reg: &Registry, policy: &Policy, sqls: &[String]) {
    for sql in sqls {
        black_box(judge(reg, policy, black_box(sql)));
    }
    let mut samples = Vec::with_capacity(sqls.len() * PASSES);
    for _ in 0..PASSES {
        for sql in sqls {
            let start = Instant::now();
            let verdict = judge(reg, policy, black_box(sql));
            samples.push(start.elapsed());
            black_box(verdict);
        }
    }
    samples.sort_unstable();
    let total: Duration = samples.iter().sum();
    let mean = total / samples.len() as u32;
    println!(
        "SQL classify+decide per statement: {} statements x {PASSES} passes = {} samples",
        sqls.len(),
        samples.len()
    );
    println!(
        "  p50 {:.2} µs   p90 {:.2} µs   p99 {:.2} µs   p99.9 {:.2} µs   max {:.2} µs   mean {:.2} µs",
        micros(percentile(&samples, 0.50)),
        micros(percentile(&samples, 0.90)),
        micros(percentile(&samples, 0.99)),
        micros(percentile(&samples, 0.999)),
        micros(samples[samples.len() - 1]),
        micros(mean),
    );
    let p99 = percentile(&samples, 0.99);
    println!(
        "  target p99 < 50 µs: {}",
        if p99 < Duration::from_micros(50) {
            "met"
        } else {
            "NOT met"
        }
    );
    // The slowest statements, each at its median over the passes, to show where the tail is.
    let runs = PASSES.min(50);
    let mut per_statement: Vec<(Duration, &str)> = Vec::with_capacity(sqls.len());
    for sql in sqls {
        let mut own: Vec<Duration> = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            black_box(judge(reg, policy, black_box(sql)));
            own.push(start.elapsed());
        }
        own.sort_unstable();
        per_statement.push((own[runs / 2], sql.as_str()));
    }
    per_statement.sort_unstable_by_key(|b| std::cmp::Reverse(b.0));
    println!("  slowest statements (median of {runs} runs):");
    for (d, sql) in per_statement.iter().take(5) {
        let shown: String = sql.chars().take(80).collect();
        println!("    {:>8.2} µs  {shown}", micros(*d));
    }
}

fn corpus_group(c: &mut Criterion, reg: &Registry, policy: &Policy, sqls: &[String]) {
    let mut group = c.benchmark_group("sql");
    group.throughput(Throughput::Elements(sqls.len() as u64));
    group.bench_function("corpus", |b| {
        b.iter(|| {
            for sql in sqls {
                black_box(judge(reg, policy, black_box(sql)));
            }
        })
    });
    group.finish();
}

fn main() {
    let reg = registry();
    let policy = Policy::default();
    let sqls = statements();
    if std::env::args().any(|a| a == "--bench") {
        percentiles(&reg, &policy, &sqls);
    }
    let mut c = Criterion::default().configure_from_args();
    corpus_group(&mut c, &reg, &policy, &sqls);
    c.final_summary();
}
