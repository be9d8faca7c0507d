//! Does a WHERE clause select rows, or does it match them all?
//!
//! A DELETE or UPDATE is judged by its WHERE clause: none, or one that is always true
//! (`1=1`, `true`, `id = id`, `… OR 'a'='a'`, `EXISTS (SELECT 1)`), or one that matches every
//! row that has a value (`col IS NOT NULL`, `col LIKE '%'`), reaches every row. Anything else
//! (a key, a range, a join condition) is taken as selective. This module only reads expression
//! trees.

use pg_query::NodeEnum;
use pg_query::protobuf::{self, a_const::Val};

/// `None` when the clause selects rows; otherwise why it reaches every row. `table` is the
/// statement's target (a subquery over the same table with no filter selects every row);
/// `ctes` are the statement's `WITH` queries by name.
pub fn reaches_every_row(
    clause: Option<&pg_query::Node>,
    table: &str,
    ctes: &[(String, &NodeEnum)],
) -> Option<String> {
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
    if matches_every_value(node) {
        return Some("its WHERE clause matches every row that has a value".into());
    }
    if every_key(node) {
        return Some("its WHERE clause matches every key (keys are positive)".into());
    }
    if before_the_future(node) {
        return Some("its WHERE clause bounds time by a date in the future".into());
    }
    if all_of_the_same_table(node, table, ctes, 0) {
        return Some(format!(
            "its WHERE clause selects from `{table}` itself without a filter"
        ));
    }
    None
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
    let flipped = match op.as_str() {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        ">=" => "<=",
        other => other,
    };
    Some((col, flipped.to_owned(), c))
}

