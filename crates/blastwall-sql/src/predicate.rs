//! Does a WHERE clause select rows, or does it match them all?
//!
//! A DELETE or UPDATE is judged by its WHERE clause. The question asked of every part of it is
//! whether it can exclude a row. Parts that cannot: no clause, one that is always true (`1=1`,
//! `id = id`, `$1 = $1`, `(SELECT true)`, `EXISTS (SELECT 1)`), one true for every value a column
//! can hold (`col IS NOT NULL`, `IS DISTINCT FROM NULL`, `LIKE '%'`, `~ '.*'`, `id > 0`, a date
//! range that starts before 1970 or ends after 2100, `created_at <= now()`, a BETWEEN over the
//! whole type), one that reads the whole table it writes (`id IN (SELECT id FROM t)`, `EXISTS`
//! correlated on the row itself) or the whole table a foreign key points at
//! (`customer_id IN (SELECT id FROM customers)`, `USING accounts WHERE account_id =
//! accounts.id`). Anything else (a key, a bounded range, a literal that restricts, a join to rows
//! listed elsewhere) is taken as selective. This module only reads expression trees.

use pg_query::NodeEnum;
use pg_query::protobuf::{self, a_const::Val};

/// The statement a WHERE clause belongs to: what it writes and what it may join.
#[derive(Default)]
pub struct Target<'n> {
    /// The table written, lower case (a subquery over it with no filter selects every row).
    pub table: String,
    /// Its alias, lower case, when it has one.
    pub alias: Option<String>,
    /// The `WITH` queries in scope, by name.
    pub ctes: Vec<(String, &'n NodeEnum)>,
    /// Columns an UPDATE sets.
    pub assigned: Vec<String>,
    /// Tables joined whole (`USING t`, `FROM t`): (name it is referred to by, table name).
    pub joined: Vec<(String, String)>,
}

impl Target<'_> {
    /// Whether a column reference names the written table (or is unqualified).
    fn is_own(&self, qualifier: Option<&str>) -> bool {
        match qualifier {
            None => true,
            Some(q) => q == self.table || self.alias.as_deref() == Some(q),
        }
    }

    fn joined_table(&self, qualifier: &str) -> Option<&str> {
        self.joined
            .iter()
            .find(|(name, _)| name == qualifier)
            .map(|(_, table)| table.as_str())
    }
}

/// `None` when the clause selects rows; otherwise why it reaches every row.
pub fn reaches_every_row(clause: Option<&pg_query::Node>, t: &Target<'_>) -> Option<String> {
    let Some(node) = clause.and_then(|n| n.node.as_ref()) else {
        return Some("there is no WHERE clause".into());
    };
    if always_true(node, 0) {
        return Some("its WHERE clause is always true".into());
    }
    if value(node, 0).is_some() {
        // A constant that is not true selects nothing.
        return None;
    }
    if !depends_on_the_row(node) {
        return Some(
            "its WHERE clause does not depend on the row, so it is the same for every row".into(),
        );
    }
    if let Some(why) = covers(node, t, 0) {
        return Some(format!("its WHERE clause {why}"));
    }
    if let Some(why) = unset_marker(node, t) {
        return Some(format!("its WHERE clause {why}"));
    }
    if let Some(why) = join_on_foreign_key(node, t) {
        return Some(format!("its WHERE clause {why}"));
    }
    None
}

/// Why `node` is true for every row that has values, or `None` when it can exclude rows.
fn covers(node: &NodeEnum, t: &Target<'_>, depth: usize) -> Option<String> {
    if depth > MAX_DEPTH {
        return None;
    }
    if always_true(node, depth) {
        return Some("is always true".into());
    }
    match node {
        NodeEnum::BoolExpr(b) => {
            let args: Vec<&NodeEnum> = b.args.iter().filter_map(|a| a.node.as_ref()).collect();
            match protobuf::BoolExprType::try_from(b.boolop) {
                Ok(protobuf::BoolExprType::OrExpr) => {
                    if let Some(why) = args.iter().find_map(|a| covers(a, t, depth + 1)) {
                        return Some(why);
                    }
                    complementary(&args)
                }
                Ok(protobuf::BoolExprType::AndExpr) => {
                    let whys: Vec<String> = args
                        .iter()
                        .map(|a| covers(a, t, depth + 1))
                        .collect::<Option<_>>()?;
                    whys.into_iter().next()
                }
                Ok(protobuf::BoolExprType::NotExpr) => match args.as_slice() {
                    [NodeEnum::NullTest(n)]
                        if n.nulltesttype == protobuf::NullTestType::IsNull as i32
                            && is_column(n.arg.as_deref()) =>
                    {
                        Some("matches every row that has a value".into())
                    }
                    [NodeEnum::SubLink(s)] => excludes_no_key(s),
                    _ => None,
                },
                _ => None,
            }
        }
        NodeEnum::NullTest(n)
            if n.nulltesttype == protobuf::NullTestType::IsNotNull as i32
                && is_column(n.arg.as_deref()) =>
        {
            Some("matches every row that has a value".into())
        }
        NodeEnum::AExpr(e) => a_expr_covers(e, t, depth),
        NodeEnum::SubLink(s) => sublink_covers(s, t, depth),
        _ => None,
    }
}

