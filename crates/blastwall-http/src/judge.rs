//! Judging one request: which rules match the request as a whole, each GraphQL root field, each
//! Redis command and each SQL statement it carries, and the fail-closed findings for what cannot
//! be read. Every subject becomes one [`Action`].
//!
//! Provider rules (packs that name hosts or APIs) settle a subject when any of them match; the
//! generic rules speak only when no provider rule does. Among the rules that speak, the strictest
//! wins, the first in pack order among equals. This module must never do I/O; SQL is judged by
//! whatever SQL classifier the registry holds, and its absence fails closed.

use blastwall_core::{
    Action, BlastRadius, Context, Decision, Effect, Finding, Language, Registry, Resource, Scope,
    Span,
};
use serde_json::value::RawValue;

use crate::Limits;
use crate::fields::{self, Leaf, Pat};
use crate::graphql::{self, OperationKind, Reading, RootField};
use crate::located::{Located, Members, array_items, offset_in};
use crate::message::ParsedMessage;
use crate::packs::{DryRun, HttpRules, Mechanism, PackKind, Rule, RuleKind, any_glob, hosts_match};
use crate::sql::{
    bind_params, is_plain_insert, is_plain_read, looks_like_sql, number_placeholders,
};
use crate::view::{BodyKind, BodyProblem, MethodSource, RequestView, truncate};

/// Query parameters that shape a PostgREST response without filtering rows.
const NON_FILTER_PARAMS: &[&str] = &[
    "select",
    "order",
    "limit",
    "offset",
    "columns",
    "on_conflict",
];

/// The AWS operation a request invokes.
struct AwsOperation {
    name: String,
    service: String,
    span: Span,
}

/// A finding waiting to become an action.
struct Verdict {
    rule: String,
    decision: Decision,
    effect: Effect,
    scope: Scope,
    reason: String,
    resource_kind: String,
    resource_name: String,
    operation: String,
    span: Span,
    via: Vec<String>,
    depth: usize,
}

impl Verdict {
    fn fail_closed(rule: &str, reason: String, span: Span, operation: String) -> Verdict {
        Verdict {
            rule: rule.into(),
            decision: Decision::Ask,
            effect: Effect::Write,
            scope: Scope::Unknown,
            reason,
            resource_kind: "http-request".into(),
            resource_name: operation.clone(),
            operation,
            span,
            via: Vec::new(),
            depth: 0,
        }
    }
}

struct Judge<'a, 'm> {
    rules: &'a HttpRules,
    limits: &'a Limits,
    view: &'a RequestView<'m>,
    ctx: &'a Context,
    /// The rules of the packs whose hosts this request reaches, whose own hosts it reaches too.
    reachable: Vec<(PackKind, &'a Rule)>,
    verdicts: Vec<Verdict>,
    extra_hints: Vec<String>,
    /// Actions from other classifiers (SQL), environment still to be merged.
    nested: Vec<Action>,
}

pub(crate) fn classify(
    rules: &HttpRules,
    limits: &Limits,
    input: &str,
    ctx: &Context,
    registry: &Registry,
) -> Vec<Action> {
    let whole = Span::new(0, input.len());
    let parsed = match ParsedMessage::parse(input) {
        Ok(p) => p,
        Err(e) => {
            let v = Verdict::fail_closed(
                "http.request.unparseable",
                format!(
                    "this is not an HTTP request blastwall can read ({e}); a human should check what it would do"
                ),
                whole,
                "unreadable request".into(),
            );
            return vec![to_action(
                v,
                input,
                ctx,
                &ctx.environments.resolve(std::iter::empty()).0,
            )];
        }
    };
    let request_line = parsed.request_line;
    let view = match RequestView::build(input, parsed, limits) {
        Ok(v) => v,
        Err(problem) => {
            let v = Verdict::fail_closed(
                "http.request.bad-url",
                format!(
                    "{}: blastwall cannot tell which server and resource this request reaches",
                    problem.0
                ),
                request_line,
                "unreadable request".into(),
            );
            return vec![to_action(
                v,
                input,
                ctx,
                &ctx.environments.resolve(std::iter::empty()).0,
            )];
        }
    };
    let reachable = reachable_rules(rules, &view.hosts);
    let mut judge = Judge {
        rules,
        limits,
        view: &view,
        ctx,
        reachable,
        verdicts: Vec::new(),
        extra_hints: Vec::new(),
        nested: Vec::new(),
    };
    judge.body_problems();
    judge.request_rules();
    let is_graphql = graphql::is_graphql(&view);
    if is_graphql {
        judge.graphql();
    }
    judge.redis();
    judge.sql(registry, is_graphql);
    judge.dry_run_nested();
    judge.fallback();

    let hints = view
        .env_hints
        .iter()
        .chain(judge.extra_hints.iter())
        .map(String::as_str);
    let (mut environment, _) = ctx.environments.resolve(hints.clone());
    // Body strings are free text (`"comment": "temp"`): only the host, path and query may make
    // a resource look throwaway.
    if ctx.environments.is_disposable(&environment) {
        let named = view
            .hosts
            .iter()
            .map(String::as_str)
            .chain([view.path.as_str()])
            .chain(view.query.iter().map(|p| p.value.text.as_str()));
        if !ctx
            .environments
            .is_disposable(&ctx.environments.resolve(named).0)
        {
            environment = ctx.environments.resolve_lasting(hints).0;
        }
    }
    let mut actions: Vec<Action> = judge
        .verdicts
        .into_iter()
        .map(|v| to_action(v, input, ctx, &environment))
        .collect();
    for mut a in judge.nested {
        let (env, _) = ctx
            .environments
            .resolve([a.environment.as_str(), environment.as_str()]);
        a.environment = env;
        actions.push(a);
    }
    actions
}

/// The rules whose pack and own hosts the request reaches. Rules repeat the same host lists, so
/// each list is matched once.
fn reachable_rules<'r>(rules: &'r HttpRules, hosts: &[String]) -> Vec<(PackKind, &'r Rule)> {
    let mut seen: Vec<(&[crate::fields::Pat], bool)> = Vec::new();
    let mut out = Vec::new();
    for pack in rules.packs.iter().filter(|p| hosts_match(&p.hosts, hosts)) {
        for r in &pack.rules {
            let ok = r.hosts.is_empty()
                || match seen.iter().find(|(h, _)| *h == r.hosts.as_slice()) {
                    Some((_, ok)) => *ok,
                    None => {
                        let ok = hosts_match(&r.hosts, hosts);
                        seen.push((r.hosts.as_slice(), ok));
                        ok
                    }
                };
            if ok {
                out.push((pack.kind, r));
            }
        }
    }
    out
}

