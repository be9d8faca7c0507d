//! Cedar decision latency with the default policy set and 100 agents (target: p99 < 50 µs).

use std::hint::black_box;
use std::time::{Duration, Instant};

use blastwall_core::{Decision, Effect, Language, Scope};
use blastwall_policy::{
    AgentIdentity, Approval, DEFAULT_POLICY, PolicySet, Request, Situation, Who, validate,
};
use criterion::{Criterion, criterion_group, criterion_main};

fn requests() -> Vec<Request> {
    let envs = ["dev", "staging", "prod"];
    let effects = [
        Effect::Read,
        Effect::Write,
        Effect::Destructive,
        Effect::Irreversible,
    ];
    (0..100)
        .map(|i| Request {
            who: Who::Agent(AgentIdentity {
                name: format!("agent-{i}"),
                environments: vec![envs[i % 3].to_owned(), "dev".to_owned()],
                groups: vec![format!("team-{}", i % 7)],
            }),
            effect: effects[i % 4],
            language: Language::Sql,
            operation: "DELETE".into(),
            door: "hook:claude-code".into(),
            environment: envs[(i / 3) % 3].to_owned(),
            resource_kind: "table".into(),
            resource_name: format!("table_{i}"),
            resource_tags: vec![],
            blast_radius: Scope::Single,
            rule: "sql.delete".into(),
            classifier_decision: Decision::Ask,
            situation: Situation {
                approval: if i % 5 == 0 {
                    Approval::approved(2, 1)
                } else {
                    Approval::NONE
                },
                snapshot_possible: i % 2 == 0,
                ..Situation::default()
            },
        })
        .collect()
}

/// Criterion reports means; the acceptance target is a p99, so time single calls too.
fn percentiles(set: &PolicySet, requests: &[Request]) {
    let mut samples: Vec<Duration> = (0..50_000)
        .map(|i| {
            let r = &requests[i % requests.len()];
            let start = Instant::now();
            black_box(set.evaluate(black_box(r)));
            start.elapsed()
        })
        .collect();
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    println!(
        "evaluate, single calls: p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        at(0.50),
        at(0.90),
        at(0.99),
        at(1.0)
    );
}

fn bench(c: &mut Criterion) {
    let set = PolicySet::defaults();
    let requests = requests();
    percentiles(&set, &requests);
    let mut i = 0;
    c.bench_function("evaluate default policy, 100 agents", |b| {
        b.iter(|| {
            i = (i + 1) % requests.len();
            black_box(set.evaluate(black_box(&requests[i])))
        })
    });
    c.bench_function("validate default policy", |b| {
        b.iter(|| black_box(validate(black_box(DEFAULT_POLICY), "default.cedar")))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
