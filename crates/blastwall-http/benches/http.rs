//! Latency of classify + decide over the evasion corpus: the cost a proxy pays per request.
//! Prints p50/p99 over every corpus request; the target is p99 < 50 µs.

use std::time::{Duration, Instant};

use blastwall_core::{Classifier, Context, Policy, Registry, decide};
use blastwall_http::{HttpClassifier, HttpRequest};
use criterion::{Criterion, black_box, criterion_group, criterion_main};

fn corpus() -> Vec<String> {
    include_str!("../tests/corpus/http.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("corpus line is JSON");
            HttpRequest {
                method: v["method"].as_str().unwrap_or_default().into(),
                url: v["url"].as_str().unwrap_or_default().into(),
                headers: serde_json::from_value(v["headers"].clone()).unwrap_or_default(),
                body: v["body"].as_str().unwrap_or_default().into(),
            }
            .to_message()
        })
        .collect()
}

fn percentiles(classifier: &HttpClassifier, messages: &[String]) {
    let (ctx, registry, policy) = (Context::default(), Registry::new(), Policy::default());
    let mut samples: Vec<Duration> = Vec::with_capacity(messages.len() * 50);
    for _ in 0..50 {
        for m in messages {
            let start = Instant::now();
            let verdict = decide(classifier.classify(m, &ctx, &registry), &policy);
            samples.push(start.elapsed());
            black_box(verdict);
        }
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    println!(
        "http classify+decide over {} corpus requests: p50 {:?}, p99 {:?}, max {:?}",
        messages.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

fn bench(c: &mut Criterion) {
    let classifier = HttpClassifier::new();
    let messages = corpus();
    percentiles(&classifier, &messages);
    let (ctx, registry, policy) = (Context::default(), Registry::new(), Policy::default());
    c.bench_function("http/corpus-all", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(decide(classifier.classify(m, &ctx, &registry), &policy));
            }
        })
    });
    let railway = HttpRequest::new("POST", "https://backboard.railway.app/graphql/v2")
        .header("Content-Type", "application/json")
        .body(r#"{"query":"mutation($id: String!) { volumeDelete(volumeId: $id) }","variables":{"id":"v"}}"#)
        .to_message();
    c.bench_function("http/railway-volume-delete", |b| {
        b.iter(|| {
            black_box(decide(
                classifier.classify(&railway, &ctx, &registry),
                &policy,
            ))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