fn to_action(
    v: Verdict,
    input: &str,
    ctx: &Context,
    environment: &blastwall_core::Environment,
) -> Action {
    let raw: String = v.span.slice(input).chars().take(512).collect();
    Action {
        principal: ctx.principal.clone(),
        environment: environment.clone(),
        door: ctx.door.clone(),
        language: Language::Http,
        operation: v.operation,
        resource: Resource {
            kind: v.resource_kind,
            name: v.resource_name,
        },
        effect: v.effect,
        blast_radius: BlastRadius::new(v.scope, blast_note(v.scope)),
        raw,
        span: v.span,
        depth: v.depth,
        via: v.via,
        finding: Finding {
            rule: v.rule,
            decision: v.decision,
            reason: v.reason,
            span: v.span,
        },
    }
}

fn blast_note(scope: Scope) -> &'static str {
    match scope {
        Scope::None => "nothing changes",
        Scope::Single => "one record or object",
        Scope::Tree => "a set of records or objects",
        Scope::Project => "a whole project or repository",
        Scope::Host => "a whole server",
        Scope::Account => "a cloud account, PaaS project or database server",
        Scope::Unknown => "cannot be estimated",
    }
}

impl<'a> Judge<'a, '_> {
    fn describe(&self) -> String {
        self.view.describe(&self.view.methods[0].method)
    }

    fn body_problems(&mut self) {
        let view = self.view;
        let span = view.body_span();
        let what = self.describe();
        let problem = match &view.body_problem {
            Some(BodyProblem::TooLarge(n)) => Some((
                "http.body.too-large",
                format!(
                    "the body of {what} is {n} bytes, over the {} bytes blastwall reads: it was not inspected, so what it would do is unknown",
                    self.limits.max_body
                ),
            )),
            Some(BodyProblem::Binary) => Some((
                "http.body.binary",
                format!(
                    "the body of {what} is binary, not text blastwall can read: what it would do is unknown"
                ),
            )),
            Some(BodyProblem::InvalidJson(e)) => Some((
                "http.body.invalid-json",
                format!(
                    "the body of {what} claims to be JSON but does not parse ({e}): servers may read it differently than blastwall"
                ),
            )),
            Some(BodyProblem::Encoded(enc)) => Some((
                "http.body.encoded",
                format!(
                    "the body of {what} is `{enc}`-encoded: blastwall does not decompress bodies, so what it would do is unknown"
                ),
            )),
            Some(BodyProblem::ConflictingContentTypes) => Some((
                "http.body.ambiguous-content-type",
                format!(
                    "{what} has several different Content-Type headers: the server may read the body differently than blastwall"
                ),
            )),
            None => None,
        };
        if let Some((rule, reason)) = problem {
            self.verdicts
                .push(Verdict::fail_closed(rule, reason, span, what.clone()));
            return;
        }
        if let BodyKind::Unknown(t) = &view.body_kind
            && view.can_write()
        {
            self.verdicts.push(Verdict::fail_closed(
                    "http.body.unknown-content-type",
                    format!("{what} sends a body of type `{t}`, which blastwall cannot read: what it would change is unknown"),
                    span,
                    what,
                ));
        }
    }

    /// The strictest of the matches, provider rules first.
    fn best(matches: Vec<(PackKind, &Rule, Span, String)>) -> Option<(&Rule, Span, String)> {
        let provider = matches.iter().any(|(k, ..)| *k == PackKind::Provider);
        matches
            .into_iter()
            .enumerate()
            .filter(|(_, (k, ..))| !provider || *k == PackKind::Provider)
            .max_by_key(|(i, (_, r, ..))| (r.decision, r.effect, std::cmp::Reverse(*i)))
            .map(|(_, (_, r, s, via))| (r, s, via))
    }

    fn applicable(&self, kind: RuleKind) -> Vec<(PackKind, &'a Rule)> {
        self.reachable
            .iter()
            .filter(|(_, r)| r.kind == kind)
            .copied()
            .collect()
    }

    fn request_rules(&mut self) {
        let aws = aws_operations(self.view);
        let mut matches = Vec::new();
        for (kind, rule) in self.applicable(RuleKind::Request) {
            if let Some((span, via)) = request_matches(rule, self.view, &aws) {
                matches.push((kind, rule, span, via));
            }
        }
        let Some((rule, span, via)) = Self::best(matches) else {
            return;
        };
        let method = self.view.methods[0].method.clone();
        let op = aws
            .iter()
            .find(|op| !rule.aws.is_empty() && aws_op_matches(rule, op));
        let operation = match op {
            Some(op) => format!("{} {}", op.service, op.name),
            None => self.describe(),
        };
        let op_name = op.map_or("", |op| op.name.as_str());
        let mut verdict = self.verdict(
            rule,
            span,
            operation.clone(),
            &[("method", &method), ("aws", op_name)],
        );
        if !via.is_empty() {
            verdict.via.push(via);
        }
        if (verdict.effect >= Effect::Destructive || verdict.decision > Decision::Allow)
            && let Some((dry, flag)) = dry_run(self.rules, self.view, true)
        {
            verdict = Verdict {
                rule: "http.dry-run".into(),
                decision: Decision::Allow,
                effect: Effect::Read,
                scope: Scope::None,
                reason: format!(
                    "dry run (`{flag}`): the server only validates {operation} (which `{}` would otherwise judge: {}) without carrying it out",
                    rule.id, verdict.decision
                ),
                resource_kind: verdict.resource_kind,
                resource_name: verdict.resource_name,
                operation,
                span: dry,
                via: verdict.via,
                depth: 0,
            };
        }
        self.verdicts.push(verdict);
    }

    fn verdict(
        &self,
        rule: &Rule,
        span: Span,
        operation: String,
        vars: &[(&str, &str)],
    ) -> Verdict {
        let mut reason = rule
            .reason
            .replace("{host}", &self.view.host)
            .replace("{path}", &self.view.path);
        for (k, v) in vars {
            reason = reason.replace(&format!("{{{k}}}"), v);
        }
        let resource_name = match rule.kind {
            RuleKind::Request => format!("{}{}", self.view.host, self.view.path),
            _ => operation.clone(),
        };
        Verdict {
            rule: rule.id.clone(),
            decision: rule.decision,
            effect: rule.effect,
            scope: rule.scope,
            reason,
            resource_kind: rule.resource.clone(),
            resource_name,
            operation,
            span,
            via: Vec::new(),
            depth: 0,
        }
    }

    fn graphql(&mut self) {
        let envelopes = graphql::envelopes(self.view, self.limits);
        if envelopes.is_empty() {
            if self.view.can_write() && !self.view.parsed.body.trim().is_empty() {
                let what = self.describe();
                self.verdicts.push(Verdict::fail_closed(
                    "http.graphql.no-operation",
                    format!("{what} goes to a GraphQL endpoint but carries no GraphQL document blastwall can find: what it would run is unknown"),
                    self.view.body_span(),
                    what,
                ));
            }
            return;
        }
        for env in &envelopes {
            self.extra_hints
                .extend(env.variable_strings.iter().cloned());
            match graphql::read(env, self.limits) {
                Reading::Problem(why, span) => {
                    let what = self.describe();
                    self.verdicts.push(Verdict::fail_closed(
                        "http.graphql.unreadable",
                        format!(
                            "{why} ({what}, {}): blastwall cannot tell which operation would run",
                            env.via
                        ),
                        span,
                        what,
                    ));
                }
                Reading::Fields(fields) => self.graphql_fields(fields),
            }
        }
    }

    fn graphql_fields(&mut self, fields: Vec<RootField>) {
        // Reads are summarized: one action per operation that only reads.
        let mut reads: Vec<(OperationKind, Option<String>, Span, Vec<String>)> = Vec::new();
        for field in fields {
            self.extra_hints.extend(field.string_args.iter().cloned());
            let lname = field.name.to_ascii_lowercase();
            let mut matches = Vec::new();
            let mut arg_leaves: Option<Vec<Leaf>> = None;
            for (kind, rule) in self.applicable(RuleKind::GraphQl) {
                if !rule
                    .operation_types
                    .iter()
                    .any(|t| t == field.operation.as_str())
                {
                    continue;
                }
                if !rule.paths.is_empty()
                    && !rule.paths.iter().any(|p| p.matches(&self.view.segments))
                {
                    continue;
                }
                if any_glob(&rule.graphql, &lname)
                    && (rule.graphql_also.is_empty() || any_glob(&rule.graphql_also, &lname))
                    && args_match(rule, &field, &mut arg_leaves)
                {
                    matches.push((kind, rule, field.span, String::new()));
                }
            }
            let operation = format!("{} {}", field.operation.as_str(), field.name);
            match Self::best(matches) {
                Some((rule, span, _)) => {
                    let mut v = self.verdict(
                        rule,
                        span,
                        operation,
                        &[
                            ("field", &field.name),
                            ("method", &self.view.methods[0].method),
                        ],
                    );
                    v.resource_kind = "graphql-field".into();
                    v.resource_name =
                        format!("{} at {}{}", field.name, self.view.host, self.view.path);
                    v.via = field.via.clone();
                    self.verdicts.push(v);
                }
                None if field.operation == OperationKind::Mutation => {
                    self.verdicts.push(Verdict {
                        rule: "http.graphql.mutation".into(),
                        decision: Decision::Allow,
                        effect: Effect::Write,
                        scope: Scope::Single,
                        reason: format!(
                            "GraphQL mutation `{}` at {}: no rule says it deletes or exposes anything",
                            field.name, self.view.host
                        ),
                        resource_kind: "graphql-field".into(),
                        resource_name: format!("{} at {}{}", field.name, self.view.host, self.view.path),
                        operation,
                        span: field.span,
                        via: field.via.clone(),
                        depth: 0,
                    });
                }
                None => {
                    if let Some(r) = reads.iter_mut().find(|r| {
                        r.0 == field.operation && r.1 == field.operation_name && r.3 == field.via
                    }) {
                        r.2 = r.2.cover(field.span);
                    } else {
                        reads.push((
                            field.operation,
                            field.operation_name.clone(),
                            field.span,
                            field.via.clone(),
                        ));
                    }
                }
            }
        }
        for (kind, name, span, via) in reads {
            let label = name.map_or_else(
                || kind.as_str().to_owned(),
                |n| format!("{} {n}", kind.as_str()),
            );
            self.verdicts.push(Verdict {
                rule: "http.graphql.read".into(),
                decision: Decision::Allow,
                effect: Effect::Read,
                scope: Scope::None,
                reason: format!("GraphQL {label} at {} only reads", self.view.host),
                resource_kind: "graphql-operation".into(),
                resource_name: format!("{}{}", self.view.host, self.view.path),
                operation: label,
                span,
                via,
                depth: 0,
            });
        }
    }

    fn redis(&mut self) {
        let rules: Vec<(PackKind, &Rule)> = self.applicable(RuleKind::Redis);
        if rules.is_empty() {
            return;
        }
        let mut commands: Vec<(String, Span)> = Vec::new();
        if let Some(first) = self.view.segments.first() {
            commands.push((first.clone(), self.view.parsed.request_line));
            if self.view.segments.len() > 1 + MANY_KEYS {
                commands.push((format!("{first}:many"), self.view.parsed.request_line));
            }
        }
        if self.view.json.is_some() {
            let body = self.view.parsed.body;
            let start = self.view.parsed.body_start;
            if let Some(items) = array_items(body) {
                for item in items.iter().take(self.limits.max_root_fields) {
                    let t = item.get().trim_start();
                    if t.starts_with('[')
                        && let Some(inner) = array_items(item.get())
                        && let Some(c) = inner.first().and_then(|c| json_str(body, start, c))
                    {
                        let name = c.text.to_ascii_lowercase();
                        if inner.len() > 1 + MANY_KEYS {
                            commands.push((format!("{name}:many"), c.whole));
                        }
                        commands.push((name, c.whole));
                    }
                }
                if let Some(c) = items.first().and_then(|c| json_str(body, start, c)) {
                    let name = c.text.to_ascii_lowercase();
                    // A script runs the commands it calls.
                    if matches!(name.as_str(), "eval" | "eval_ro")
                        && let Some(script) = items.get(1).and_then(|s| json_str(body, start, s))
                    {
                        let calls = script_calls(&script.text);
                        // A script that deletes in a loop, or deletes what `KEYS`/`SCAN`
                        // found, deletes by pattern: as many keys as there are.
                        let finds = calls.iter().any(|c| matches!(c.as_str(), "keys" | "scan"))
                            || script_loops(&script.text);
                        for called in calls {
                            if finds && matches!(called.as_str(), "del" | "unlink") {
                                commands.push((format!("{called}:many"), script.whole));
                            }
                            commands.push((called, script.whole));
                        }
                    }
                    if items.len() > 1 + MANY_KEYS {
                        commands.push((format!("{name}:many"), c.whole));
                    }
                    commands.push((name, c.whole));
                }
            }
        }
        for (command, span) in commands {
            let matches: Vec<_> = rules
                .iter()
                .filter(|(_, r)| any_glob(&r.redis, &command))
                .map(|(k, r)| (*k, *r, span, String::new()))
                .collect();
            if let Some((rule, span, _)) = Self::best(matches) {
                let cmd = match command.split_once(':') {
                    Some((name, _)) => format!("{} with many keys", name.to_ascii_uppercase()),
                    None => command.to_ascii_uppercase(),
                };
                let mut v = self.verdict(rule, span, format!("redis {cmd}"), &[("command", &cmd)]);
                v.resource_kind = "redis-command".into();
                self.verdicts.push(v);
            }
        }
    }

    fn sql(&mut self, registry: &Registry, is_graphql: bool) {
        let view = self.view;
        let body = view.parsed.body;
        let start = view.parsed.body_start;
        let mut found: Vec<(Located, &Rule, PackKind, &str)> = Vec::new();
        let mut rules: Vec<(PackKind, &Rule)> = self.applicable(RuleKind::Sql);
        // Provider rules first: a string both a provider and the generic rule find is the
        // provider's.
        rules.sort_by_key(|(k, _)| *k != PackKind::Provider);
        let aws = aws_operations(view);
        for (kind, rule) in rules {
            if request_matches(rule, view, &aws).is_none() {
                continue;
            }
            for path in &rule.sql {
                let mut strings = Vec::new();
                if let Some(key) = path.strip_prefix('?') {
                    // A query-string parameter: servers such as ClickHouse take SQL there.
                    strings.extend(
                        view.query
                            .iter()
                            .filter(|p| p.key.eq_ignore_ascii_case(key))
                            .map(|p| p.value.clone()),
                    );
                } else if path == "@body" {
                    if view.body_kind == BodyKind::Text {
                        strings.push(Located::verbatim(body, start));
                    }
                } else if let Some(json) = &view.json {
                    // The parsed body says whether the path is there at all before the raw
                    // text is walked for offsets.
                    if !json_has_path(json, path) {
                        continue;
                    }
                    json_strings_at(
                        body,
                        start,
                        body,
                        path,
                        &mut strings,
                        self.limits.max_sql_strings,
                    );
                } else if let Some(p) = view.form.iter().find(|p| p.key.eq_ignore_ascii_case(path))
                {
                    strings.push(p.value.clone());
                }
                for s in strings {
                    if s.text.trim().is_empty() || found.iter().any(|(f, ..)| f.whole == s.whole) {
                        continue;
                    }
                    let generic =
                        kind == PackKind::Generic || path.starts_with('?') || path == "@body";
                    if (generic || is_graphql)
                        && (graphql::looks_like_graphql(&s.text) || !looks_like_sql(&s.text))
                    {
                        continue;
                    }
                    found.push((s, rule, kind, path.as_str()));
                }
            }
        }
        if found.iter().any(|(_, _, k, _)| *k == PackKind::Provider) {
            found.retain(|(_, _, k, _)| *k == PackKind::Provider);
        }
        let describe = self.describe();
        for (sql, rule, _, path) in found.into_iter().take(self.limits.max_sql_strings) {
            // Parameters sent beside the statement are what its placeholders stand for: the
            // server runs `WHERE $1 = $1` with `[1]` as `WHERE 1 = 1`.
            let bound = view
                .json
                .as_ref()
                .and_then(|j| sibling_params(j, path))
                .and_then(|p| bind_params(&sql.text, p));
            let (text, pre) = match &bound {
                Some((t, map)) => (t.as_str(), Some(map)),
                None => (sql.text.as_str(), None),
            };
            match classify_sql(registry, text, self.ctx) {
                Some((actions, back)) => {
                    for mut a in actions {
                        let shift = |s: Span| {
                            let to_text = |x: usize| match &back {
                                Some(b) => b.get(x).copied().unwrap_or(text.len()),
                                None => x,
                            };
                            let to_sql = |x: usize| match pre {
                                Some(m) => m.get(x).copied().unwrap_or(sql.text.len()),
                                None => x,
                            };
                            let (start, end) = (to_sql(to_text(s.start)), to_sql(to_text(s.end)));
                            let (start, end) = (start.min(sql.text.len()), end.min(sql.text.len()));
                            if end <= start {
                                sql.whole
                            } else {
                                sql.span(start, end)
                            }
                        };
                        a.span = shift(a.span);
                        a.finding.span = shift(a.finding.span);
                        a.depth += 1;
                        a.via
                            .insert(0, format!("SQL in {describe} (`{}`)", rule.id));
                        a.door = self.ctx.door.clone();
                        self.nested.push(a);
                    }
                }
                None => {
                    let mut v = self.verdict(
                        rule,
                        sql.whole,
                        format!("SQL over HTTP to {}", self.view.host),
                        &[],
                    );
                    v.reason = format!(
                        "{} ({describe}); no SQL classifier is registered to judge the statement, so a human should read it",
                        v.reason
                    );
                    v.decision = v.decision.max(Decision::Ask);
                    v.resource_kind = "sql".into();
                    self.verdicts.push(v);
                }
            }
        }
    }

    /// A dry run its API honours covers the SQL the request carries too (BigQuery's `dryRun`
    /// only estimates the query). Only dry runs a pack names count here: SQL is where a made-up
    /// flag would do the most harm.
    fn dry_run_nested(&mut self) {
        if self
            .nested
            .iter()
            .all(|a| a.finding.decision == Decision::Allow)
        {
            return;
        }
        let Some((span, flag)) = dry_run(self.rules, self.view, false) else {
            return;
        };
        for a in self
            .nested
            .iter_mut()
            .filter(|a| a.finding.decision != Decision::Allow)
        {
            a.finding.reason = format!(
                "dry run (`{flag}`): the server only validates or estimates this statement (which `{}` would otherwise judge: {}) without running it",
                a.finding.rule, a.finding.decision
            );
            a.finding.rule = "http.dry-run".into();
            a.finding.decision = Decision::Allow;
            a.effect = Effect::Read;
            a.blast_radius = BlastRadius::new(Scope::None, blast_note(Scope::None));
            a.via.push(format!(
                "dry run flag at bytes {}..{}",
                span.start, span.end
            ));
        }
    }

    fn fallback(&mut self) {
        if !self.verdicts.is_empty() || !self.nested.is_empty() {
            return;
        }
        let what = self.describe();
        let unknown: Vec<&MethodSource> = self
            .view
            .methods
            .iter()
            .filter(|m| !KNOWN_METHODS.contains(&m.method.as_str()))
            .collect();
        if let Some(m) = unknown.first() {
            self.verdicts.push(Verdict::fail_closed(
                "http.method.unknown",
                format!("`{}` is not a method blastwall knows ({what}): what it would do on the server is unknown", truncate(&m.method, 40)),
                m.span,
                what,
            ));
            return;
        }
        let writes = self.view.can_write();
        let span = self.view.parsed.request_line;
        self.verdicts.push(if writes {
            Verdict {
                rule: "http.write".into(),
                decision: Decision::Allow,
                effect: Effect::Write,
                scope: Scope::Single,
                reason: format!("{what}: no rule says it deletes, overwrites or exposes anything"),
                resource_kind: "http-resource".into(),
                resource_name: format!("{}{}", self.view.host, self.view.path),
                operation: what,
                span,
                via: Vec::new(),
                depth: 0,
            }
        } else {
            Verdict {
                rule: "http.read".into(),
                decision: Decision::Allow,
                effect: Effect::Read,
                scope: Scope::None,
                reason: format!("{what} only reads"),
                resource_kind: "http-resource".into(),
                resource_name: format!("{}{}", self.view.host, self.view.path),
                operation: what,
                span,
                via: Vec::new(),
                depth: 0,
            }
        });
    }
}