fn a_expr_covers(e: &protobuf::AExpr, t: &Target<'_>, depth: usize) -> Option<String> {
    use protobuf::AExprKind::*;
    let l = e.lexpr.as_ref().and_then(|n| n.node.as_ref());
    let r = e.rexpr.as_ref().and_then(|n| n.node.as_ref());
    let every_value = || Some("matches every row that has a value".to_owned());
    match protobuf::AExprKind::try_from(e.kind).ok()? {
        AexprDistinct => {
            let (l, r) = (l?, r?);
            let null = |n: &NodeEnum| value(n, 0) == Some(Const::Null);
            ((null(r) && column_name(l).is_some()) || (null(l) && column_name(r).is_some()))
                .then(every_value)?
        }
        AexprLike | AexprIlike => {
            let positive = matches!(operator(&e.name), Some("~~" | "~~*"));
            let pattern = r.and_then(|r| value(r, 0));
            (positive
                && matches!(pattern, Some(Const::Str(p)) if !p.is_empty() && p.chars().all(|c| c == '%')))
            .then(every_value)?
        }
        AexprSimilar => {
            let pattern = match r? {
                NodeEnum::FuncCall(f) => f.args.first().and_then(|a| value(a.node.as_ref()?, 0)),
                other => value(other, 0),
            };
            (operator(&e.name) == Some("~")
                && matches!(pattern, Some(Const::Str(p)) if !p.is_empty() && p.chars().all(|c| c == '%')))
            .then(every_value)?
        }
        AexprBetween | AexprBetweenSym => {
            let col = column_name(l?)?;
            let NodeEnum::List(bounds) = r? else {
                return None;
            };
            let [lo, hi] = bounds.items.as_slice() else {
                return None;
            };
            let (lo, hi) = (lo.node.as_ref()?, hi.node.as_ref()?);
            let (lo_c, hi_c) = (bound(lo), bound(hi));
            let low_open = lo_c.as_ref().is_some_and(|c| range_covers(&col, ">=", c));
            let high_open = hi_c.as_ref().is_some_and(|c| range_covers(&col, "<=", c));
            (low_open && high_open)
                .then(|| format!("takes a range of `{col}` that holds every value it can have"))
        }
        AexprIn if operator(&e.name) == Some("<>") => {
            let col = column_name(l?)?;
            let NodeEnum::List(items) = r? else {
                return None;
            };
            let values: Option<Vec<Const>> = items
                .items
                .iter()
                .map(|i| value(i.node.as_ref()?, 0))
                .collect();
            impossible_keys(&col, &values?)
        }
        AexprOp => {
            let op = operator(&e.name)?;
            let (l, r) = (l?, r?);
            if matches!(op, "~" | "~*") && column_name(l).is_some() {
                let pattern = value(r, 0);
                return matches!(pattern, Some(Const::Str(p)) if regex_matches_all(&p))
                    .then(every_value)?;
            }
            let (col, op, bound) = oriented(l, op, r)?;
            range_covers(&col, &op, &bound)
                .then(|| format!("compares `{col}` with a bound that every value passes"))
        }
        AexprOpAny => all_of_the_same_table(r?, t, depth)
            .then(|| format!("selects from `{}` itself without a filter", t.table)),
        _ => None,
    }
}

fn sublink_covers(s: &protobuf::SubLink, t: &Target<'_>, depth: usize) -> Option<String> {
    use protobuf::SubLinkType::*;
    match protobuf::SubLinkType::try_from(s.sub_link_type).ok()? {
        AnySublink => {
            let select = s.subselect.as_ref().and_then(|n| n.node.as_ref())?;
            if all_of_the_same_table(select, t, depth) {
                return Some(format!(
                    "selects from `{}` itself without a filter",
                    t.table
                ));
            }
            let column = s
                .testexpr
                .as_ref()
                .and_then(|n| n.node.as_ref())
                .and_then(column_name)?;
            let referenced = whole_table_keys(select)?;
            foreign_key(&column).then(|| {
                format!(
                    "matches `{column}` against every key of `{referenced}`: every row that refers to one matches"
                )
            })
        }
        ExistsSublink => correlated_on_itself(s, t).then(|| {
            format!(
                "asks whether each row of `{}` exists in `{}`, which every row does",
                t.table, t.table
            )
        }),
        _ => None,
    }
}

/// `col <> c OR col IS NULL` (every row but those equal to `c`); `x >= 5 OR x < 5`.
fn complementary(args: &[&NodeEnum]) -> Option<String> {
    let cmps: Vec<_> = args.iter().filter_map(|a| comparison(a)).collect();
    let pair = |a: &str, b: &str| {
        matches!(
            (a, b),
            (">=", "<")
                | ("<", ">=")
                | (">", "<=")
                | ("<=", ">")
                | ("=", "<>")
                | ("<>", "=")
                | ("=", "!=")
                | ("!=", "=")
        )
    };
    let opposite = cmps.iter().enumerate().any(|(i, (ca, oa, va))| {
        cmps[i + 1..]
            .iter()
            .any(|(cb, ob, vb)| ca == cb && va == vb && pair(oa, ob))
    });
    if opposite {
        return Some("compares one column both ways, which every value passes".into());
    }
    let nulls: Vec<String> = args
        .iter()
        .filter_map(|a| match a {
            NodeEnum::NullTest(n) if n.nulltesttype == protobuf::NullTestType::IsNull as i32 => {
                column_name(n.arg.as_ref()?.node.as_ref()?)
            }
            _ => None,
        })
        .collect();
    cmps.iter()
        .find(|(col, op, _)| matches!(op.as_str(), "<>" | "!=") && nulls.contains(col))
        .map(|(col, _, c)| {
            format!(
                "matches every row except those whose `{col}` is {}",
                c.shown()
            )
        })
}

