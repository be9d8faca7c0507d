//! SQL that PostgreSQL's parser refuses, read with sqlparser-rs's MySQL dialect (`SHOW`,
//! `DESCRIBE`, `DELETE … LIMIT`, `INSERT … ON DUPLICATE KEY`, `REPLACE INTO`, `MODIFY`,
//! `INTERVAL 1 DAY`, …) or else its SQLite dialect (`INSERT OR REPLACE`, `[name]`, `GLOB`,
//! `PRAGMA`, `ATTACH`).
//!
//! Statements are judged with the same rules as PostgreSQL's: drops, truncation, DELETE and
//! UPDATE whose WHERE reaches every row (the WHERE clause is handed to the PostgreSQL judge when
//! PostgreSQL can read it), lossy column changes, grants. A statement kind this module does not
//! know is a write. Text sqlparser cannot parse either stays `ask`. This module never runs
//! anything.

use std::ops::ControlFlow;

use pg_query::NodeEnum;
use sqlparser::ast::{
    AlterTableOperation, Expr, FromTable, GrantObjects, Grantee, GranteeName, ObjectName,
    ObjectType, Privileges, Statement, TableFactor, visit_expressions,
};
use sqlparser::ast::{SetExpr, SqliteOnConflict, TableObject, VisitMut, VisitorMut};
use sqlparser::dialect::{MySqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::judge::{Frame, Judge};
use crate::predicate::reaches_every_row;

/// Judges `sql` when the MySQL dialect parses it; `false` when it does not.
pub(crate) fn judge(judge: &mut Judge<'_>, sql: &str, f: &Frame) -> bool {
    let Ok(statements) = Parser::parse_sql(&MySqlDialect {}, sql)
        .or_else(|_| Parser::parse_sql(&SQLiteDialect {}, sql))
    else {
        return false;
    };
    if statements.is_empty() {
        return false;
    }
    for statement in &statements {
        let before = judge.hits.len();
        statement_hits(judge, statement, f);
        if judge.hits.len() == before {
            let rule = if is_read(statement) {
                "sql.read"
            } else {
                "sql.write"
            };
            judge.hit(rule, f.outer, f);
        }
        let operation = operation(statement);
        for h in &mut judge.hits[before..] {
            if h.operation.is_empty() {
                h.operation = operation.clone();
            }
        }
    }
    true
}

fn operation(statement: &Statement) -> String {
    let text = statement.to_string();
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or("").to_ascii_uppercase();
    match first.as_str() {
        "DROP" | "ALTER" | "CREATE" | "GRANT" | "REVOKE" | "SHOW" => {
            format!(
                "{first} {}",
                words.next().unwrap_or("").to_ascii_uppercase()
            )
        }
        _ => first,
    }
}

fn is_read(statement: &Statement) -> bool {
    match statement {
        Statement::Query(q) => !q.to_string().to_ascii_uppercase().contains(" INTO "),
        Statement::Explain { analyze, .. } => !analyze,
        Statement::ExplainTable { .. } | Statement::Use(_) => true,
        other => {
            let text = other.to_string().to_ascii_uppercase();
            text.starts_with("SHOW ") || text.starts_with("DESCRIBE ") || text.starts_with("DESC ")
        }
    }
}

fn statement_hits(judge: &mut Judge<'_>, statement: &Statement, f: &Frame) {
    let span = f.outer;
    match statement {
        Statement::Drop {
            object_type,
            names,
            cascade,
            temporary,
            ..
        } => {
            let targets = names
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let created = names.iter().all(|n| {
                let temp_schema = n.0.len() > 1
                    && n.0.first().is_some_and(|s| {
                        matches!(
                            s.to_string().to_ascii_lowercase().as_str(),
                            "temp" | "pg_temp"
                        )
                    });
                temp_schema || judge.was_created(&last_part(n))
            });
            let rule = match object_type {
                _ if *temporary => "sql.created-here",
                ObjectType::Table if created => "sql.created-here",
                ObjectType::Table | ObjectType::MaterializedView => "sql.drop.table",
                ObjectType::Schema | ObjectType::Database => "sql.drop.database",
                _ if *cascade => "sql.drop.cascade",
                _ => "sql.drop.object",
            };
            judge.hit(rule, span, f).target = targets;
        }
        Statement::CreateTable(c) => judge.created_here(&last_part(&c.name)),
        Statement::Pragma { name, value, .. } => {
            let value = value.as_ref().map(|v| {
                let text = v.to_string();
                text.trim_matches(['\'', '"']).to_owned()
            });
            crate::admin::pragma(judge, &last_part(name), value.as_deref(), f);
        }
        Statement::Insert(i) => {
            let table = match &i.table {
                TableObject::TableName(n) => last_part(n),
                _ => String::new(),
            };
            judge.catalog_write_named(&table, f);
            let replaces = i.replace_into || matches!(i.or, Some(SqliteOnConflict::Replace));
            if replaces && reads_whole(i.source.as_deref(), &table) {
                let h = judge.hit("sql.update.unbounded", span, f);
                h.target = table;
                h.why = "it replaces every row with one read from the whole table itself".into();
                h.operation = "REPLACE".into();
            }
        }
        Statement::Truncate(t) => {
            let targets = t
                .table_names
                .iter()
                .map(|n| n.name.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            judge.hit("sql.truncate", span, f).target = targets;
        }
        Statement::Delete(d) => {
            let tables = match &d.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            let table = tables
                .first()
                .map(|t| table_name(&t.relation))
                .unwrap_or_default();
            judge.catalog_write_named(&table, f);
            if let Some(why) = every_row(d.selection.as_ref(), &table) {
                let h = judge.hit("sql.delete.unbounded", span, f);
                h.target = table;
                h.why = why;
                h.operation = "DELETE".into();
            }
        }
        Statement::Update(u) => {
            let table = table_name(&u.table.relation);
            judge.catalog_write_named(&table, f);
            if let Some(why) = every_row(u.selection.as_ref(), &table) {
                let h = judge.hit("sql.update.unbounded", span, f);
                h.target = table;
                h.why = why;
                h.operation = "UPDATE".into();
            }
        }
        Statement::AlterTable(a) => {
            let table = a.name.to_string();
            for op in &a.operations {
                alter(judge, &table, op, f);
            }
        }
        Statement::Grant(g) => grant(judge, &g.privileges, g.objects.as_ref(), &g.grantees, f),
        Statement::Explain {
            analyze: true,
            statement,
            ..
        } => statement_hits(judge, statement, f),
        other => {
            let text = other.to_string().to_ascii_uppercase();
            if text.starts_with("SET GLOBAL ")
                || text.starts_with("SET PERSIST")
                || text.contains(" GLOBAL ")
                || text.starts_with("FLUSH TABLES WITH READ LOCK")
            {
                let h = judge.hit("sql.server.config", span, f);
                h.why = text.chars().take(60).collect();
                h.transactional = false;
            } else if text.starts_with("DROP ") {
                judge.hit("sql.drop.object", span, f).target = text
                    .split_whitespace()
                    .skip(1)
                    .take(4)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .to_ascii_lowercase();
            }
        }
    }
    server_functions(judge, statement, f);
}

fn table_name(factor: &TableFactor) -> String {
    match factor {
        TableFactor::Table { name, .. } => last_part(name),
        _ => String::new(),
    }
}

fn last_part(name: &ObjectName) -> String {
    name.0
        .last()
        .map(|p| p.to_string().trim_matches(['`', '"']).to_ascii_lowercase())
        .unwrap_or_default()
}

/// `SELECT … FROM t` with no filter: every row of `t`.
fn reads_whole(source: Option<&sqlparser::ast::Query>, table: &str) -> bool {
    let Some(q) = source else {
        return false;
    };
    let SetExpr::Select(sel) = q.body.as_ref() else {
        return false;
    };
    let [from] = sel.from.as_slice() else {
        return false;
    };
    from.joins.is_empty()
        && table_name(&from.relation) == table
        && q.limit_clause.is_none()
        && sel
            .selection
            .as_ref()
            .is_none_or(|w| every_row(Some(w), table).is_some())
}

/// MySQL's `INTERVAL 10 YEAR` written as PostgreSQL reads it (`INTERVAL '10 YEAR'`).
struct PostgresIntervals;

impl VisitorMut for PostgresIntervals {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Interval(i) = expr
            && let Some(unit) = i.leading_field.take()
        {
            let amount = i.value.to_string();
            let amount = amount.trim_matches('\'');
            *i.value = Expr::Value(
                sqlparser::ast::Value::SingleQuotedString(format!("{amount} {unit}")).into(),
            );
        }
        ControlFlow::Continue(())
    }
}

/// Why a MySQL WHERE clause reaches every row, judged by the PostgreSQL judge when PostgreSQL can
/// read the expression, else by whether it reads the row at all.
fn every_row(selection: Option<&Expr>, table: &str) -> Option<String> {
    let Some(expr) = selection else {
        return Some("there is no WHERE clause".into());
    };
    let mut expr = expr.clone();
    let _ = expr.visit(&mut PostgresIntervals);
    let expr = &expr;
    let text = format!("SELECT 1 WHERE {expr}");
    if let Ok(parsed) = pg_query::parse(&text.replace('`', "\""), 0)
        && let Some(NodeEnum::SelectStmt(s)) = parsed
            .protobuf
            .stmts
            .first()
            .and_then(|r| r.stmt.as_ref())
            .and_then(|n| n.node.as_ref())
    {
        let target = crate::predicate::Target {
            table: table.to_owned(),
            ..Default::default()
        };
        return reaches_every_row(s.where_clause.as_deref(), &target);
    }
    let mut reads_row = false;
    let _ = visit_expressions(expr, |e| {
        if matches!(
            e,
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Subquery(_)
        ) {
            reads_row = true;
            return ControlFlow::Break(());
        }
        ControlFlow::<()>::Continue(())
    });
    (!reads_row).then(|| "its WHERE clause does not depend on the row".into())
}

fn alter(judge: &mut Judge<'_>, table: &str, op: &AlterTableOperation, f: &Frame) {
    let span = f.outer;
    match op {
        AlterTableOperation::DropColumn { column_names, .. } => {
            for c in column_names {
                judge.hit("sql.drop.column", span, f).target = format!("{table}.{c}");
            }
        }
        AlterTableOperation::DropConstraint { name, .. } => {
            judge.hit("sql.drop.constraint", span, f).target = format!("{name} on {table}");
        }
        AlterTableOperation::DropPrimaryKey { .. } | AlterTableOperation::DropForeignKey { .. } => {
            judge.hit("sql.drop.constraint", span, f).target = format!("a key of {table}");
        }
        AlterTableOperation::DropIndex { name } => {
            judge.hit("sql.drop.object", span, f).target = format!("index {name} on {table}");
        }
        AlterTableOperation::DropPartitions { .. } => {
            judge.hit("sql.drop.table", span, f).target = format!("partitions of {table}");
        }
        AlterTableOperation::ModifyColumn {
            col_name,
            data_type,
            ..
        } if lossy(&data_type.to_string()) => {
            judge.hit("sql.alter.lossy-type", span, f).target = format!("{table}.{col_name}");
        }
        AlterTableOperation::ChangeColumn {
            old_name,
            new_name,
            data_type,
            ..
        } => {
            if lossy(&data_type.to_string()) {
                judge.hit("sql.alter.lossy-type", span, f).target = format!("{table}.{old_name}");
            }
            if old_name.value != new_name.value {
                judge.hit("sql.rename", span, f).target =
                    format!("the column `{table}.{old_name}` to `{new_name}`");
            }
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
            judge.hit("sql.rename", span, f).target =
                format!("the column `{table}.{old_column_name}` to `{new_column_name}`");
        }
        AlterTableOperation::RenameTable { table_name } => {
            judge.hit("sql.rename", span, f).target = format!("`{table}` to `{table_name}`");
        }
        other => {
            // Table options such as `ENGINE=BLACKHOLE` (every row written is discarded) or
            // `DISCARD TABLESPACE` (the data file is deleted).
            let text = other.to_string().to_ascii_uppercase();
            if text.contains("BLACKHOLE") || text.contains("DISCARD TABLESPACE") {
                let h = judge.hit("sql.truncate", span, f);
                h.target = table.to_owned();
            }
        }
    }
}

/// Target types a column can take without losing values, whatever it held before.
fn lossy(data_type: &str) -> bool {
    let t = data_type.to_ascii_uppercase();
    let base = t.split(['(', ' ']).next().unwrap_or("");
    let widening = matches!(
        base,
        "TEXT"
            | "MEDIUMTEXT"
            | "LONGTEXT"
            | "BIGINT"
            | "DOUBLE"
            | "JSON"
            | "LONGBLOB"
            | "MEDIUMBLOB"
    );
    let wide_decimal = matches!(base, "DECIMAL" | "NUMERIC")
        && t.split(['(', ',', ')'])
            .nth(1)
            .and_then(|p| p.trim().parse::<u32>().ok())
            .is_some_and(|p| p >= 12);
    !(widening || wide_decimal)
}

fn grant(
    judge: &mut Judge<'_>,
    privileges: &Privileges,
    objects: Option<&GrantObjects>,
    grantees: &[Grantee],
    f: &Frame,
) {
    let public = grantees.iter().any(|g| {
        matches!(&g.name, Some(GranteeName::ObjectName(n)) if n.to_string().eq_ignore_ascii_case("public"))
            || g.to_string().to_ascii_uppercase().starts_with("PUBLIC")
    });
    if public {
        judge.hit("sql.security.public-grant", f.outer, f);
        return;
    }
    let everything = matches!(privileges, Privileges::All { .. })
        && objects.is_some_and(|o| o.to_string().contains("*.*"));
    if everything {
        let who = grantees
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let h = judge.hit("sql.security.escalation", f.outer, f);
        h.target = who;
        h.why = "ALL PRIVILEGES on every database".into();
    }
}

/// Server functions called anywhere in the statement (`LOAD_FILE('/etc/shadow')`).
fn server_functions(judge: &mut Judge<'_>, statement: &Statement, f: &Frame) {
    let mut calls = Vec::new();
    let _ = visit_expressions(statement, |e| {
        if let Expr::Function(func) = e {
            calls.push(last_part(&func.name));
        }
        ControlFlow::<()>::Continue(())
    });
    for name in calls {
        if let Some(rule) = crate::rules::table().function(&name)
            && rule.when.is_none()
        {
            let id = crate::judge::static_rule(&rule.rule);
            let h = judge.hit(id, f.outer, f);
            h.why = format!("{name}()");
            h.transactional = false;
        }
    }
    let text = statement.to_string().to_ascii_uppercase();
    if text.contains(" INTO OUTFILE ") || text.contains(" INTO DUMPFILE ") {
        let h = judge.hit("sql.server.file-write", f.outer, f);
        h.why = "SELECT … INTO OUTFILE".into();
        h.transactional = false;
    }
}