const KNOWN_METHODS: &[&str] = &[
    "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "LIST",
];

/// SQL judged by the registry's SQL classifier, made tolerant of other servers' dialects: when
/// the statement does not parse and has `?` placeholders, it is judged again with them numbered
/// (`$1`), and the offsets of that text mapped back are returned; a statement that still does not
/// parse but is one plain read (ClickHouse's `SELECT … FORMAT JSON`) is judged a read.
fn classify_sql(
    registry: &Registry,
    text: &str,
    ctx: &Context,
) -> Option<(Vec<Action>, Option<Vec<usize>>)> {
    let unparseable =
        |actions: &[Action]| actions.iter().any(|a| a.finding.rule == "sql.unparseable");
    let mut actions = registry.classify(Language::Sql, text, ctx)?;
    let mut back = None;
    if unparseable(&actions)
        && let Some((numbered, map)) = number_placeholders(text)
        && let Some(again) = registry.classify(Language::Sql, &numbered, ctx)
        && !unparseable(&again)
    {
        actions = again;
        back = Some(map);
    }
    if unparseable(&actions) && is_plain_insert(text) {
        for a in actions
            .iter_mut()
            .filter(|a| a.finding.rule == "sql.unparseable")
        {
            a.effect = Effect::Write;
            a.blast_radius = BlastRadius::new(Scope::Single, blast_note(Scope::Single));
            a.finding.rule = "http.sql.insert-dialect".into();
            a.finding.decision = Decision::Allow;
            a.finding.reason = "a single `INSERT INTO … FORMAT …` (ClickHouse), its rows sent in the body: it only adds rows".into();
        }
    }
    if unparseable(&actions) && is_plain_read(text) {
        for a in actions
            .iter_mut()
            .filter(|a| a.finding.rule == "sql.unparseable")
        {
            a.effect = Effect::Read;
            a.blast_radius = BlastRadius::new(Scope::None, blast_note(Scope::None));
            a.finding.rule = "http.sql.read-dialect".into();
            a.finding.decision = Decision::Allow;
            a.finding.reason = format!(
                "a single {} statement in a dialect the SQL classifier does not parse, with no keyword that writes: it only reads",
                crate::sql::first_word(text)
            );
        }
    }
    Some((actions, back))
}