/// `id NOT IN (SELECT -1)`: a NOT IN over constants that no key has.
fn excludes_no_key(s: &protobuf::SubLink) -> Option<String> {
    if s.sub_link_type != protobuf::SubLinkType::AnySublink as i32 {
        return None;
    }
    let col = column_name(s.testexpr.as_ref()?.node.as_ref()?)?;
    let Some(NodeEnum::SelectStmt(sel)) = s.subselect.as_ref().and_then(|n| n.node.as_ref()) else {
        return None;
    };
    let values: Vec<Const> = if !sel.values_lists.is_empty() {
        sel.values_lists
            .iter()
            .map(|row| match row.node.as_ref()? {
                NodeEnum::List(l) => match l.items.as_slice() {
                    [one] => value(one.node.as_ref()?, 0),
                    _ => None,
                },
                _ => None,
            })
            .collect::<Option<_>>()?
    } else {
        if !sel.from_clause.is_empty() || sel.where_clause.is_some() {
            return None;
        }
        let [target] = sel.target_list.as_slice() else {
            return None;
        };
        let Some(NodeEnum::ResTarget(r)) = target.node.as_ref() else {
            return None;
        };
        vec![value(r.val.as_ref()?.node.as_ref()?, 0)?]
    };
    impossible_keys(&col, &values)
}

fn impossible_keys(col: &str, values: &[Const]) -> Option<String> {
    (is_key(col)
        && !values.is_empty()
        && values
            .iter()
            .all(|v| v == &Const::Null || v.as_num().is_some_and(|n| n <= 0.0)))
    .then(|| format!("excludes only values of `{col}` that no key has"))
}

/// Names of surrogate keys, which are positive.
fn is_key(col: &str) -> bool {
    matches!(col, "id" | "pk" | "rowid" | "oid" | "_rowid_") || col.ends_with("_id")
}

/// A column holding the key of another table's row (`customer_id`).
fn foreign_key(col: &str) -> bool {
    col.ends_with("_id") && col.len() > 3
}

/// A column that records when its row was written: never later than now.
fn written_time(col: &str) -> bool {
    let col = col.trim_end_matches("_at").trim_end_matches("_on");
    [
        "created", "inserted", "updated", "modified", "recorded", "logged", "occurred", "received",
        "added",
    ]
    .iter()
    .any(|w| col == *w || col.ends_with(&format!("_{w}")) || col.starts_with(&format!("{w}_")))
        || matches!(
            col,
            "creation_date" | "create_time" | "insert_time" | "update_time"
        )
}

/// Whether `col <op> bound` is true for every value the column can hold.
fn range_covers(col: &str, op: &str, bound: &Bound) -> bool {
    match bound {
        Bound::Const(c) => {
            if let Some(year) = c.year() {
                return match op {
                    ">" | ">=" => year <= 1970,
                    "<" | "<=" => year >= 2100,
                    _ => false,
                };
            }
            if let Const::Str(s) = c {
                return matches!(
                    (op, s.trim().to_ascii_lowercase().as_str()),
                    ("<" | "<=", "infinity" | "+infinity") | (">" | ">=", "-infinity" | "epoch")
                );
            }
            let Some(n) = c.as_num() else {
                return false;
            };
            let key = is_key(col);
            match op {
                ">" => (key && n <= 0.0) || n <= i64::MIN as f64,
                ">=" => (key && n <= 1.0) || n <= i64::MIN as f64,
                "<>" | "!=" => key && n < 0.0,
                "<" | "<=" => n >= 2_147_483_647.0,
                _ => false,
            }
        }
        Bound::Now => matches!(op, "<" | "<=") && written_time(col),
        Bound::Future => matches!(op, "<" | "<="),
    }
}

/// What a column is compared with.
#[derive(Debug)]
enum Bound {
    Const(Const),
    /// The current time.
    Now,
    /// A moment still to come (`now() + interval '100 years'`).
    Future,
}

