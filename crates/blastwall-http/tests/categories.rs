//! Exact decisions, rules, effects, spans and environments for every category the HTTP classifier
//! covers, and its fail-closed behaviour on bad input.

use blastwall_core::{
    Action, BlastRadius, Classifier, Context, Decision, Effect, Finding, Language, Policy,
    Registry, Resource, Scope, Span, Verdict, decide,
};
use blastwall_http::{HttpClassifier, HttpError, HttpRequest};

fn classify_with(message: &str, registry: &Registry) -> (Vec<Action>, Verdict) {
    let actions = HttpClassifier::new().classify(message, &Context::default(), registry);
    let verdict = decide(actions.clone(), &Policy::default());
    (actions, verdict)
}

fn verdict(message: &str) -> Verdict {
    classify_with(message, &Registry::new()).1
}

fn request(req: HttpRequest) -> (String, Verdict) {
    let msg = req.to_message();
    let v = verdict(&msg);
    (msg, v)
}

fn json(method: &str, url: &str, body: &str) -> (String, Verdict) {
    request(
        HttpRequest::new(method, url)
            .header("Content-Type", "application/json")
            .body(body),
    )
}

#[track_caller]
fn expect(v: &Verdict, decision: Decision, rule: &str) {
    assert_eq!(
        (v.decision, v.rule.as_str()),
        (decision, rule),
        "reason: {}",
        v.reason
    );
}

const RAILWAY: &str = "https://backboard.railway.app/graphql/v2";

// --- The incident and Railway ----------------------------------------------------------------

#[test]
fn railway_volume_delete_is_stopped_and_points_at_the_field() {
    let (msg, v) = json(
        "POST",
        RAILWAY,
        r#"{"query":"mutation volumeDelete($id: String!) { volumeDelete(volumeId: $id) }","variables":{"id":"3c1b"}}"#,
    );
    expect(&v, Decision::Ask, "http.railway.volume.delete");
    assert_eq!(v.effect, Effect::Destructive);
    assert_eq!(v.span.slice(&msg), "volumeDelete");
    assert!(
        msg[..v.span.start].contains("{ "),
        "span is the root field, not the operation name"
    );
    assert!(v.reason.contains("volume"));
}

#[test]
fn railway_volume_delete_in_prod_is_held_by_the_floor_and_names_prod() {
    let (_, v) = json(
        "POST",
        RAILWAY,
        r#"{"query":"mutation($id: String!) { volumeDelete(volumeId: $id) }","variables":{"id":"production-db-volume"}}"#,
    );
    assert_eq!(v.decision, Decision::Ask);
    assert_eq!(v.environment.as_str(), "prod");
}

#[test]
fn railway_each_destructive_mutation() {
    for (field, decision, rule) in [
        (
            "serviceDelete(id: \\\"s\\\")",
            Decision::Ask,
            "http.railway.service.delete",
        ),
        (
            "environmentDelete(id: \\\"e\\\")",
            Decision::Ask,
            "http.railway.environment.delete",
        ),
        (
            "projectDelete(id: \\\"p\\\")",
            Decision::Ask,
            "http.railway.project.delete",
        ),
        (
            "volumeInstanceBackupDelete(volumeInstanceBackupId: \\\"b\\\", volumeInstanceId: \\\"v\\\")",
            Decision::Deny,
            "http.railway.backup.delete",
        ),
        (
            "volumeInstanceBackupRestore(volumeInstanceBackupId: \\\"b\\\", volumeInstanceId: \\\"v\\\")",
            Decision::Ask,
            "http.railway.backup.restore",
        ),
        (
            "variableDelete(input: {name: \\\"X\\\"})",
            Decision::Ask,
            "http.railway.variable.delete",
        ),
        (
            "deploymentRestart(id: \\\"d\\\")",
            Decision::Allow,
            "http.railway.routine",
        ),
    ] {
        let body = format!("{{\"query\":\"mutation {{ {field} }}\"}}");
        let (_, v) = json("POST", RAILWAY, &body);
        expect(&v, decision, rule);
    }
}