/// The parameters sent beside a statement found at a top-level member (`{"query": …,
/// "params": […]}`), when they are all plain values.
fn sibling_params<'j>(json: &'j serde_json::Value, path: &str) -> Option<&'j [serde_json::Value]> {
    if path.contains(['.', '[', '?', '@']) {
        return None;
    }
    let o = json.as_object()?;
    let params = o
        .iter()
        .find(|(k, _)| {
            matches!(
                k.to_ascii_lowercase().as_str(),
                "params" | "parameters" | "args" | "arguments" | "bindings" | "binds"
            )
        })
        .and_then(|(_, v)| v.as_array())?;
    params
        .iter()
        .all(|p| !p.is_array() && !p.is_object())
        .then_some(params.as_slice())
}

fn json_str(body: &str, start: usize, raw: &RawValue) -> Option<Located> {
    let lit = raw.get();
    Located::json_string(lit, start + offset_in(body, lit))
}

/// Is there a value at a dotted path (`args.sql`, `queries[].query`; keys in any case)? A
/// top-level array is walked as a batch.
fn json_has_path(v: &serde_json::Value, path: &str) -> bool {
    use serde_json::Value;
    match v {
        Value::Array(items) => items.iter().take(32).any(|x| json_has_path(x, path)),
        _ if path.is_empty() => v.is_string(),
        Value::Object(o) => {
            let (step, rest) = path.split_once('.').unwrap_or((path, ""));
            let key = step.trim_end_matches("[]");
            o.iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(key))
                .any(|(_, x)| json_has_path(x, rest))
        }
        _ => false,
    }
}

