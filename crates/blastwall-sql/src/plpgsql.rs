//! PL/pgSQL bodies (`DO $$ … $$`) and SQL built at run time (`EXECUTE 'DROP TABLE ' || t`).
//!
//! A body is parsed with PostgreSQL's own PL/pgSQL parser; every statement it runs is judged as
//! SQL. A dynamic statement is judged by its skeleton: the literal text with every run-time part
//! replaced by a placeholder (`'DROP TABLE ' || quote_ident(t)` → `DROP TABLE x`,
//! `format('DELETE FROM %I', t)` → `DELETE FROM x`). When no skeleton can be built, the statement
//! is unknown and goes to a human. This module never runs anything.

use blastwall_core::Span;
use pg_query::NodeEnum;
use pg_query::protobuf::a_const::Val;
use serde_json::Value;

use crate::judge::{Judge, const_text, looks_like_sql, string_of};

/// Most JSON nodes of one body walked; beyond it the body is judged unknown.
const MAX_NODES: usize = 20_000;

/// A dollar-quote tag (`$blastwall$`, `$blastwallx$`, …) that does not occur in `body`, so the
/// body can be quoted with it unchanged.
fn unused_dollar_tag(body: &str) -> String {
    let mut tag = "$blastwall$".to_owned();
    while body.contains(&tag) {
        tag.insert(tag.len() - 1, 'x');
    }
    tag
}

pub(crate) fn judge_body(
    judge: &mut Judge<'_>,
    body: &str,
    span: Span,
    depth: usize,
    via: &[String],
) {
    let tag = unused_dollar_tag(body);
    let wrapped =
        format!("CREATE FUNCTION blastwall_do() RETURNS void LANGUAGE plpgsql AS {tag}{body}{tag}");
    judge_source(judge, &wrapped, "the DO block", span, depth, via);
}

/// Judges the body of a trigger function. Its body runs as a block nested in one that declares
/// what PostgreSQL gives a trigger (`NEW`, `OLD`, `TG_OP`, …): the parser's output for a function
/// that returns `trigger` is not readable.
pub(crate) fn judge_trigger_body(
    judge: &mut Judge<'_>,
    body: &str,
    span: Span,
    depth: usize,
    via: &[String],
) {
    let tag = unused_dollar_tag(body);
    let inner = body.trim().trim_end_matches(';');
    let wrapped = format!(
        "CREATE FUNCTION blastwall_trigger() RETURNS record LANGUAGE plpgsql AS {tag}\
         DECLARE new record; old record; tg_op text; tg_name text; tg_when text; tg_level text; \
         tg_table_name text; tg_table_schema text; tg_relname text; tg_relid oid; tg_nargs int; \
         tg_argv text[]; tg_event text; tg_tag text;\n\
         BEGIN\n{inner};\nEND {tag}"
    );
    judge_source(
        judge,
        &wrapped,
        "the trigger function body",
        span,
        depth,
        via,
    );
}

/// Judges the body of a PL/pgSQL function from its whole `CREATE FUNCTION` statement.
pub(crate) fn judge_function(
    judge: &mut Judge<'_>,
    definition: &str,
    span: Span,
    depth: usize,
    via: &[String],
) {
    judge_source(judge, definition, "the function body", span, depth, via);
}

fn judge_source(
    judge: &mut Judge<'_>,
    wrapped: &str,
    what: &str,
    span: Span,
    depth: usize,
    via: &[String],
) {
    let tree = match pg_query::parse_plpgsql(wrapped) {
        Ok(t) => t,
        Err(e) => {
            judge.unknown("sql.unparseable", format!("{what}: {e}"), span, via);
            return;
        }
    };
    let mut budget = MAX_NODES;
    let mut walker = Walker {
        judge,
        span,
        depth,
        via,
    };
    walker.value(&tree, &mut budget);
    if budget == 0 {
        walker.judge.unknown(
            "sql.too-large",
            format!("{what} is too large to read"),
            span,
            via,
        );
    }
}

struct Walker<'j, 'a> {
    judge: &'j mut Judge<'a>,
    span: Span,
    depth: usize,
    via: &'j [String],
}

fn expr_query(v: &Value) -> Option<&str> {
    v.get("PLpgSQL_expr")?.get("query")?.as_str()
}

