//! The SQL classifier: SQL text in, one [`Action`] per thing a statement does out.
//!
//! Parsing uses PostgreSQL's own parser (`pg_query`, libpg_query), including its PL/pgSQL
//! parser for `DO` blocks; no regular expression over the raw string decides anything, so
//! comments, string literals and identifiers such as `deleted_at` or `"drop"` never trigger.
//! The classifier sees through psql meta-commands (`\! cmd` goes to the shell classifier,
//! `\gexec` and `\i file` are judged as what they run), MySQL executable comments and
//! backtick-quoted identifiers, data-modifying CTEs, `EXPLAIN ANALYZE`, `PREPARE`/`EXECUTE`,
//! dynamic SQL (`EXECUTE`, `dblink_exec`) and transactions that the same input rolls back.
//! Function bodies and rule actions are judged when they are created, as if they ran. Text
//! PostgreSQL refuses is read as MySQL or SQLite (sqlparser-rs), statement by statement when it
//! mixes them, and SQLite's `PRAGMA` and MySQL's table maintenance by their tokens.
//! What each finding means (effect, decision, reason) is data: `rules.toml`.
//!
//! Fail closed: SQL that cannot be parsed, is too large, or is only built when it runs becomes an
//! `ask` action with a reason saying so. This crate never connects to a database and never does
//! I/O.

mod admin;
mod judge;
mod mysql;
mod plpgsql;
mod predicate;
mod prepare;
mod rules;

use blastwall_core::{
    Action, BlastRadius, Classifier, Context, Decision, Effect, Finding, Language, Registry,
    Resource, Scope, Span,
};

/// Largest SQL text judged; a larger one is `ask` with the bound named.
pub const MAX_INPUT: usize = 1024 * 1024;

/// The SQL classifier (PostgreSQL first; MySQL and SQLite syntax PostgreSQL refuses is read too).
#[derive(Debug, Default, Clone, Copy)]
pub struct SqlClassifier;

impl SqlClassifier {
    pub fn new() -> Self {
        SqlClassifier
    }

    /// Every rule id this classifier can emit, with its effect and decision.
    pub fn rules() -> Vec<(String, Effect, Decision)> {
        let t = rules::table();
        let mut v: Vec<_> = t
            .ids()
            .map(|id| {
                let r = t.rule(id);
                (r.id.clone(), r.effect, r.decision)
            })
            .collect();
        v.sort();
        v
    }
}

impl Classifier for SqlClassifier {
    fn language(&self) -> Language {
        Language::Sql
    }

    fn classify(&self, input: &str, ctx: &Context, registry: &Registry) -> Vec<Action> {
        if input.len() > MAX_INPUT {
            return vec![refusal(
                input,
                ctx,
                "sql.too-large",
                &format!("it is {} bytes; the bound is {MAX_INPUT}", input.len()),
            )];
        }
        if input.trim().is_empty() {
            return vec![refusal(input, ctx, "sql.unparseable", "it is empty")];
        }
        let run = std::panic::AssertUnwindSafe(|| {
            let mut judge = judge::Judge::new(input, ctx, registry);
            judge.run();
            judge::to_actions(judge, input, ctx)
        });
        std::panic::catch_unwind(run)
            .unwrap_or_else(|_| vec![refusal(input, ctx, "sql.internal-error", "")])
    }
}

/// One fail-closed action covering the whole input.
fn refusal(input: &str, ctx: &Context, id: &str, why: &str) -> Action {
    let rule = rules::table().rule(id);
    let span = Span::new(0, input.len());
    Action {
        principal: ctx.principal.clone(),
        environment: ctx.environments.resolve(std::iter::empty()).0,
        door: ctx.door.clone(),
        language: Language::Sql,
        operation: "unknown".into(),
        resource: Resource {
            kind: "database-object".into(),
            name: "unknown".into(),
        },
        effect: rule.effect,
        blast_radius: BlastRadius::new(Scope::Unknown, "cannot be estimated"),
        raw: input.chars().take(512).collect(),
        span,
        depth: 0,
        via: Vec::new(),
        finding: Finding {
            rule: rule.id.clone(),
            decision: rule.decision,
            reason: rule.reason.replace("{why}", why).replace("{target}", "it"),
            span,
        },
    }
}