/// The strings at a dotted path (`requests[].stmt.sql`) in a JSON document; `[]` walks every
/// element of an array. A top-level array is walked as a batch.
fn json_strings_at(
    body: &str,
    start: usize,
    raw: &str,
    path: &str,
    out: &mut Vec<Located>,
    max: usize,
) {
    if out.len() >= max {
        return;
    }
    let t = raw.trim_start();
    if t.starts_with('[') {
        if let Some(items) = array_items(raw) {
            for item in items.iter().take(max) {
                json_strings_at(body, start, item.get(), path, out, max);
            }
        }
        return;
    }
    if path.is_empty() {
        if t.starts_with('"')
            && let Some(l) = Located::json_string(raw.trim(), start + offset_in(body, raw.trim()))
        {
            out.push(l);
        }
        return;
    }
    let (step, rest) = path.split_once('.').unwrap_or((path, ""));
    let key = step.trim_end_matches("[]");
    let Some(members) = Members::parse(raw) else {
        return;
    };
    for v in members.all_ignoring_case(key) {
        json_strings_at(body, start, v.get(), rest, out, max);
    }
}

/// Every AWS operation the request names: its `X-Amz-Target`, and each `Action=` in its query
/// string and form body. A server may read any of them, so each is judged and the strictest wins.
fn aws_operations(view: &RequestView<'_>) -> Vec<AwsOperation> {
    let mut out = Vec::new();
    if let Some((value, span)) = view.header_value("x-amz-target") {
        let value = value.trim();
        let (service, name) = value.rsplit_once('.').unwrap_or(("", value));
        out.push(AwsOperation {
            name: name.to_owned(),
            service: service.to_owned(),
            span,
        });
    }
    let actions: Vec<_> = view
        .query
        .iter()
        .chain(view.form.iter())
        .filter(|p| p.key == "action")
        .collect();
    if actions.is_empty() {
        return out;
    }
    let aws_host = view.hosts.iter().any(|h| {
        h.ends_with(".amazonaws.com") || h.ends_with(".amazonaws.com.cn") || h.ends_with(":4566")
    });
    let signed = view.param("version").is_some()
        || view.header_value("x-amz-date").is_some()
        || view
            .header_value("authorization")
            .is_some_and(|(v, _)| v.trim_start().starts_with("AWS4-"));
    if !(aws_host || signed) {
        return out;
    }
    let service = view.host.split('.').next().unwrap_or("aws").to_owned();
    for action in actions {
        out.push(AwsOperation {
            name: action.value.text.trim().to_owned(),
            service: service.clone(),
            span: action.span,
        });
    }
    out
}