#[test]
fn backup_delete_is_irreversible_and_denied_even_beside_reads() {
    let (_, v) = json(
        "POST",
        RAILWAY,
        r#"[{"query":"{ me { id } }"},{"query":"mutation { a: volumeInstanceBackupDelete(volumeInstanceBackupId: \"b\", volumeInstanceId: \"v\") }"}]"#,
    );
    expect(&v, Decision::Deny, "http.railway.backup.delete");
    assert_eq!(v.effect, Effect::Irreversible);
    assert!(
        v.actions
            .iter()
            .any(|j| j.action.via.contains(&"batch[1]".to_owned()))
    );
}

#[test]
fn graphql_queries_are_reads() {
    let (_, v) = json(
        "POST",
        RAILWAY,
        r#"{"query":"query { me { projects { edges { node { id } } } } }"}"#,
    );
    expect(&v, Decision::Allow, "http.graphql.read");
    assert_eq!(v.effect, Effect::Read);
}

#[test]
fn graphql_escape_in_body_maps_span_to_the_escaped_text() {
    let (msg, v) = json(
        "POST",
        RAILWAY,
        r#"{"query":"mutation { \u0076olumeDelete(volumeId: \"v\") }"}"#,
    );
    expect(&v, Decision::Ask, "http.railway.volume.delete");
    assert_eq!(v.span.slice(&msg), r"\u0076olumeDelete");
}

#[test]
fn graphql_query_string_span_points_into_the_url() {
    let url = format!("{RAILWAY}?query=mutation%7BvolumeDelete(volumeId:%22v%22)%7D");
    let (msg, v) = request(HttpRequest::new("GET", url));
    expect(&v, Decision::Ask, "http.railway.volume.delete");
    assert_eq!(v.span.slice(&msg), "volumeDelete");
}