impl Walker<'_, '_> {
    fn value(&mut self, v: &Value, budget: &mut usize) {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        match v {
            Value::Array(items) => items.iter().for_each(|i| self.value(i, budget)),
            Value::Object(map) => {
                for (key, inner) in map {
                    match key.as_str() {
                        "PLpgSQL_stmt_execsql" => {
                            if let Some(q) = inner.get("sqlstmt").and_then(expr_query) {
                                self.judge.nested(q, self.span, self.depth, self.via);
                            }
                        }
                        "PLpgSQL_stmt_dynexecute" | "PLpgSQL_stmt_dynfors" => {
                            if let Some(q) = inner.get("query").and_then(expr_query) {
                                self.dynamic(q);
                            }
                            if let Some(params) = inner.get("params") {
                                self.value(params, budget);
                            }
                        }
                        "PLpgSQL_stmt_open" | "PLpgSQL_stmt_return_query"
                            if inner.get("dynquery").is_some() =>
                        {
                            if let Some(q) = inner.get("dynquery").and_then(expr_query) {
                                self.dynamic(q);
                            }
                        }
                        "PLpgSQL_expr" => {
                            if let Some(q) = inner.get("query").and_then(Value::as_str) {
                                self.expression(q);
                            }
                        }
                        _ => self.value(inner, budget),
                    }
                }
            }
            _ => {}
        }
    }

    /// An expression or statement text held by a PL/pgSQL construct (`PERFORM f()`,
    /// `x := dblink_exec(…)`, `IF …`): judged for what it calls; plain reads add nothing.
    fn expression(&mut self, text: &str) {
        let text = match text.split_once(":=") {
            Some((_, rhs)) => rhs,
            None => text,
        };
        let trimmed = text.trim_start();
        let sql = if let Some(rest) = strip_keyword(trimmed, "perform") {
            format!("SELECT {rest}")
        } else if looks_like_sql(trimmed) {
            trimmed.to_owned()
        } else {
            format!("SELECT {trimmed}")
        };
        let before = self.judge.hits.len();
        self.judge.nested(&sql, self.span, self.depth, self.via);
        let mut i = before;
        while i < self.judge.hits.len() {
            if matches!(self.judge.hits[i].rule, "sql.read" | "sql.unparseable") {
                self.judge.hits.remove(i);
            } else {
                i += 1;
            }
        }
    }

    fn dynamic(&mut self, expr: &str) {
        let shape = pg_query::parse(&format!("SELECT {expr}"), 0)
            .ok()
            .and_then(|p| {
                let stmt = p.protobuf.stmts.first()?.stmt.as_ref()?.node.clone()?;
                match stmt {
                    NodeEnum::SelectStmt(s) => match s.target_list.first()?.node.as_ref()? {
                        NodeEnum::ResTarget(r) => skeleton(r.val.as_ref()?, 0),
                        _ => None,
                    },
                    _ => None,
                }
            });
        let via: Vec<String> = self
            .via
            .iter()
            .cloned()
            .chain(["EXECUTE".to_owned()])
            .collect();
        match shape {
            Some(sql) if looks_like_sql(&sql) => {
                let before = self.judge.hits.len();
                self.judge.nested(&sql, self.span, self.depth, &via);
                for h in &mut self.judge.hits[before..] {
                    if h.rule == "sql.unparseable" {
                        h.rule = "sql.dynamic";
                        h.why = format!("EXECUTE {}", abbreviate(expr));
                    }
                }
                crate::judge::name_runtime_targets(&mut self.judge.hits[before..]);
            }
            _ => self.judge.unknown(
                "sql.dynamic",
                format!("EXECUTE {}", abbreviate(expr)),
                self.span,
                &via,
            ),
        }
    }
}

fn strip_keyword<'t>(text: &'t str, keyword: &str) -> Option<&'t str> {
    let head = text.get(..keyword.len())?;
    (head.eq_ignore_ascii_case(keyword)
        && text[keyword.len()..].starts_with(|c: char| c.is_whitespace()))
    .then(|| &text[keyword.len()..])
}

fn abbreviate(text: &str) -> String {
    let t: String = text.chars().take(80).collect();
    if t.len() < text.len() {
        format!("{t}…")
    } else {
        t
    }
}

const MAX_DEPTH: usize = 32;
/// Stands for a part only known at run time: an identifier wherever one fits.
pub(crate) const PLACEHOLDER: &str = "x";

/// The literal skeleton of a string expression, or `None` when it holds no literal text at all.
pub(crate) fn skeleton(node: &pg_query::Node, depth: usize) -> Option<String> {
    let (text, literal) = piece(node, depth);
    literal.then_some(text)
}