/// Does an AWS operation satisfy a rule's `aws` and `no_aws` patterns?
fn aws_op_matches(rule: &Rule, op: &AwsOperation) -> bool {
    let name = op.name.to_ascii_lowercase();
    any_glob(&rule.aws, &name) && !any_glob(&rule.no_aws, &name)
}

/// Does a request rule match? Returns the span to blame and how the method was reached.
fn request_matches(
    rule: &Rule,
    view: &RequestView<'_>,
    aws: &[AwsOperation],
) -> Option<(Span, String)> {
    let mut span = view.parsed.request_line;
    let mut via = String::new();
    if !rule.methods.is_empty() {
        let m = view
            .methods
            .iter()
            .find(|m| rule.methods.iter().any(|r| r == &m.method))?;
        span = m.span;
        if let Some(v) = &m.via {
            via = format!("method {} set by the {v}", m.method);
        }
    }
    if !rule.aws.is_empty() {
        let op = aws.iter().find(|op| aws_op_matches(rule, op))?;
        span = op.span;
    }
    if !rule.paths.is_empty() && !rule.paths.iter().any(|p| p.matches(&view.segments)) {
        return None;
    }
    if rule.no_paths.iter().any(|p| p.matches(&view.segments)) {
        return None;
    }
    if !rule.query.is_empty() && !rule.query.iter().any(|q| param_matches(view, q)) {
        return None;
    }
    if rule.no_query.iter().any(|q| param_matches(view, q)) {
        return None;
    }
    if !rule.headers.is_empty() {
        let hit = view.parsed.headers.iter().find(|h| {
            let line = format!(
                "{}: {}",
                h.name.to_ascii_lowercase(),
                h.value.trim().to_ascii_lowercase()
            );
            any_glob(&rule.headers, &line)
        })?;
        span = hit.span;
    }
    if !rule.content.is_empty() && !any_glob(&rule.content, &view.content) {
        return None;
    }
    if !rule.body.is_empty() && !fields::any_leaf_matches(&rule.body, view.leaves()) {
        return None;
    }
    if !rule.unless_all.is_empty() && fields::all_leaves_match(&rule.unless_all, view.leaves()) {
        return None;
    }
    let mechanism_holds = match rule.mechanism {
        None => true,
        // Filters every row satisfies are no filter.
        Some(Mechanism::Unfiltered) => view.query.iter().all(|p| {
            NON_FILTER_PARAMS.contains(&p.key.as_str())
                || p.key.starts_with('_')
                || fields::postgrest_filter_selects_everything(&p.key, &p.value.text)
        }),
        Some(Mechanism::Unselective) => {
            let by_query = view.query.iter().any(|p| {
                matches!(
                    p.key.as_str(),
                    "q" | "query" | "filter" | "where" | "id" | "ids"
                ) && !fields::selects_everything(&serde_json::Value::String(p.value.text.clone()))
            });
            !by_query && fields::unselective(view.document())
        }
        Some(Mechanism::OpenToWorld) => view.document().is_some_and(fields::opens_to_world),
        Some(Mechanism::Emptied) => view.document().is_some_and(fields::is_emptied),
        Some(Mechanism::PostgrestEverything) => {
            let filters = postgrest_filters(view);
            !filters.is_empty()
                && filters
                    .iter()
                    .all(|p| fields::postgrest_filter_selects_everything(&p.key, &p.value.text))
        }
        Some(Mechanism::PostgrestSelective) => postgrest_filters(view)
            .iter()
            .any(|p| !fields::postgrest_filter_selects_everything(&p.key, &p.value.text)),
        Some(Mechanism::BatchDelete) => {
            let n = view.document().map_or(0, fields::batch_deletes)
                + if view.body_kind == BodyKind::Xml {
                    fields::batch_deletes_xml(view.leaves())
                } else {
                    0
                };
            n > 1
        }
    };
    if !mechanism_holds {
        return None;
    }
    Some((span, via))
}

