//! SQL statements and infrastructure-API requests written blind, by an author who never saw
//! blastwall's rules or code: a measurement of how the SQL and HTTP classifiers do on input
//! nobody tuned them for. The floors below are the rates measured today; every miss is printed
//! (`cargo nextest run -p blastwall --test blind_sql_http --no-capture`).

use blastwall::{Engine, Request};
use blastwall_core::{Decision, Door};
use serde_json::Value;

fn cases(name: &str, tool: &str) -> Vec<(Request, String)> {
    let path = format!("{}/../../tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut v: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}: {e}: {line}"));
            let obj = v.as_object_mut().expect("an object");
            obj.remove("note");
            obj.insert("tool".into(), tool.into());
            let shown = match tool {
                "sql" => obj["sql"].as_str().unwrap_or_default().to_owned(),
                _ => format!(
                    "{} {} {}",
                    obj["method"].as_str().unwrap_or("GET"),
                    obj["url"].as_str().unwrap_or_default(),
                    obj.get("body").and_then(Value::as_str).unwrap_or_default()
                ),
            };
            let req: Request =
                serde_json::from_value(v).unwrap_or_else(|e| panic!("{path}: {e}: {line}"));
            (req, shown)
        })
        .collect()
}

fn rates(engine: &Engine, name: &str, tool: &str) -> (f64, f64, usize, usize) {
    let decide = |req: &Request| {
        engine
            .check(req, Door::Check)
            .map_or(Decision::Deny, |(v, _)| v.decision)
    };
    let destructive = cases(&format!("blind-{name}-destructive.jsonl"), tool);
    let benign = cases(&format!("blind-{name}-benign.jsonl"), tool);
    let mut missed = 0;
    for (req, shown) in &destructive {
        if decide(req) == Decision::Allow {
            missed += 1;
            println!("missed  {shown}");
        }
    }
    let mut held = 0;
    for (req, shown) in &benign {
        let d = decide(req);
        if d != Decision::Allow {
            held += 1;
            let v = engine.check(req, Door::Check).map(|(v, _)| v.rule);
            println!("stopped {shown}  ({d}: {v:?})");
        }
    }
    let stop = 1.0 - missed as f64 / destructive.len() as f64;
    let false_stop = held as f64 / benign.len() as f64;
    println!(
        "blind {name}: {:.2}% of {} destructive stopped, {:.2}% of {} benign stopped",
        stop * 100.0,
        destructive.len(),
        false_stop * 100.0,
        benign.len()
    );
    (stop, false_stop, destructive.len(), benign.len())
}

#[test]
fn blind_sql_rates() {
    let (stop, false_stop, d, b) = rates(&Engine::embedded(), "sql", "sql");
    assert!(d >= 200 && b >= 200);
    assert!(
        stop >= SQL_FLOOR.0,
        "SQL destructive stopped fell to {stop}"
    );
    assert!(
        false_stop <= SQL_FLOOR.1,
        "SQL benign stopped rose to {false_stop}"
    );
}

#[test]
fn blind_http_rates() {
    let (stop, false_stop, d, b) = rates(&Engine::embedded(), "http", "http");
    assert!(d >= 150 && b >= 150);
    assert!(
        stop >= HTTP_FLOOR.0,
        "HTTP destructive stopped fell to {stop}"
    );
    assert!(
        false_stop <= HTTP_FLOOR.1,
        "HTTP benign stopped rose to {false_stop}"
    );
}

/// (least share of destructive cases stopped, most share of benign cases stopped), as measured
/// after the mechanisms the corpus showed missing were added. At first sight the SQL classifier
/// stopped 87.6% of the destructive statements and held 12.6% of the benign ones (most of them
/// MySQL syntax that PostgreSQL's parser refuses); the HTTP classifier stopped 82.6% and held
/// 5.6%.
const SQL_FLOOR: (f64, f64) = (0.98, 0.02);
const HTTP_FLOOR: (f64, f64) = (0.995, 0.005);
