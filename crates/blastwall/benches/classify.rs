//! Latency of the in-process path (`Engine::check_shell`: parse, classify, decide) on the
//! benchmark corpus `tests/corpus/bench.txt`.
//!
//! Two measurements:
//! - per-command latency percentiles (p50, p90, p99, max), each command timed on its own over
//!   several passes, printed before criterion runs; the target is p99 < 50 µs;
//! - a criterion group over the whole corpus, reported as commands per second.
//!
//! Run with `cargo bench -p blastwall --bench classify`. The percentile pass runs only under
//! `cargo bench` (criterion's `--bench` flag), not when `cargo test` smoke-runs the bench.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use blastwall::Engine;
use criterion::{Criterion, Throughput};

/// Timed passes over the corpus for the percentiles (after one untimed warm-up pass).
const PASSES: usize = 20;

fn corpus() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/bench.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Times every command individually and prints the distribution.
fn percentiles(engine: &Engine, commands: &[String]) {
    for cmd in commands {
        black_box(engine.check_shell(black_box(cmd)));
    }
    let mut samples = Vec::with_capacity(commands.len() * PASSES);
    for _ in 0..PASSES {
        for cmd in commands {
            let start = Instant::now();
            let verdict = engine.check_shell(black_box(cmd));
            samples.push(start.elapsed());
            black_box(verdict);
        }
    }
    samples.sort_unstable();
    let total: Duration = samples.iter().sum();
    let mean = total / samples.len() as u32;
    println!(
        "classify+decide per command: {} commands x {PASSES} passes = {} samples",
        commands.len(),
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
    // The slowest commands, each at its median over the passes, to show where the tail is.
    let mut per_command: Vec<(Duration, &str)> = Vec::with_capacity(commands.len());
    for cmd in commands {
        let mut own: Vec<Duration> = Vec::with_capacity(PASSES);
        for _ in 0..PASSES {
            let start = Instant::now();
            black_box(engine.check_shell(black_box(cmd)));
            own.push(start.elapsed());
        }
        own.sort_unstable();
        per_command.push((own[PASSES / 2], cmd.as_str()));
    }
    per_command.sort_unstable_by_key(|b| std::cmp::Reverse(b.0));
    println!("  slowest commands (median of {PASSES} runs):");
    for (d, cmd) in per_command.iter().take(5) {
        let shown: String = cmd.chars().take(80).collect();
        println!("    {:>8.2} µs  {shown}", micros(*d));
    }
}

fn corpus_group(c: &mut Criterion, engine: &Engine, commands: &[String]) {
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(commands.len() as u64));
    group.bench_function("bench_corpus", |b| {
        b.iter(|| {
            for cmd in commands {
                black_box(engine.check_shell(black_box(cmd)));
            }
        })
    });
    group.finish();
}

fn main() {
    let engine = Engine::embedded();
    let commands = corpus();
    if std::env::args().any(|a| a == "--bench") {
        percentiles(&engine, &commands);
    }
    let mut c = Criterion::default().configure_from_args();
    corpus_group(&mut c, &engine, &commands);
    c.final_summary();
}