/// The query parameters that are PostgREST row filters (`col=op.value`).
fn postgrest_filters<'v>(view: &'v RequestView<'_>) -> Vec<&'v crate::view::Param> {
    view.query
        .iter()
        .filter(|p| {
            !NON_FILTER_PARAMS.contains(&p.key.as_str())
                && fields::is_postgrest_filter(&p.value.text)
        })
        .collect()
}

/// Do a GraphQL rule's body conditions and mechanism hold for this field's arguments?
fn args_match(rule: &Rule, field: &RootField, leaves: &mut Option<Vec<Leaf>>) -> bool {
    if !rule.body.is_empty() {
        let leaves = leaves.get_or_insert_with(|| {
            let mut out = Vec::new();
            fields::json_leaves(&field.args, "", &mut out);
            out
        });
        if !fields::any_leaf_matches(&rule.body, leaves) {
            return false;
        }
    }
    match rule.mechanism {
        Some(Mechanism::Unselective | Mechanism::Unfiltered) => {
            fields::unselective(Some(&field.args))
        }
        Some(Mechanism::OpenToWorld) => fields::opens_to_world(&field.args),
        Some(Mechanism::Emptied) => fields::is_emptied(&field.args),
        Some(Mechanism::BatchDelete) => fields::batch_deletes(&field.args) > 1,
        // Query-string mechanisms say nothing about a field's arguments.
        Some(Mechanism::PostgrestEverything | Mechanism::PostgrestSelective) => false,
        None => true,
    }
}