/// `id > 0`, `id >= 1`, `user_id <> -1`: every key of a table whose keys are positive. An OR of
/// complementary comparisons of one column (`x >= 5 OR x < 5`) is every row with a value.
fn every_key(node: &NodeEnum) -> bool {
    if let NodeEnum::BoolExpr(b) = node
        && b.boolop == protobuf::BoolExprType::OrExpr as i32
    {
        let cmps: Vec<_> = b
            .args
            .iter()
            .filter_map(|a| comparison(a.node.as_ref()?))
            .collect();
        let complementary = |a: &str, b: &str| {
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
        return cmps.iter().enumerate().any(|(i, (ca, oa, va))| {
            cmps[i + 1..]
                .iter()
                .any(|(cb, ob, vb)| ca == cb && va == vb && complementary(oa, ob))
        }) || b.args.iter().filter_map(|a| a.node.as_ref()).any(every_key);
    }
    let Some((col, op, c)) = comparison(node) else {
        return false;
    };
    let key = col == "id" || col.ends_with("_id") || col == "pk";
    let Some(n) = c.as_num() else {
        return false;
    };
    key && match op.as_str() {
        ">" => n <= 0.0,
        ">=" => n <= 1.0,
        "<>" | "!=" => n < 0.0,
        "<" | "<=" => n >= 2_147_483_647.0,
        _ => false,
    }
}

/// `created_at < now() + interval '100 years'`: everything older than a moment still to come.
fn before_the_future(node: &NodeEnum) -> bool {
    let NodeEnum::AExpr(e) = node else {
        return false;
    };
    if !matches!(operator(&e.name), Some("<" | "<=")) {
        return false;
    }
    let Some(r) = e.rexpr.as_ref().and_then(|r| r.node.as_ref()) else {
        return false;
    };
    if let Some(Const::Str(s)) = value(r, 0) {
        return s.eq_ignore_ascii_case("infinity");
    }
    let NodeEnum::AExpr(plus) = r else {
        return false;
    };
    let is_now = |n: &NodeEnum| match n {
        NodeEnum::FuncCall(f) => {
            f.funcname.last().and_then(|x| match x.node.as_ref()? {
                NodeEnum::String(s) => Some(s.sval.eq_ignore_ascii_case("now")),
                _ => None,
            }) == Some(true)
        }
        NodeEnum::SqlvalueFunction(_) => true,
        _ => false,
    };
    operator(&plus.name) == Some("+")
        && plus
            .lexpr
            .as_ref()
            .and_then(|l| l.node.as_ref())
            .is_some_and(is_now)
}

/// `id IN (SELECT id FROM users)` in a statement on `users`, directly, through `= ANY(ARRAY(…))`
/// or through a `WITH` query.
fn all_of_the_same_table(
    node: &NodeEnum,
    table: &str,
    ctes: &[(String, &NodeEnum)],
    depth: usize,
) -> bool {
    if depth > 4 || table.is_empty() {
        return false;
    }
    let select = match node {
        NodeEnum::SubLink(s)
            if s.sub_link_type == protobuf::SubLinkType::AnySublink as i32
                || s.sub_link_type == protobuf::SubLinkType::ArraySublink as i32 =>
        {
            s.subselect.as_ref().and_then(|n| n.node.as_ref())
        }
        NodeEnum::AExpr(e) if e.kind == protobuf::AExprKind::AexprOpAny as i32 => {
            return e
                .rexpr
                .as_ref()
                .and_then(|r| r.node.as_ref())
                .is_some_and(|r| all_of_the_same_table(r, table, ctes, depth + 1));
        }
        NodeEnum::AArrayExpr(_) => None,
        _ => None,
    };
    let Some(NodeEnum::SelectStmt(sel)) = select else {
        return false;
    };
    let unfiltered = sel
        .where_clause
        .as_ref()
        .and_then(|w| w.node.as_ref())
        .is_none_or(|w| always_true(w, 0))
        && sel.limit_count.is_none();
    let [from] = sel.from_clause.as_slice() else {
        return false;
    };
    let Some(NodeEnum::RangeVar(r)) = from.node.as_ref() else {
        return false;
    };
    let name = r.relname.to_ascii_lowercase();
    if name == table {
        return unfiltered;
    }
    unfiltered
        && ctes.iter().any(|(cte, query)| {
            *cte == name
                && matches!(query, NodeEnum::SelectStmt(inner)
                    if inner.where_clause.as_ref().and_then(|w| w.node.as_ref()).is_none_or(|w| always_true(w, 0))
                    && inner.limit_count.is_none()
                    && matches!(inner.from_clause.as_slice(), [f] if matches!(f.node.as_ref(), Some(NodeEnum::RangeVar(r)) if r.relname.eq_ignore_ascii_case(table))))
        })
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

/// `col IS NOT NULL`, `col LIKE '%'`: true for every row with a value in that column.
fn matches_every_value(node: &NodeEnum) -> bool {
    match node {
        NodeEnum::NullTest(t) => {
            t.nulltesttype == protobuf::NullTestType::IsNotNull as i32
                && matches!(
                    t.arg.as_ref().and_then(|a| a.node.as_ref()),
                    Some(NodeEnum::ColumnRef(_))
                )
        }
        NodeEnum::AExpr(e)
            if e.kind == protobuf::AExprKind::AexprLike as i32
                || e.kind == protobuf::AExprKind::AexprIlike as i32 =>
        {
            let op = operator(&e.name).unwrap_or("");
            let positive = matches!(op, "~~" | "~~*");
            let pattern = e
                .rexpr
                .as_ref()
                .and_then(|r| r.node.as_ref())
                .and_then(|r| value(r, 0));
            positive
                && matches!(pattern, Some(Const::Str(p)) if !p.is_empty() && p.chars().all(|c| c == '%'))
        }
        NodeEnum::BoolExpr(b) if b.boolop == protobuf::BoolExprType::OrExpr as i32 => b
            .args
            .iter()
            .filter_map(|a| a.node.as_ref())
            .any(matches_every_value),
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
            NodeEnum::DeleteStmt(d) => reaches_every_row(d.where_clause.as_deref(), "t", &[]),
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
        ] {
            assert!(verdict(sql).is_none(), "{sql}");
        }
    }
}