/// The text of one piece and whether any of it is literal.
fn piece(node: &pg_query::Node, depth: usize) -> (String, bool) {
    if depth > MAX_DEPTH {
        return (PLACEHOLDER.into(), false);
    }
    match node.node.as_ref() {
        Some(NodeEnum::AConst(c)) => match c.val.as_ref() {
            Some(Val::Sval(s)) => (s.sval.clone(), true),
            _ => (
                const_text(node).unwrap_or_else(|| PLACEHOLDER.into()),
                false,
            ),
        },
        Some(NodeEnum::TypeCast(t)) => match t.arg.as_deref() {
            Some(a) => piece(a, depth + 1),
            None => (PLACEHOLDER.into(), false),
        },
        Some(NodeEnum::AExpr(e)) if e.name.last().and_then(string_of).as_deref() == Some("||") => {
            let (l, la) = e
                .lexpr
                .as_deref()
                .map_or((String::new(), false), |n| piece(n, depth + 1));
            let (r, ra) = e
                .rexpr
                .as_deref()
                .map_or((String::new(), false), |n| piece(n, depth + 1));
            (format!("{l}{r}"), la || ra)
        }
        Some(NodeEnum::FuncCall(f)) => {
            let name = f
                .funcname
                .last()
                .and_then(string_of)
                .unwrap_or_default()
                .to_ascii_lowercase();
            match name.as_str() {
                "format" => match f.args.first().and_then(const_text) {
                    Some(fmt) => (fill_format(&fmt), true),
                    None => (PLACEHOLDER.into(), false),
                },
                "concat" => join(&f.args, "", depth),
                "concat_ws" => {
                    let sep = f.args.first().and_then(const_text).unwrap_or_default();
                    join(f.args.get(1..).unwrap_or(&[]), &sep, depth)
                }
                "quote_literal" | "quote_nullable" => ("'x'".into(), false),
                "lower" | "upper" | "trim" | "btrim" => match f.args.first() {
                    Some(a) => piece(a, depth + 1),
                    None => (PLACEHOLDER.into(), false),
                },
                _ => (PLACEHOLDER.into(), false),
            }
        }
        _ => (PLACEHOLDER.into(), false),
    }
}

fn join(args: &[pg_query::Node], sep: &str, depth: usize) -> (String, bool) {
    let pieces: Vec<(String, bool)> = args.iter().map(|a| piece(a, depth + 1)).collect();
    let literal = pieces.iter().any(|(_, l)| *l);
    let text = pieces
        .into_iter()
        .map(|(t, _)| t)
        .collect::<Vec<_>>()
        .join(sep);
    (text, literal)
}

/// `format('DROP TABLE %I.%I', s, t)` → `DROP TABLE x.x`; `%L` becomes a literal.
fn fill_format(fmt: &str) -> String {
    let mut out = String::with_capacity(fmt.len());
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        // Skip position (`1$`), flags and width.
        let mut spec = String::new();
        while let Some(&n) = chars.peek() {
            chars.next();
            if n.is_ascii_alphabetic() || n == '%' {
                spec.push(n);
                break;
            }
        }
        match spec.as_str() {
            "%" => out.push('%'),
            "L" => out.push_str("'x'"),
            _ => out.push_str(PLACEHOLDER),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(expr: &str) -> Option<String> {
        let p = pg_query::parse(&format!("SELECT {expr}"), 0).unwrap();
        let stmt = p.protobuf.stmts[0]
            .stmt
            .as_ref()
            .unwrap()
            .node
            .clone()
            .unwrap();
        let NodeEnum::SelectStmt(s) = stmt else {
            panic!()
        };
        let Some(NodeEnum::ResTarget(r)) = s.target_list[0].node.as_ref() else {
            panic!()
        };
        skeleton(r.val.as_ref().unwrap(), 0)
    }

    #[test]
    fn skeletons_keep_the_literal_text() {
        assert_eq!(
            shape("'DROP TABLE ' || quote_ident(t)").as_deref(),
            Some("DROP TABLE x")
        );
        assert_eq!(
            shape("format('DELETE FROM %I.%I WHERE id = %L', s, t, v)").as_deref(),
            Some("DELETE FROM x.x WHERE id = 'x'")
        );
        assert_eq!(
            shape("concat('TRUNCATE ', t)").as_deref(),
            Some("TRUNCATE x")
        );
        assert_eq!(shape("cmd"), None);
    }
}