fn bound(node: &NodeEnum) -> Option<Bound> {
    if let Some(c) = value(node, 0) {
        return Some(Bound::Const(c));
    }
    match node {
        NodeEnum::TypeCast(t) => bound(t.arg.as_ref()?.node.as_ref()?),
        NodeEnum::SqlvalueFunction(_) => Some(Bound::Now),
        NodeEnum::FuncCall(f) => {
            let name = f.funcname.last().and_then(string)?.to_ascii_lowercase();
            let args: Vec<Option<Const>> =
                f.args.iter().map(|a| value(a.node.as_ref()?, 0)).collect();
            match name.as_str() {
                "now"
                | "current_timestamp"
                | "clock_timestamp"
                | "statement_timestamp"
                | "transaction_timestamp"
                | "localtimestamp"
                | "sysdate"
                | "utc_timestamp"
                | "curdate"
                | "current_date"
                | "getdate" => Some(Bound::Now),
                // SQLite: strftime('%s', 'now', '+100 years'), datetime('now'), unixepoch().
                "strftime" | "datetime" | "date" | "julianday" | "unixepoch" => {
                    let texts: Vec<String> = args
                        .iter()
                        .flatten()
                        .filter_map(|c| match c {
                            Const::Str(s) => Some(s.trim().to_ascii_lowercase()),
                            _ => None,
                        })
                        .collect();
                    let now = texts.iter().any(|s| s == "now")
                        || (name == "unixepoch" && f.args.is_empty());
                    if !now {
                        return None;
                    }
                    let later = texts.iter().any(|s| s.starts_with('+'));
                    let earlier = texts.iter().any(|s| s.starts_with('-'));
                    match (later, earlier) {
                        (true, false) => Some(Bound::Future),
                        (false, false) => Some(Bound::Now),
                        _ => None,
                    }
                }
                _ => None,
            }
        }
        NodeEnum::AExpr(e) if e.kind == protobuf::AExprKind::AexprOp as i32 => {
            let op = operator(&e.name)?;
            let l = bound(e.lexpr.as_ref()?.node.as_ref()?)?;
            let r = e.rexpr.as_ref()?.node.as_ref()?;
            let positive = match value(r, 0) {
                Some(Const::Str(s)) => !s.trim_start().starts_with('-'),
                Some(c) => c.as_num().is_some_and(|n| n > 0.0),
                // `make_interval(years => 500)`: an interval built from amounts, none negative.
                None => match r {
                    NodeEnum::FuncCall(call) => call.args.iter().all(|a| {
                        let a = match a.node.as_ref() {
                            Some(NodeEnum::NamedArgExpr(n)) => n.arg.as_deref(),
                            _ => Some(a),
                        };
                        a.and_then(|a| value(a.node.as_ref()?, 0))
                            .and_then(|c| c.as_num())
                            .is_some_and(|n| n >= 0.0)
                    }),
                    _ => false,
                },
            };
            match (l, op) {
                (Bound::Now | Bound::Future, "+") if positive => Some(Bound::Future),
                (Bound::Future, "-") if !positive => Some(Bound::Future),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `(column, operator, bound)` of a comparison, turned so the column is on the left.
fn oriented(l: &NodeEnum, op: &str, r: &NodeEnum) -> Option<(String, String, Bound)> {
    if let (Some(col), Some(b)) = (column_name(l), bound(r)) {
        return Some((col, op.to_owned(), b));
    }
    let (col, b) = (column_name(r)?, bound(l)?);
    Some((col, flip(op).to_owned(), b))
}

fn flip(op: &str) -> &str {
    match op {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        ">=" => "<=",
        other => other,
    }
}

/// A regular expression that every string matches: `.*`, `^.*$`, ``.
fn regex_matches_all(p: &str) -> bool {
    let start = p.starts_with('^');
    let end = p.ends_with('$') && !p.ends_with("\\$");
    let core = p.strip_prefix('^').unwrap_or(p);
    let core = if end { &core[..core.len() - 1] } else { core };
    if core.is_empty() {
        return !(start && end);
    }
    let mut rest = core.to_owned();
    for any in ["(?:.*)", "(.*)", ".*?", ".*"] {
        rest = rest.replace(any, "");
    }
    rest.is_empty()
}

/// `id IN (SELECT id FROM t)` in a statement on `t`, directly, through `= ANY(ARRAY(…))`
/// or through a `WITH` query.
fn all_of_the_same_table(node: &NodeEnum, t: &Target<'_>, depth: usize) -> bool {
    if depth > 4 || t.table.is_empty() {
        return false;
    }
    let select = match node {
        NodeEnum::SubLink(s)
            if s.sub_link_type == protobuf::SubLinkType::AnySublink as i32
                || s.sub_link_type == protobuf::SubLinkType::ArraySublink as i32 =>
        {
            s.subselect.as_ref().and_then(|n| n.node.as_ref())
        }
        NodeEnum::SelectStmt(_) => Some(node),
        NodeEnum::AExpr(e) if e.kind == protobuf::AExprKind::AexprOpAny as i32 => {
            return e
                .rexpr
                .as_ref()
                .and_then(|r| r.node.as_ref())
                .is_some_and(|r| all_of_the_same_table(r, t, depth + 1));
        }
        _ => None,
    };
    let Some(NodeEnum::SelectStmt(sel)) = select else {
        return false;
    };
    let Some(name) = unfiltered_source(sel) else {
        return false;
    };
    if name == t.table {
        return true;
    }
    t.ctes.iter().any(|(cte, query)| {
        *cte == name
            && matches!(query, NodeEnum::SelectStmt(inner)
                if unfiltered_source(inner).is_some_and(|n| n == t.table))
    })
}

/// The one table a SELECT reads in full (no WHERE that filters, no LIMIT, no set operation).
fn unfiltered_source(sel: &protobuf::SelectStmt) -> Option<String> {
    let unfiltered = sel
        .where_clause
        .as_ref()
        .and_then(|w| w.node.as_ref())
        .is_none_or(|w| always_true(w, 0))
        && sel.limit_count.is_none()
        && sel.having_clause.is_none()
        && sel.op == protobuf::SetOperation::SetopNone as i32;
    let [from] = sel.from_clause.as_slice() else {
        return None;
    };
    match from.node.as_ref()? {
        NodeEnum::RangeVar(r) if unfiltered => Some(r.relname.to_ascii_lowercase()),
        _ => None,
    }
}

/// `SELECT id FROM customers`: every key of a whole table, and the table's name.
fn whole_table_keys(select: &NodeEnum) -> Option<String> {
    let NodeEnum::SelectStmt(sel) = select else {
        return None;
    };
    let table = unfiltered_source(sel)?;
    let [target] = sel.target_list.as_slice() else {
        return None;
    };
    let Some(NodeEnum::ResTarget(r)) = target.node.as_ref() else {
        return None;
    };
    let col = column_name(r.val.as_ref()?.node.as_ref()?)?;
    (col == "id").then_some(table)
}

/// `EXISTS (SELECT 1 FROM orders x WHERE x.id = o.id)` in a statement on `orders o`.
fn correlated_on_itself(s: &protobuf::SubLink, t: &Target<'_>) -> bool {
    let Some(NodeEnum::SelectStmt(sel)) = s.subselect.as_ref().and_then(|n| n.node.as_ref()) else {
        return false;
    };
    let [from] = sel.from_clause.as_slice() else {
        return false;
    };
    let Some(NodeEnum::RangeVar(r)) = from.node.as_ref() else {
        return false;
    };
    if !r.relname.eq_ignore_ascii_case(&t.table) || sel.limit_count.is_some() {
        return false;
    }
    let inner = r
        .alias
        .as_ref()
        .map(|a| a.aliasname.to_ascii_lowercase())
        .unwrap_or_else(|| r.relname.to_ascii_lowercase());
    let Some(clause) = sel.where_clause.as_ref().and_then(|w| w.node.as_ref()) else {
        return false;
    };
    let conjuncts = conjuncts(clause);
    !conjuncts.is_empty()
        && conjuncts.iter().all(|c| {
            let Some((a, b)) = equality_of_columns(c) else {
                return false;
            };
            a.1 == b.1
                && ((a.0.as_deref() == Some(inner.as_str())
                    && t.is_own(b.0.as_deref())
                    && b.0.is_some())
                    || (b.0.as_deref() == Some(inner.as_str())
                        && t.is_own(a.0.as_deref())
                        && a.0.is_some()))
        })
}

/// `UPDATE t SET deleted_at = now() WHERE deleted_at IS NULL`: the rows not yet marked are
/// every live row.
fn unset_marker(node: &NodeEnum, t: &Target<'_>) -> Option<String> {
    if t.assigned.is_empty() {
        return None;
    }
    let parts = conjuncts(node);
    let nulls: Option<Vec<String>> = parts
        .iter()
        .map(|p| match p {
            NodeEnum::NullTest(n) if n.nulltesttype == protobuf::NullTestType::IsNull as i32 => {
                column_name(n.arg.as_ref()?.node.as_ref()?)
            }
            _ => None,
        })
        .collect();
    let col = nulls?.into_iter().find(|c| t.assigned.contains(c))?;
    Some(format!(
        "only picks the rows whose `{col}` is not set yet, and sets it: every such row"
    ))
}

/// `DELETE FROM users USING accounts WHERE users.account_id = accounts.id`: a foreign key joined
/// to every key of the table it points at matches every row that refers to one.
fn join_on_foreign_key(node: &NodeEnum, t: &Target<'_>) -> Option<String> {
    if t.joined.is_empty() {
        return None;
    }
    let parts = conjuncts(node);
    let mut found = None;
    for p in &parts {
        let (a, b) = equality_of_columns(p)?;
        for (own, other) in [(&a, &b), (&b, &a)] {
            let Some(q) = other.0.as_deref() else {
                continue;
            };
            if let Some(table) = t.joined_table(q)
                && own.0.as_deref().is_none_or(|o| t.is_own(Some(o)))
                && foreign_key(&own.1)
                && other.1 == "id"
            {
                found = Some(format!(
                    "joins `{}` to every key of `{table}`: every row that refers to one matches",
                    own.1
                ));
            }
        }
    }
    found
}

/// The join condition of `MERGE INTO t USING s ON …` with `s` a whole table: why it matches
/// every row of `t`, or `None`.
pub fn merge_matches_every_row(on: &NodeEnum, t: &Target<'_>) -> Option<String> {
    join_on_foreign_key(on, t).map(|why| format!("its MERGE condition {why}"))
}

/// The parts of an AND (the node itself when it is not one).
fn conjuncts(node: &NodeEnum) -> Vec<&NodeEnum> {
    match node {
        NodeEnum::BoolExpr(b) if b.boolop == protobuf::BoolExprType::AndExpr as i32 => b
            .args
            .iter()
            .filter_map(|a| a.node.as_ref())
            .flat_map(conjuncts)
            .collect(),
        other => vec![other],
    }
}

/// `a.x = b.y`: both sides as (qualifier, column), lower case.
type Qualified = (Option<String>, String);

fn equality_of_columns(node: &NodeEnum) -> Option<(Qualified, Qualified)> {
    let NodeEnum::AExpr(e) = node else {
        return None;
    };
    if e.kind != protobuf::AExprKind::AexprOp as i32 || operator(&e.name) != Some("=") {
        return None;
    }
    let side = |n: Option<&pg_query::Node>| -> Option<Qualified> {
        let NodeEnum::ColumnRef(c) = n?.node.as_ref()? else {
            return None;
        };
        let names: Vec<String> = c
            .fields
            .iter()
            .filter_map(|f| string(f).map(|s| s.to_ascii_lowercase()))
            .collect();
        match names.as_slice() {
            [col] => Some((None, col.clone())),
            [.., q, col] => Some((Some(q.clone()), col.clone())),
            [] => None,
        }
    };
    Some((side(e.lexpr.as_deref())?, side(e.rexpr.as_deref())?))
}

fn is_column(n: Option<&pg_query::Node>) -> bool {
    n.and_then(|n| n.node.as_ref())
        .is_some_and(|n| column_name(n).is_some())
}

fn string(n: &pg_query::Node) -> Option<&str> {
    match n.node.as_ref()? {
        NodeEnum::String(s) => Some(s.sval.as_str()),
        _ => None,
    }
}

/// Does the expression read a column (or a subquery that may)? Parameters and functions of
/// constants do not.
fn depends_on_the_row(node: &NodeEnum) -> bool {
    node.nodes().iter().any(|(n, _, _, _)| {
        matches!(
            n,
            pg_query::NodeRef::ColumnRef(_)
                | pg_query::NodeRef::SubLink(_)
                | pg_query::NodeRef::ParamRef(_)
        )
    })
}

fn column_name(node: &NodeEnum) -> Option<String> {
    match node {
        NodeEnum::ColumnRef(c) => c.fields.last().and_then(|f| match f.node.as_ref()? {
            NodeEnum::String(s) => Some(s.sval.to_ascii_lowercase()),
            _ => None,
        }),
        NodeEnum::TypeCast(t) => column_name(t.arg.as_ref()?.node.as_ref()?),
        _ => None,
    }
}

/// `(column, operator, constant)` of a comparison, turned so the column is on the left.
fn comparison(node: &NodeEnum) -> Option<(String, String, Const)> {
    let NodeEnum::AExpr(e) = node else {
        return None;
    };
    if e.kind != protobuf::AExprKind::AexprOp as i32 {
        return None;
    }
    let op = operator(&e.name)?.to_owned();
    let l = e.lexpr.as_ref()?.node.as_ref()?;
    let r = e.rexpr.as_ref()?.node.as_ref()?;
    if let (Some(col), Some(c)) = (column_name(l), value(r, 0)) {
        return Some((col, op, c));
    }
    let (col, c) = (column_name(r)?, value(l, 0)?);
    Some((col, flip(&op).to_owned(), c))
}

#[derive(Debug, PartialEq)]
enum Const {
    Int(i64),
    Num(f64),
    Str(String),
    Bool(bool),
    Null,
}

impl Const {
    fn truthy(&self) -> Option<bool> {
        match self {
            Const::Bool(b) => Some(*b),
            // MySQL reads `WHERE 1` as true.
            Const::Int(i) => Some(*i != 0),
            Const::Num(n) => Some(*n != 0.0),
            Const::Str(s) => match s.to_ascii_lowercase().as_str() {
                "t" | "true" | "y" | "yes" | "on" | "1" => Some(true),
                "f" | "false" | "n" | "no" | "off" | "0" => Some(false),
                _ => None,
            },
            Const::Null => Some(false),
        }
    }

    /// The year of a date or timestamp literal (`'2999-01-01'`, `'1970-01-01 00:00'`).
    fn year(&self) -> Option<i32> {
        let Const::Str(s) = self else {
            return None;
        };
        let s = s.trim();
        let (year, rest) = s.split_at_checked(4)?;
        let digits = year.chars().all(|c| c.is_ascii_digit());
        (digits && rest.starts_with('-') && rest.len() >= 3)
            .then(|| year.parse().ok())
            .flatten()
    }

    fn shown(&self) -> String {
        match self {
            Const::Int(i) => i.to_string(),
            Const::Num(n) => n.to_string(),
            Const::Str(s) => format!("'{s}'"),
            Const::Bool(b) => b.to_string(),
            Const::Null => "NULL".into(),
        }
    }

    fn as_num(&self) -> Option<f64> {
        match self {
            Const::Int(i) => Some(*i as f64),
            Const::Num(n) => Some(*n),
            Const::Str(s) => s.trim().parse().ok(),
            Const::Bool(_) | Const::Null => None,
        }
    }
}

const MAX_DEPTH: usize = 32;

fn operator(name: &[pg_query::Node]) -> Option<&str> {
    match name.last()?.node.as_ref()? {
        NodeEnum::String(s) => Some(s.sval.as_str()),
        _ => None,
    }
}

fn value(node: &NodeEnum, depth: usize) -> Option<Const> {
    if depth > MAX_DEPTH {
        return None;
    }
    match node {
        NodeEnum::AConst(c) => {
            if c.isnull {
                return Some(Const::Null);
            }
            match c.val.as_ref()? {
                Val::Ival(i) => Some(Const::Int(i.ival.into())),
                Val::Fval(f) => f.fval.parse().ok().map(Const::Num),
                Val::Boolval(b) => Some(Const::Bool(b.boolval)),
                Val::Sval(s) => Some(Const::Str(s.sval.clone())),
                Val::Bsval(b) => Some(Const::Str(b.bsval.clone())),
            }
        }
        NodeEnum::TypeCast(t) => value(t.arg.as_ref()?.node.as_ref()?, depth + 1),
        // `(SELECT true)`: a subquery of one constant and no table.
        NodeEnum::SubLink(s) if s.sub_link_type == protobuf::SubLinkType::ExprSublink as i32 => {
            let Some(NodeEnum::SelectStmt(sel)) = s.subselect.as_ref()?.node.as_ref() else {
                return None;
            };
            if !sel.from_clause.is_empty()
                || sel.where_clause.is_some()
                || sel.op != protobuf::SetOperation::SetopNone as i32
            {
                return None;
            }
            let [target] = sel.target_list.as_slice() else {
                return None;
            };
            let Some(NodeEnum::ResTarget(r)) = target.node.as_ref() else {
                return None;
            };
            value(r.val.as_ref()?.node.as_ref()?, depth + 1)
        }
        NodeEnum::AExpr(e) if e.kind == protobuf::AExprKind::AexprOp as i32 => {
            let op = operator(&e.name)?;
            let r = value(e.rexpr.as_ref()?.node.as_ref()?, depth + 1)?;
            let Some(l) = e.lexpr.as_ref().and_then(|l| l.node.as_ref()) else {
                // Unary minus.
                return match (op, r) {
                    ("-", Const::Int(i)) => Some(Const::Int(-i)),
                    ("-", Const::Num(n)) => Some(Const::Num(-n)),
                    _ => None,
                };
            };
            let l = value(l, depth + 1)?;
            if let (Const::Int(a), Const::Int(b)) = (&l, &r) {
                return match op {
                    "+" => a.checked_add(*b).map(Const::Int),
                    "-" => a.checked_sub(*b).map(Const::Int),
                    "*" => a.checked_mul(*b).map(Const::Int),
                    _ => compare(op, &l, &r).map(Const::Bool),
                };
            }
            if op == "||"
                && let (Const::Str(a), Const::Str(b)) = (&l, &r)
            {
                return Some(Const::Str(format!("{a}{b}")));
            }
            compare(op, &l, &r).map(Const::Bool)
        }
        _ => None,
    }
}

fn compare(op: &str, l: &Const, r: &Const) -> Option<bool> {
    if matches!(l, Const::Null) || matches!(r, Const::Null) {
        return Some(false);
    }
    let ordering = match (l.as_num(), r.as_num()) {
        (Some(a), Some(b)) => a.partial_cmp(&b)?,
        _ => match (l, r) {
            (Const::Str(a), Const::Str(b)) => a.cmp(b),
            (Const::Bool(a), Const::Bool(b)) => a.cmp(b),
            _ => return None,
        },
    };
    use std::cmp::Ordering::*;
    Some(match op {
        "=" | "==" => ordering == Equal,
        "<>" | "!=" => ordering != Equal,
        "<" => ordering == Less,
        "<=" => ordering != Greater,
        ">" => ordering == Greater,
        ">=" => ordering != Less,
        _ => return None,
    })
}

fn same_column(a: &NodeEnum, b: &NodeEnum) -> bool {
    match (a, b) {
        (NodeEnum::ColumnRef(x), NodeEnum::ColumnRef(y)) => {
            let names = |c: &protobuf::ColumnRef| -> Vec<String> {
                c.fields
                    .iter()
                    .filter_map(|f| match f.node.as_ref()? {
                        NodeEnum::String(s) => Some(s.sval.to_ascii_lowercase()),
                        _ => None,
                    })
                    .collect()
            };
            let (x, y) = (names(x), names(y));
            // `m.id = old.id` joins two tables; only the very same reference is the same column.
            !x.is_empty() && x == y
        }
        // `$1 = $1`: the same parameter, whatever value it is given.
        (NodeEnum::ParamRef(x), NodeEnum::ParamRef(y)) => x.number == y.number,
        _ => false,
    }
}

pub(crate) fn always_true(node: &NodeEnum, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    if let Some(c) = value(node, depth) {
        return c.truthy() == Some(true);
    }
    match node {
        NodeEnum::BoolExpr(b) => {
            let args = || b.args.iter().filter_map(|a| a.node.as_ref());
            match protobuf::BoolExprType::try_from(b.boolop) {
                Ok(protobuf::BoolExprType::OrExpr) => args().any(|a| always_true(a, depth + 1)),
                Ok(protobuf::BoolExprType::AndExpr) => args().all(|a| always_true(a, depth + 1)),
                Ok(protobuf::BoolExprType::NotExpr) => {
                    args().all(|a| value(a, depth + 1).and_then(|c| c.truthy()) == Some(false))
                }
                _ => false,
            }
        }
        NodeEnum::AExpr(e) if e.kind == protobuf::AExprKind::AexprOp as i32 => {
            let (Some(l), Some(r)) = (
                e.lexpr.as_ref().and_then(|n| n.node.as_ref()),
                e.rexpr.as_ref().and_then(|n| n.node.as_ref()),
            ) else {
                return false;
            };
            matches!(operator(&e.name), Some("=" | "<=" | ">=")) && same_column(l, r)
        }
        NodeEnum::NullTest(t) => {
            // `NULL IS NULL`, `1 IS NOT NULL`.
            let Some(arg) = t.arg.as_ref().and_then(|a| a.node.as_ref()) else {
                return false;
            };
            let Some(c) = value(arg, depth + 1) else {
                return false;
            };
            let is_null = c == Const::Null;
            let wants_null = t.nulltesttype == protobuf::NullTestType::IsNull as i32;
            is_null == wants_null
        }
        NodeEnum::BooleanTest(t) => {
            let Some(arg) = t.arg.as_ref().and_then(|a| a.node.as_ref()) else {
                return false;
            };
            t.booltesttype == protobuf::BoolTestType::IsTrue as i32 && always_true(arg, depth + 1)
        }
        NodeEnum::SubLink(s) if s.sub_link_type == protobuf::SubLinkType::ExistsSublink as i32 => {
            match s.subselect.as_ref().and_then(|n| n.node.as_ref()) {
                Some(NodeEnum::SelectStmt(sel)) => {
                    sel.where_clause.is_none()
                        && sel.having_clause.is_none()
                        && sel.limit_count.is_none()
                        && sel.op == protobuf::SetOperation::SetopNone as i32
                }
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(sql: &str) -> Option<String> {
        let parsed = pg_query::parse(sql, 0).unwrap();
        let stmt = parsed.protobuf.stmts[0].stmt.as_ref().unwrap();
        match stmt.node.as_ref().unwrap() {
            NodeEnum::DeleteStmt(d) => {
                let t = Target {
                    table: "t".into(),
                    alias: d
                        .relation
                        .as_ref()
                        .and_then(|r| r.alias.as_ref())
                        .map(|a| a.aliasname.clone()),
                    ..Target::default()
                };
                reaches_every_row(d.where_clause.as_deref(), &t)
            }
            _ => panic!("not a delete"),
        }
    }

    #[test]
    fn tautologies_reach_every_row() {
        for sql in [
            "DELETE FROM t",
            "DELETE FROM t WHERE 1=1",
            "DELETE FROM t WHERE true",
            "DELETE FROM t WHERE id = 5 OR 1=1",
            "DELETE FROM t WHERE 'a' = 'a'",
            "DELETE FROM t WHERE id = id",
            "DELETE FROM t WHERE t.id = t.id",
            "DELETE FROM t WHERE 2 > 1",
            "DELETE FROM t WHERE 1",
            "DELETE FROM t WHERE NOT false",
            "DELETE FROM t WHERE 1+1 = 2",
            "DELETE FROM t WHERE EXISTS (SELECT 1)",
            "DELETE FROM t WHERE id IS NOT NULL",
            "DELETE FROM t WHERE name LIKE '%'",
            "DELETE FROM t WHERE 't'::boolean",
            "DELETE FROM t WHERE (1=1) AND (2=2)",
            "DELETE FROM t WHERE coalesce(null, true)",
            "DELETE FROM t WHERE now() = now()",
            "DELETE FROM t WHERE length('x') = 1",
            "DELETE FROM t WHERE 1 IN (1)",
            "DELETE FROM t WHERE 1 BETWEEN 0 AND 2",
            "DELETE FROM t WHERE id > 0",
            "DELETE FROM t WHERE id != -1",
            "DELETE FROM t WHERE id >= 0 OR id < 0",
            "DELETE FROM t WHERE created_at < now() + interval '100 years'",
            "DELETE FROM t WHERE id IN (SELECT id FROM t)",
            "DELETE FROM t WHERE id IN (SELECT id FROM t WHERE 1=1)",
            "DELETE FROM t WHERE id = ANY(ARRAY(SELECT id FROM t))",
            "DELETE FROM t WHERE $1 = $1",
            "DELETE FROM t WHERE (SELECT true)",
            "DELETE FROM t WHERE id IS DISTINCT FROM NULL",
            "DELETE FROM t WHERE NOT (id IS NULL)",
            "DELETE FROM t WHERE email ~ '^.*$'",
            "DELETE FROM t WHERE name SIMILAR TO '%'",
            "DELETE FROM t WHERE created_at < '2999-01-01'",
            "DELETE FROM t WHERE created_at >= '1900-01-01 00:00'",
            "DELETE FROM t WHERE created_at < 'infinity'",
            "DELETE FROM t WHERE updated_at <= current_timestamp",
            "DELETE FROM t WHERE id BETWEEN 1 AND 2147483647",
            "DELETE FROM t WHERE day BETWEEN '1970-01-01' AND '2100-01-01'",
            "DELETE FROM t WHERE id > 0 AND created_at > '1970-01-01'",
            "DELETE FROM t WHERE id NOT IN (0, -1)",
            "DELETE FROM t WHERE id NOT IN (SELECT -1)",
            "DELETE FROM t WHERE status <> 'x' OR status IS NULL",
            "DELETE FROM t WHERE user_id IN (SELECT id FROM users)",
            "DELETE FROM t o WHERE EXISTS (SELECT 1 FROM t x WHERE x.id = o.id)",
        ] {
            assert!(verdict(sql).is_some(), "{sql}");
        }
    }

    #[test]
    fn selective_clauses_select() {
        for sql in [
            "DELETE FROM t WHERE id = 5",
            "DELETE FROM t WHERE 1=1 AND id = 5",
            "DELETE FROM t WHERE created_at < now() - interval '30 days'",
            "DELETE FROM t WHERE id IN (1, 2, 3)",
            "DELETE FROM t WHERE name LIKE 'tmp_%'",
            "DELETE FROM t WHERE id = $1",
            "DELETE FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.id = t.uid)",
            "DELETE FROM t WHERE 1=2 OR id = 3",
            "DELETE FROM t WHERE false",
            "DELETE FROM t WHERE balance > 0",
            "DELETE FROM t WHERE id > 1000",
            "DELETE FROM t WHERE created_at < now() - interval '30 days'",
            "DELETE FROM t WHERE id IN (SELECT id FROM t WHERE done)",
            "DELETE FROM t WHERE id IN (SELECT t_id FROM u)",
            "DELETE FROM t m USING old WHERE m.id = old.id",
            "DELETE FROM t WHERE $1 = id",
            "DELETE FROM t WHERE (SELECT false)",
            "DELETE FROM t WHERE id IS NOT DISTINCT FROM NULL",
            "DELETE FROM t WHERE email ~ '^admin@'",
            "DELETE FROM t WHERE email ~ '^$'",
            "DELETE FROM t WHERE created_at < '2024-01-01'",
            "DELETE FROM t WHERE created_at > '2024-01-01'",
            "DELETE FROM t WHERE expires_at < now()",
            "DELETE FROM t WHERE created_at < now() - interval '1 day'",
            "DELETE FROM t WHERE id BETWEEN 10 AND 20",
            "DELETE FROM t WHERE id NOT IN (3, 4)",
            "DELETE FROM t WHERE status <> 'x'",
            "DELETE FROM t WHERE status = 'x' OR status IS NULL",
            "DELETE FROM t WHERE user_id IN (SELECT id FROM users WHERE banned)",
            "DELETE FROM t WHERE id IN (SELECT id FROM users)",
            "DELETE FROM t o WHERE EXISTS (SELECT 1 FROM t x WHERE x.parent_id = o.id)",
        ] {
            assert!(verdict(sql).is_none(), "{sql}");
        }
    }
}