/// Keys past which one Redis command (`DEL k1 … kN`) counts as a bulk operation: its command
/// name is also judged as `name:many`.
const MANY_KEYS: usize = 8;

/// Does a Lua script loop (`for … do`, `while … do`, `repeat`)?
fn script_loops(script: &str) -> bool {
    script
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| matches!(w, "for" | "while" | "repeat"))
}

/// The Redis commands a Lua script calls (`redis.call('FLUSHALL')`, `redis.pcall("del", k)`).
fn script_calls(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = script;
    while let Some(at) = rest.find("call(") {
        rest = &rest[at + 5..];
        let t = rest.trim_start();
        if let Some(q) = t.chars().next().filter(|c| *c == '\'' || *c == '"') {
            let name: String = t[1..].chars().take_while(|c| *c != q).collect();
            out.push(name.trim().to_ascii_lowercase());
        }
        if out.len() >= 64 {
            break;
        }
    }
    out
}

/// `key` (present) or `key=value-pattern`, against query and form parameters.
fn param_matches(view: &RequestView<'_>, cond: &str) -> bool {
    let (key, value) = match cond.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (cond, None),
    };
    view.query.iter().chain(view.form.iter()).any(|p| {
        blastwall_core::glob::matches(key, &p.key)
            && value.is_none_or(|v| {
                blastwall_core::glob::matches(v, &p.value.text.to_ascii_lowercase())
            })
    })
}

/// Is the request a dry run its API honours, and where is that said? Where a pack names the
/// dry runs an API has, only those count, with their exact names and values (Kubernetes reads
/// `dryRun=All`, not `dryrun=all`). A provider whose pack names none has none: its `dryRun=true`
/// is ignored by the server. Only an API no pack knows is taken at its word.
fn dry_run(rules: &HttpRules, view: &RequestView<'_>, loose: bool) -> Option<(Span, String)> {
    let mut known_provider = false;
    let mut known: Vec<&DryRun> = Vec::new();
    for pack in rules
        .packs
        .iter()
        .filter(|p| hosts_match(&p.hosts, &view.hosts))
    {
        if !pack.hosts.iter().any(|h| matches!(h, Pat::Any)) {
            known_provider = true;
        }
        known.extend(pack.dry_runs.iter().filter(|d| {
            (d.hosts.is_empty() || hosts_match(&d.hosts, &view.hosts))
                && (d.paths.is_empty() || d.paths.iter().any(|p| p.matches(&view.segments)))
        }));
    }
    if !known.is_empty() {
        return known.iter().find_map(|d| honoured_dry_run(d, view));
    }
    if known_provider || !loose {
        return None;
    }
    loose_dry_run(view)
}

fn honoured_dry_run(d: &DryRun, view: &RequestView<'_>) -> Option<(Span, String)> {
    if let Some(name) = &d.param
        && let Some(p) = view
            .query
            .iter()
            .chain(view.form.iter())
            .find(|p| p.raw_key == *name && d.values.contains(&p.value.text))
    {
        return Some((
            p.span,
            format!("{}={}, {}", p.raw_key, p.value.text, d.name),
        ));
    }
    let doc = view.json.as_ref()?;
    for path in &d.json {
        let mut at = Some(doc);
        for step in path.split('.') {
            at = at.and_then(|v| v.get(step));
        }
        let scalar = |v: &serde_json::Value| match v {
            serde_json::Value::Bool(b) => Some(b.to_string()),
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        // Kubernetes' `DeleteOptions` gives `dryRun` as a list: `["All"]`.
        let values: Vec<String> = match at {
            Some(serde_json::Value::Array(items)) => items.iter().filter_map(scalar).collect(),
            Some(v) => scalar(v).into_iter().collect(),
            None => Vec::new(),
        };
        if let Some(value) = values.iter().find(|v| d.values.contains(v)) {
            return Some((view.body_span(), format!("{path}: {value}, {}", d.name)));
        }
    }
    None
}

/// A dry-run flag on an API no pack knows (`?dry_run=1`, `"dryRun": true`, `X-Dry-Run: true`)
/// and where it is.
fn loose_dry_run(view: &RequestView<'_>) -> Option<(Span, String)> {
    let is_flag = |k: &str| {
        let k: String = k.chars().filter(|c| *c != '_' && *c != '-').collect();
        k.eq_ignore_ascii_case("dryrun")
    };
    let truthy = |v: &str| {
        let v = v.trim().to_ascii_lowercase();
        !matches!(v.as_str(), "" | "false" | "0" | "no" | "off" | "none")
    };
    for p in view.query.iter().chain(view.form.iter()) {
        if is_flag(&p.key) && truthy(&p.value.text) {
            return Some((p.span, view.msg[p.span.start..p.span.end].to_owned()));
        }
    }
    if let Some(serde_json::Value::Object(o)) = &view.json {
        for (k, v) in o {
            let on = match v {
                serde_json::Value::Bool(b) => *b,
                serde_json::Value::String(s) => truthy(s),
                serde_json::Value::Array(a) => !a.is_empty(),
                _ => false,
            };
            if is_flag(k) && on {
                return Some((view.body_span(), format!("{k}: {v}")));
            }
        }
    }
    for h in &view.parsed.headers {
        if is_flag(h.name.trim_start_matches("X-").trim_start_matches("x-")) && truthy(h.value) {
            return Some((h.span, format!("{}: {}", h.name, h.value)));
        }
    }
    None
}