#[test]
fn graphql_operation_name_selects_what_runs() {
    let doc = r#"query Safe { me { id } } mutation Boom { volumeDelete(volumeId: \"v\") }"#;
    let (_, v) = json(
        "POST",
        RAILWAY,
        &format!(r#"{{"query":"{doc}","operationName":"Safe"}}"#),
    );
    expect(&v, Decision::Allow, "http.graphql.read");
    let (_, v) = json(
        "POST",
        RAILWAY,
        &format!(r#"{{"query":"{doc}","operationName":"Boom"}}"#),
    );
    expect(&v, Decision::Ask, "http.railway.volume.delete");
    let (_, v) = json("POST", RAILWAY, &format!(r#"{{"query":"{doc}"}}"#));
    expect(&v, Decision::Ask, "http.railway.volume.delete");
}

#[test]
fn graphql_unparseable_and_empty_fail_closed() {
    let (_, v) = json("POST", RAILWAY, r#"{"query":"mutation { volumeDelete("}"#);
    expect(&v, Decision::Ask, "http.graphql.unreadable");
    let (_, v) = json("POST", RAILWAY, r#"{"variables":{}}"#);
    expect(&v, Decision::Ask, "http.graphql.unreadable");
    let (_, v) = json("POST", RAILWAY, r#"{"query":42}"#);
    expect(&v, Decision::Ask, "http.graphql.unreadable");
}

#[test]
fn graphql_limits_end_fast() {
    let deep = format!("{}{}", "{a".repeat(5000), "}".repeat(5000));
    let body = serde_json::json!({ "query": deep }).to_string();
    let start = std::time::Instant::now();
    let (_, v) = json("POST", RAILWAY, &body);
    assert_eq!(v.decision, Decision::Ask);
    let many: String = (0..2000).map(|i| format!("f{i}: me {{ id }} ")).collect();
    let body = serde_json::json!({ "query": format!("query {{ {many} }}") }).to_string();
    let (_, v) = json("POST", RAILWAY, &body);
    expect(&v, Decision::Ask, "http.graphql.unreadable");
    let batch: Vec<_> = (0..100)
        .map(|_| serde_json::json!({"query": "{ me { id } }"}))
        .collect();
    let (_, v) = json("POST", RAILWAY, &serde_json::to_string(&batch).unwrap());
    expect(&v, Decision::Ask, "http.graphql.unreadable");
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn generic_graphql_mutations() {
    let g = "https://api.example.com/graphql";
    let (_, v) = json(
        "POST",
        g,
        r#"{"query":"mutation { deleteProject(id: 1) }"}"#,
    );
    expect(&v, Decision::Ask, "http.graphql.infra.delete");
    let (_, v) = json(
        "POST",
        g,
        r#"{"query":"mutation { deleteComment(id: 1) }"}"#,
    );
    expect(&v, Decision::Allow, "http.graphql.record.delete");
    let (_, v) = json(
        "POST",
        g,
        r#"{"query":"mutation { createComment(body: \"x\") { id } }"}"#,
    );
    expect(&v, Decision::Allow, "http.graphql.mutation");
    assert_eq!(v.effect, Effect::Write);
}

// --- REST --------------------------------------------------------------------------------------

#[test]
fn rest_generic_deletes() {
    let cases = [
        (
            "https://api.example.com/api/todos/42",
            Decision::Allow,
            "http.generic.delete.record",
        ),
        (
            "https://api.example.com/api/todos",
            Decision::Ask,
            "http.generic.delete.collection",
        ),
        (
            "https://api.example.com/v1/volumes/vol_prod",
            Decision::Ask,
            "http.generic.delete.infra",
        ),
        (
            "https://api.example.com/v1/databases/main",
            Decision::Ask,
            "http.generic.delete.infra",
        ),
        (
            "https://api.example.com/v1/apps/web",
            Decision::Ask,
            "http.generic.delete.infra",
        ),
        (
            "https://api.example.com/v1/buckets/b",
            Decision::Ask,
            "http.generic.delete.infra",
        ),
        (
            "https://api.example.com/v1/repositories/r",
            Decision::Ask,
            "http.generic.delete.infra",
        ),
        (
            "https://api.example.com/v1/clusters/c",
            Decision::Ask,
            "http.generic.delete.infra",
        ),
        (
            "https://api.example.com/v1/backups/7",
            Decision::Deny,
            "http.generic.backup.delete",
        ),
        (
            "https://api.example.com/",
            Decision::Ask,
            "http.generic.delete.root",
        ),
    ];
    for (url, decision, rule) in cases {
        let (_, v) = request(HttpRequest::new("DELETE", url));
        expect(&v, decision, rule);
    }
}

#[test]
fn method_override_the_stricter_wins_and_the_span_is_the_header() {
    let (msg, v) = request(
        HttpRequest::new("POST", "https://api.example.com/v1/volumes/v1")
            .header("X-HTTP-Method-Override", "DELETE"),
    );
    expect(&v, Decision::Ask, "http.generic.delete.infra");
    assert_eq!(v.span.slice(&msg), "X-HTTP-Method-Override: DELETE");
}

#[test]
fn reads_writes_and_creates_are_allowed() {
    let (_, v) = request(HttpRequest::new(
        "GET",
        "https://api.example.com/v1/volumes",
    ));
    expect(&v, Decision::Allow, "http.read");
    assert_eq!(v.effect, Effect::Read);
    let (_, v) = json(
        "POST",
        "https://api.example.com/v1/volumes",
        r#"{"size":10}"#,
    );
    expect(&v, Decision::Allow, "http.write");
    assert_eq!(v.effect, Effect::Write);
    let (_, v) = json(
        "PUT",
        "https://api.example.com/v1/apps/web/config",
        r#"{"a":1}"#,
    );
    expect(&v, Decision::Allow, "http.write");
}

#[test]
fn dry_runs_are_allowed_reads() {
    for url in [
        "https://api.example.com/v1/volumes/v1?dry_run=1",
        "https://k.example.com/api/v1/namespaces/prod?dryRun=All",
        "https://ec2.us-east-1.amazonaws.com/?Action=TerminateInstances&InstanceId.1=i-1&DryRun=true&Version=2016-11-15",
    ] {
        let (_, v) = request(HttpRequest::new("DELETE", url));
        expect(&v, Decision::Allow, "http.dry-run");
        assert_eq!(v.effect, Effect::Read);
    }
}

#[test]
fn security_opening() {
    let (_, v) = json(
        "POST",
        "https://api.digitalocean.com/v2/firewalls",
        r#"{"inbound_rules":[{"protocol":"tcp","ports":"5432","sources":{"addresses":["0.0.0.0/0"]}}]}"#,
    );
    expect(&v, Decision::Ask, "http.exposure.open-to-world");
    // The web ports open to everyone are a web server, not an exposure.
    let (_, v) = json(
        "POST",
        "https://api.digitalocean.com/v2/firewalls",
        r#"{"inbound_rules":[{"protocol":"tcp","ports":"443","sources":{"addresses":["0.0.0.0/0","::/0"]}}],"outbound_rules":[{"protocol":"tcp","ports":"all","destinations":{"addresses":["0.0.0.0/0"]}}]}"#,
    );
    expect(&v, Decision::Allow, "http.write");
    let (_, v) = json(
        "PUT",
        "https://assets.s3.amazonaws.com/?policy",
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}"#,
    );
    expect(&v, Decision::Ask, "http.s3.public");
}

// --- AWS, S3, Kubernetes, data APIs ------------------------------------------------------------

#[test]
fn aws_json_rpc_and_query() {
    let (msg, v) = request(
        HttpRequest::new("POST", "https://dynamodb.us-east-1.amazonaws.com/")
            .header("Content-Type", "application/x-amz-json-1.0")
            .header("X-Amz-Target", "DynamoDB_20120810.DeleteTable")
            .body(r#"{"TableName":"orders"}"#),
    );
    expect(&v, Decision::Ask, "http.aws.delete");
    assert_eq!(v.span.slice(&msg), "DynamoDB_20120810.DeleteTable");
    let (_, v) = request(
        HttpRequest::new("POST", "https://rds.us-east-1.amazonaws.com/")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("Action=DeleteDBInstance&DBInstanceIdentifier=db&Version=2014-10-31"),
    );
    expect(&v, Decision::Ask, "http.aws.delete");
    let (_, v) = request(
        HttpRequest::new("POST", "https://rds.us-east-1.amazonaws.com/")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("Action=DeleteDBInstance&DBInstanceIdentifier=db&DeleteAutomatedBackups=true&Version=2014-10-31"),
    );
    expect(&v, Decision::Deny, "http.aws.delete.with-backups");
}

#[test]
fn s3_operations() {
    let cases = [
        (
            "DELETE",
            "https://b.s3.amazonaws.com/",
            Decision::Ask,
            "http.s3.bucket.delete",
        ),
        (
            "DELETE",
            "https://s3.eu-west-1.amazonaws.com/b",
            Decision::Ask,
            "http.s3.bucket.delete",
        ),
        (
            "POST",
            "https://b.s3.amazonaws.com/?delete",
            Decision::Ask,
            "http.s3.objects.delete",
        ),
        (
            "DELETE",
            "https://b.s3.amazonaws.com/k?versionId=abc",
            Decision::Deny,
            "http.s3.object.version-delete",
        ),
        (
            "DELETE",
            "https://b.s3.amazonaws.com/?policy",
            Decision::Allow,
            "http.s3.bucket.subresource-delete",
        ),
        (
            "DELETE",
            "https://b.s3.amazonaws.com/?publicAccessBlock",
            Decision::Ask,
            "http.s3.public-access-block.removed",
        ),
        (
            "GET",
            "https://b.s3.amazonaws.com/k",
            Decision::Allow,
            "http.read",
        ),
    ];
    for (m, url, d, rule) in cases {
        let (_, v) = request(HttpRequest::new(m, url));
        expect(&v, d, rule);
    }
}

#[test]
fn kubernetes_api() {
    let base = "https://kube.internal:6443";
    let cases = [
        (
            "/api/v1/namespaces/shop",
            Decision::Ask,
            "http.k8s.namespace.delete",
        ),
        (
            "/api/v1/namespaces/shop/persistentvolumeclaims/data",
            Decision::Ask,
            "http.k8s.volume.delete",
        ),
        (
            "/api/v1/namespaces/shop/pods",
            Decision::Ask,
            "http.k8s.collection.delete",
        ),
        (
            "/apis/apps/v1/namespaces/shop/deployments/web",
            Decision::Ask,
            "http.k8s.delete",
        ),
        (
            "/api/v1/namespaces/shop/pods/web-1",
            Decision::Allow,
            "http.k8s.pod.delete",
        ),
    ];
    for (path, d, rule) in cases {
        let (_, v) = request(HttpRequest::new("DELETE", format!("{base}{path}")));
        expect(&v, d, rule);
    }
    let (_, v) = request(HttpRequest::new(
        "GET",
        format!("{base}/api/v1/namespaces/shop/secrets"),
    ));
    expect(&v, Decision::Ask, "http.k8s.secret.read");
}

#[test]
fn data_apis() {
    let (_, v) = json(
        "POST",
        "https://es.internal:9200/logs/_delete_by_query",
        r#"{"query":{"match_all":{}}}"#,
    );
    expect(&v, Decision::Ask, "http.search.delete-by-query");
    let (_, v) = request(HttpRequest::new(
        "DELETE",
        "https://es.internal:9200/logs-2024",
    ));
    expect(&v, Decision::Ask, "http.search.index.delete");
    let (_, v) = json("POST", "https://x.upstash.io/", r#"["FLUSHALL"]"#);
    expect(&v, Decision::Ask, "http.redis.flush");
    let (_, v) = request(HttpRequest::new(
        "DELETE",
        "https://vault.corp:8200/v1/secret/metadata/app",
    ));
    expect(&v, Decision::Deny, "http.vault.metadata.delete");
    let (_, v) = request(HttpRequest::new(
        "DELETE",
        "https://p.supabase.co/rest/v1/users",
    ));
    expect(&v, Decision::Ask, "http.postgrest.unfiltered");
    let (_, v) = request(HttpRequest::new(
        "DELETE",
        "https://p.supabase.co/rest/v1/users?id=eq.7",
    ));
    expect(&v, Decision::Allow, "http.postgrest.filtered");
}

// --- SQL over HTTP -----------------------------------------------------------------------------

/// A stand-in SQL classifier: `DROP` is denied, anything else allowed; spans cover the keyword.
struct FakeSql;

impl Classifier for FakeSql {
    fn language(&self) -> Language {
        Language::Sql
    }
    fn classify(&self, input: &str, ctx: &Context, _: &Registry) -> Vec<Action> {
        let drop = input.to_ascii_uppercase().find("DROP");
        let span = drop.map_or(Span::new(0, input.len()), |i| Span::new(i, i + 4));
        let decision = if drop.is_some() {
            Decision::Deny
        } else {
            Decision::Allow
        };
        vec![Action {
            principal: ctx.principal.clone(),
            environment: ctx.environments.resolve([input]).0,
            door: ctx.door.clone(),
            language: Language::Sql,
            operation: "sql".into(),
            resource: Resource {
                kind: "table".into(),
                name: "t".into(),
            },
            effect: if drop.is_some() {
                Effect::Irreversible
            } else {
                Effect::Read
            },
            blast_radius: BlastRadius::new(Scope::Tree, ""),
            raw: input.into(),
            span,
            depth: 0,
            via: vec![],
            finding: Finding {
                rule: "sql.fake".into(),
                decision,
                reason: "fake".into(),
                span,
            },
        }]
    }
}

#[test]
fn sql_over_http_is_handed_to_the_sql_classifier_with_spans_in_the_message() {
    let registry = Registry::new().with(Box::new(FakeSql));
    let msg = HttpRequest::new("POST", "https://ep-x.us-east-2.aws.neon.tech/sql")
        .header("Content-Type", "application/json")
        .body(r#"{"query":"\u0044ROP TABLE users","params":[]}"#)
        .to_message();
    let (actions, v) = classify_with(&msg, &registry);
    assert_eq!(v.decision, Decision::Deny);
    assert_eq!(v.rule, "sql.fake");
    assert_eq!(v.span.slice(&msg), r"\u0044ROP");
    assert!(actions[0].via[0].contains("http.neon.sql"));
    let msg = HttpRequest::new(
        "POST",
        "https://api.cloudflare.com/client/v4/accounts/a/d1/database/d/query",
    )
    .header("Content-Type", "application/json")
    .body(r#"{"sql":"SELECT 1"}"#)
    .to_message();
    assert_eq!(classify_with(&msg, &registry).1.decision, Decision::Allow);
}

#[test]
fn sql_without_a_sql_classifier_asks() {
    for (url, body, rule) in [
        (
            "https://ep-x.neon.tech/sql",
            r#"{"query":"SELECT 1"}"#,
            "http.neon.sql",
        ),
        (
            "https://api.supabase.com/v1/projects/abc/database/query",
            r#"{"query":"DROP TABLE t"}"#,
            "http.supabase.sql",
        ),
        (
            "https://db-x.turso.io/v2/pipeline",
            r#"{"requests":[{"type":"execute","stmt":{"sql":"DELETE FROM t"}}]}"#,
            "http.turso.sql",
        ),
        (
            "https://sql.example.com/run",
            r#"{"sql":"TRUNCATE t"}"#,
            "http.sql.generic",
        ),
    ] {
        let (_, v) = json("POST", url, body);
        expect(&v, Decision::Ask, rule);
    }
}

// --- Bad input ---------------------------------------------------------------------------------

#[test]
fn unparseable_messages_ask() {
    for msg in [
        "",
        "hello",
        "GET\r\n\r\n",
        "GET /x HTTP/1.1\r\n\r\n",
        "GET https://h/ HTTP/1.1\r\nBad Header\r\n\r\n",
    ] {
        let v = verdict(msg);
        assert_eq!(v.decision, Decision::Ask, "{msg:?}: {}", v.reason);
        assert!(v.rule.starts_with("http.request."), "{msg:?}: {}", v.rule);
    }
}

#[test]
fn huge_body_is_not_parsed_and_asks() {
    let body = format!("{{\"query\":\"{}\"}}", "a".repeat(10 * 1024 * 1024));
    let start = std::time::Instant::now();
    let (_, v) = json("POST", "https://api.example.com/items", &body);
    expect(&v, Decision::Ask, "http.body.too-large");
    assert!(v.reason.contains("not inspected"));
    assert!(start.elapsed() < std::time::Duration::from_secs(1));
}

#[test]
fn binary_and_unknown_bodies_ask_on_writes() {
    let (_, v) = request(
        HttpRequest::new("POST", "https://api.example.com/items")
            .header("Content-Type", "application/json")
            .body("\u{0}\u{1}\u{2}binary"),
    );
    expect(&v, Decision::Ask, "http.body.binary");
    let (_, v) = request(
        HttpRequest::new("PUT", "https://api.example.com/items/1")
            .header("Content-Type", "application/vnd.weird")
            .body("x"),
    );
    expect(&v, Decision::Ask, "http.body.unknown-content-type");
    let (_, v) = json("POST", "https://api.example.com/items", "{not json");
    expect(&v, Decision::Ask, "http.body.invalid-json");
}

#[test]
fn lf_line_ends_are_accepted() {
    let v =
        verdict("DELETE https://api.example.com/v1/volumes/v HTTP/1.1\nHost: api.example.com\n\n");
    expect(&v, Decision::Ask, "http.generic.delete.infra");
}

#[test]
fn typed_api_round_trips_and_reports_errors() {
    let req = HttpRequest::new("POST", RAILWAY)
        .header("Content-Type", "application/json")
        .body("{}");
    assert_eq!(HttpRequest::parse_message(&req.to_message()).unwrap(), req);
    assert!(matches!(
        HttpRequest::parse_message(""),
        Err(HttpError::Empty)
    ));
    let actions = HttpClassifier::new().classify_request(
        &HttpRequest::new("DELETE", "https://api.github.com/repos/acme/api"),
        &Context::default(),
        &Registry::new(),
    );
    assert_eq!(actions[0].finding.rule, "http.github.repo.delete");
    assert_eq!(actions[0].language, Language::Http);
}

#[test]
fn header_injection_in_typed_requests_is_flattened() {
    let req = HttpRequest::new("GET", "https://api.example.com/x")
        .header("X-A", "1\r\nX-HTTP-Method-Override: DELETE");
    let parsed = HttpRequest::parse_message(&req.to_message()).unwrap();
    assert_eq!(parsed.headers.len(), 1);
}

#[test]
fn every_action_span_fits_the_message() {
    for line in include_str!("corpus/http.jsonl").lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let req = HttpRequest {
            method: case["method"].as_str().unwrap().into(),
            url: case["url"].as_str().unwrap().into(),
            headers: serde_json::from_value(case["headers"].clone()).unwrap(),
            body: case["body"].as_str().unwrap().into(),
        };
        let msg = req.to_message();
        for a in HttpClassifier::new().classify(&msg, &Context::default(), &Registry::new()) {
            assert!(
                a.span.end <= msg.len() && a.span.start <= a.span.end,
                "{msg}"
            );
            assert!(msg.get(a.span.start..a.span.end).is_some(), "{msg}");
            assert!(!a.finding.reason.is_empty());
        }
    }
}
