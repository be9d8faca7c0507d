//! From PostgreSQL's parse tree to findings: what each statement does, to what, and which rule
//! of `rules.toml` applies.
//!
//! The judge walks statements as the server would run them: a data-modifying CTE inside a
//! SELECT, the statement inside `EXPLAIN ANALYZE` or `PREPARE`/`EXECUTE`, the SQL a `DO` block or
//! `dblink` runs, the body of a function or the actions of a rule (judged when created: they run
//! whenever called or triggered), parameters an `EXECUTE` binds, and work that a later
//! `ROLLBACK` undoes. It never connects to a database: what only the server could know (a
//! prepared statement from elsewhere, SQL built at run time) is judged as unknown, which the
//! rules send to a human.

use std::collections::{HashMap, HashSet};

use blastwall_core::{Action, BlastRadius, Context, Finding, Language, Registry, Resource, Span};
use pg_query::NodeEnum;
use pg_query::protobuf::{self, ObjectType, a_const::Val};

use crate::predicate::reaches_every_row;
use crate::prepare::{Meta, prepare};
use crate::rules::table;

/// How deep SQL may nest inside SQL (`DO` → `EXECUTE` → `dblink_exec` → …).
const MAX_NESTING: usize = 6;

/// One thing found, before it becomes an [`Action`].
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub rule: &'static str,
    pub operation: String,
    pub target: String,
    pub why: String,
    pub span: Span,
    pub via: Vec<String>,
    /// Whether a `ROLLBACK` of the enclosing transaction undoes it (false for what acts outside
    /// the transaction: shell commands, files, other servers, terminated sessions).
    pub transactional: bool,
}

pub(crate) struct Judge<'a> {
    input: &'a str,
    ctx: &'a Context,
    registry: &'a Registry,
    pub hits: Vec<Hit>,
    pub env_hints: Vec<String>,
    /// Tables created earlier in the same input: dropping them loses nothing that existed.
    created: HashSet<String>,
    /// Prepared statements of this input and what they do.
    prepared: HashMap<String, Prepared>,
    /// The text of the top-level statement being judged (a PREPARE keeps it for EXECUTE).
    statement_text: String,
    /// Index in `hits` where the open transaction began.
    transaction_start: Option<usize>,
    /// Actions judged by another language's classifier, by the index of their placeholder hit.
    foreign: Vec<(usize, Action)>,
    /// Functions and procedures created earlier in the same input: name → (language, body).
    functions: HashMap<String, Function>,
    /// Function bodies being judged, so a recursive function is judged once.
    calling: HashSet<String>,
}

/// Byte ranges of the statements of `sql`, split at each `;` outside literals and comments, or
/// `None` when the text cannot be scanned (an unterminated literal).
fn split_statements(sql: &str) -> Option<Vec<(usize, usize)>> {
    let tokens = pg_query::scan_tokens(sql).ok()?;
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut push = |start: usize, end: usize| {
        let (s, e) = trim(sql, start, end);
        if sql.get(s..e).is_some_and(|t| !t.trim().is_empty()) {
            pieces.push((s, e));
        }
    };
    for t in tokens {
        if t.token == protobuf::Token::Ascii59 as i32 {
            let at = usize::try_from(t.start).ok()?;
            push(start, at);
            start = at + 1;
        }
    }
    push(start, sql.len());
    Some(pieces)
}

/// A statement prepared by the input: what it does, and its text for binding parameters.
#[derive(Clone)]
struct Prepared {
    hits: Vec<Hit>,
    text: String,
}

/// The SQL literals of `EXECUTE p('%', 3)`, or `None` when one is not a literal.
fn literal_params(params: &[pg_query::Node]) -> Option<Vec<String>> {
    if params.is_empty() {
        return None;
    }
    params
        .iter()
        .map(|p| {
            let node = match p.node.as_ref()? {
                NodeEnum::TypeCast(t) => t.arg.as_ref()?.node.as_ref()?,
                other => other,
            };
            let NodeEnum::AConst(c) = node else {
                return None;
            };
            if c.isnull {
                return Some("NULL".to_owned());
            }
            Some(match c.val.as_ref()? {
                Val::Sval(s) => format!("'{}'", s.sval.replace('\'', "''")),
                Val::Ival(i) => i.ival.to_string(),
                Val::Fval(f) => f.fval.clone(),
                Val::Boolval(b) => b.boolval.to_string(),
                Val::Bsval(b) => format!("B'{}'", b.bsval.trim_start_matches(['b', 'B'])),
            })
        })
        .collect()
}

/// `text` with each `$n` outside literals and comments replaced by the n-th value.
fn bind_params(text: &str, values: &[String]) -> Option<String> {
    let tokens = pg_query::scan_tokens(text).ok()?;
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for t in tokens {
        if t.token != protobuf::Token::Param as i32 {
            continue;
        }
        let (start, end) = (usize::try_from(t.start).ok()?, usize::try_from(t.end).ok()?);
        let n: usize = text.get(start + 1..end)?.parse().ok()?;
        let Some(v) = n.checked_sub(1).and_then(|i| values.get(i)) else {
            continue;
        };
        out.push_str(text.get(last..start)?);
        out.push_str(v);
        last = end;
    }
    out.push_str(text.get(last..)?);
    Some(out)
}

/// A function or procedure created by the input.
#[derive(Clone)]
struct Function {
    language: String,
    body: String,
    /// The `CREATE FUNCTION` statement as PostgreSQL prints it, for PL/pgSQL's parser, which
    /// checks the body against the signature (`RETURN NEW` needs `RETURNS trigger`).
    definition: Option<String>,
    /// Whether it returns `trigger` or `event_trigger` (its body sees `NEW`, `OLD`, `TG_OP`).
    trigger: bool,
}

/// `CREATE FUNCTION …` printed back from its parse tree.
fn deparse_function(c: &protobuf::CreateFunctionStmt) -> Option<String> {
    let tree = protobuf::ParseResult {
        version: 180_000,
        stmts: vec![protobuf::RawStmt {
            stmt: Some(Box::new(pg_query::Node {
                node: Some(NodeEnum::CreateFunctionStmt(Box::new(c.clone()))),
            })),
            stmt_location: 0,
            stmt_len: 0,
        }],
    };
    pg_query::deparse(&tree, pg_query::DeparseOptions::default()).ok()
}

/// One SQL text being judged: where its offsets land in the door's input.
#[derive(Clone)]
pub(crate) struct Frame {
    /// Offset of this text in the door's input, when its offsets map one to one.
    base: Option<usize>,
    /// The span to use when they do not (the enclosing statement).
    pub outer: Span,
    depth: usize,
    via: Vec<String>,
}

impl<'a> Judge<'a> {
    pub fn new(input: &'a str, ctx: &'a Context, registry: &'a Registry) -> Self {
        Judge {
            input,
            ctx,
            registry,
            hits: Vec::new(),
            env_hints: Vec::new(),
            created: HashSet::new(),
            prepared: HashMap::new(),
            statement_text: String::new(),
            transaction_start: None,
            foreign: Vec::new(),
            functions: HashMap::new(),
            calling: HashSet::new(),
        }
    }

    /// Judges the whole input.
    pub fn run(&mut self) {
        let frame = Frame {
            base: Some(0),
            outer: Span::new(0, self.input.len()),
            depth: 0,
            via: Vec::new(),
        };
        let input = self.input;
        self.text(input, &frame);
    }

    pub(crate) fn hit(&mut self, rule: &'static str, span: Span, f: &Frame) -> &mut Hit {
        self.hits.push(Hit {
            rule,
            operation: String::new(),
            target: String::new(),
            why: String::new(),
            span,
            via: f.via.clone(),
            transactional: true,
        });
        self.hits.last_mut().expect("just pushed")
    }

    fn span(&self, f: &Frame, start: usize, end: usize) -> Span {
        match f.base {
            Some(base) => {
                let s = Span::new(base + start, (base + end).min(self.input.len()));
                if s.start < s.end { s } else { f.outer }
            }
            None => f.outer,
        }
    }

    /// Judges a SQL text: client commands first, then PostgreSQL's parser.
    fn text(&mut self, sql: &str, f: &Frame) {
        let mut prepared = prepare(sql, false);
        let parsed = match pg_query::parse(&prepared.sql, 0) {
            Ok(p) => Ok(p),
            Err(e) if sql.contains('`') => {
                // MySQL quotes identifiers with backticks; read them as PostgreSQL would quote.
                prepared = prepare(sql, true);
                pg_query::parse(&prepared.sql, 0).map_err(|_| e)
            }
            Err(e) => Err(e),
        };
        let statements = match parsed {
            Ok(p) => p,
            Err(e) => {
                let span = self.span(f, 0, sql.len());
                let frame = Frame {
                    outer: span,
                    ..f.clone()
                };
                // Not PostgreSQL: perhaps MySQL (`SHOW …`, `DELETE … LIMIT`, `MODIFY`) or SQLite
                // (`INSERT OR IGNORE`, `PRAGMA`), as a whole, or statement by statement.
                let unquoted = prepare(sql, false);
                // `\G` / `\g` only end a statement (MySQL's vertical output, psql's send).
                let plain = unquoted
                    .metas
                    .iter()
                    .all(|m| m.name == "G" || m.name == "g");
                if plain && crate::mysql::judge(self, &unquoted.sql, &frame) {
                    return;
                }
                if self.statement_by_statement(&unquoted, f) {
                    return;
                }
                if plain && crate::admin::judge(self, &unquoted.sql, &frame) {
                    return;
                }
                let why = parse_error(&e);
                let h = self.hit("sql.unparseable", span, f);
                h.why = why;
                h.operation = "unparseable SQL".into();
                return;
            }
        };
        let mut stmts: Vec<(Span, &pg_query::Node, &str)> = Vec::new();
        for raw in &statements.protobuf.stmts {
            let start = usize::try_from(raw.stmt_location).unwrap_or(0);
            let len = usize::try_from(raw.stmt_len).unwrap_or(0);
            let end = if len == 0 {
                prepared.sql.len()
            } else {
                start + len
            };
            let (start, end) = trim(&prepared.sql, start, end.min(prepared.sql.len()));
            if let Some(node) = raw.stmt.as_deref() {
                stmts.push((Span::new(start, end), node, &prepared.sql[start..end]));
            }
        }
        let mut metas = prepared.metas.iter().peekable();
        for (local, node, text) in &stmts {
            while let Some(meta) = metas.next_if(|m| m.span.start < local.start) {
                self.meta(meta, &stmts, f);
            }
            let span = self.span(f, local.start, local.end);
            let frame = Frame {
                outer: span,
                ..f.clone()
            };
            let before = self.hits.len();
            self.statement_text = (*text).to_owned();
            if let Some(n) = node.node.as_ref() {
                self.statement(n, local.start, &frame);
            }
            if self.hits.len() == before {
                let rule = if is_read(node.node.as_ref()) {
                    "sql.read"
                } else {
                    "sql.write"
                };
                let h = self.hit(rule, span, &frame);
                h.operation = operation_of(text);
            }
            for h in &mut self.hits[before..] {
                if h.operation.is_empty() {
                    h.operation = operation_of(text);
                }
            }
        }
        for meta in metas {
            self.meta(meta, &stmts, f);
        }
    }

    /// Judges each statement of a text that does not parse as a whole (`PRAGMA foreign_keys =
    /// OFF; DELETE FROM t`) on its own; `false` when it holds only one.
    fn statement_by_statement(&mut self, prepared: &crate::prepare::Prepared, f: &Frame) -> bool {
        let Some(pieces) = split_statements(&prepared.sql) else {
            return false;
        };
        if pieces.len() < 2 {
            return false;
        }
        for (start, end) in pieces {
            let frame = Frame {
                base: f.base.map(|b| b + start),
                outer: self.span(f, start, end),
                ..f.clone()
            };
            self.text(&prepared.sql[start..end], &frame);
        }
        for meta in &prepared.metas {
            self.meta(meta, &[], f);
        }
        true
    }

    fn statement(&mut self, node: &NodeEnum, at: usize, f: &Frame) {
        let span = f.outer;
        match node {
            NodeEnum::DropStmt(d) => self.drop(d, span, f),
            NodeEnum::DropdbStmt(d) => {
                self.env_hints.push(d.dbname.clone());
                let h = self.hit("sql.drop.database", span, f);
                h.target = format!("`{}`", d.dbname);
                h.transactional = false;
            }
            NodeEnum::DropOwnedStmt(d) => {
                let roles = d.roles.iter().filter_map(role_name).collect::<Vec<_>>();
                self.hit("sql.drop.owned", span, f).target = roles.join(", ");
            }
            NodeEnum::DropRoleStmt(d) => {
                let roles = d.roles.iter().filter_map(role_name).collect::<Vec<_>>();
                self.hit("sql.drop.object", span, f).target = format!("role {}", roles.join(", "));
            }
            NodeEnum::DropTableSpaceStmt(d) => {
                self.hit("sql.drop.object", span, f).target =
                    format!("tablespace `{}`", d.tablespacename);
            }
            NodeEnum::DropSubscriptionStmt(d) => {
                let h = self.hit("sql.server.replication", span, f);
                h.why = format!("DROP SUBSCRIPTION {}", d.subname);
                h.transactional = false;
            }
            NodeEnum::TruncateStmt(t) => {
                for rel in &t.relations {
                    if let Some(NodeEnum::RangeVar(r)) = rel.node.as_ref() {
                        self.drop_relation("sql.truncate", r, span, f);
                    }
                }
            }
            NodeEnum::AlterTableStmt(a) => self.alter_table(a, span, f),
            NodeEnum::GrantStmt(g) => {
                let public = g.grantees.iter().any(|n| {
                    matches!(n.node.as_ref(), Some(NodeEnum::RoleSpec(r))
                        if r.roletype == protobuf::RoleSpecType::RolespecPublic as i32)
                });
                if g.is_grant && public {
                    self.hit("sql.security.public-grant", span, f);
                } else if g.is_grant
                    && g.privileges.is_empty()
                    && g.targtype == protobuf::GrantTargetType::AclTargetAllInSchema as i32
                {
                    let who = g.grantees.iter().filter_map(role_name).collect::<Vec<_>>();
                    let h = self.hit("sql.security.escalation", span, f);
                    h.target = format!("`{}`", who.join(", "));
                    h.why = "every privilege on every table of the schema".into();
                } else if !g.is_grant && g.privileges.is_empty() && !public {
                    let who = g.grantees.iter().filter_map(role_name).collect::<Vec<_>>();
                    self.hit("sql.security.revoke-all", span, f).target = who.join(", ");
                }
            }
            NodeEnum::GrantRoleStmt(g) if g.is_grant => {
                let roles = g
                    .granted_roles
                    .iter()
                    .filter_map(|n| match n.node.as_ref()? {
                        NodeEnum::AccessPriv(p) => Some(p.priv_name.clone()),
                        _ => role_name(n),
                    })
                    .collect::<Vec<_>>();
                self.hit("sql.security.role-grant", span, f).target = roles.join(", ");
            }
            NodeEnum::AlterRoleStmt(a) => {
                let role = a
                    .role
                    .as_ref()
                    .map(|r| r.rolename.clone())
                    .unwrap_or_default();
                self.role_options(&role, &a.options, true, span, f);
            }
            NodeEnum::CreateRoleStmt(c) => {
                self.role_options(&c.role, &c.options, false, span, f);
            }
            NodeEnum::VariableSetStmt(v)
                if v.name.eq_ignore_ascii_case("row_security")
                    && v.args.iter().any(|a| {
                        const_text(a).is_some_and(|s| {
                            matches!(s.to_ascii_lowercase().as_str(), "off" | "false" | "0")
                        })
                    }) =>
            {
                let h = self.hit("sql.security.rls-off", span, f);
                h.target = "every table this session reads".into();
            }
            NodeEnum::VariableSetStmt(v)
                if v.kind == protobuf::VariableSetKind::VarReset as i32
                    && matches!(
                        v.name.to_ascii_lowercase().as_str(),
                        "master" | "slave" | "replica" | "binary"
                    ) =>
            {
                let h = self.hit("sql.server.replication", span, f);
                h.why = format!(
                    "RESET {}: the binary logs or replica state are deleted",
                    v.name.to_ascii_uppercase()
                );
                h.transactional = false;
            }
            NodeEnum::VariableSetStmt(v)
                if v.name.eq_ignore_ascii_case("session_replication_role")
                    && v.args.iter().any(|a| {
                        const_text(a).is_some_and(|s| s.eq_ignore_ascii_case("replica"))
                    }) =>
            {
                self.hit("sql.security.triggers-off", span, f).why =
                    "session_replication_role = replica".into();
            }
            NodeEnum::AlterSystemStmt(a) => {
                if let Some(set) = a.setstmt.as_ref()
                    && let Some(what) = risky_setting(set, true)
                {
                    let h = self.hit(what.rule(), span, f);
                    h.why = format!("ALTER SYSTEM {what}");
                    h.target = "every session".into();
                    h.transactional = false;
                }
            }
            NodeEnum::AlterDatabaseSetStmt(a) => {
                if let Some(set) = a.setstmt.as_ref()
                    && let Some(what) = risky_setting(set, false)
                {
                    let h = self.hit(what.rule(), span, f);
                    h.why = format!("ALTER DATABASE {} SET {what}", a.dbname);
                    h.target = format!("every session of the database `{}`", a.dbname);
                }
            }
            NodeEnum::AlterDatabaseStmt(a) => {
                for o in &a.options {
                    let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
                        continue;
                    };
                    let v = d.arg.as_deref().and_then(const_text).unwrap_or_default();
                    let shut = match d.defname.as_str() {
                        "connection_limit" => v.trim() == "0",
                        "allow_connections" => {
                            matches!(v.to_ascii_lowercase().as_str(), "false" | "off" | "0")
                        }
                        _ => false,
                    };
                    if shut {
                        let h = self.hit("sql.server.lockout", span, f);
                        h.target = format!("the database `{}`", a.dbname);
                        h.why = format!("{} {v}", d.defname.replace('_', " ").to_uppercase());
                    }
                }
            }
            NodeEnum::AlterOwnerStmt(o) => {
                let kind = ObjectType::try_from(o.object_type).unwrap_or(ObjectType::Undefined);
                let name = o
                    .relation
                    .as_ref()
                    .map(relation_name)
                    .or_else(|| object_name_opt(o.object.as_deref()))
                    .unwrap_or_default();
                let owner = o
                    .newowner
                    .as_ref()
                    .map(|r| r.rolename.clone())
                    .unwrap_or_default();
                let h = self.hit("sql.security.owner-change", span, f);
                h.target = format!("the {} `{name}`", owned_kind(kind));
                h.why = owner;
            }
            NodeEnum::AlterSeqStmt(a) => {
                let restart = a.options.iter().find_map(|o| match o.node.as_ref()? {
                    NodeEnum::DefElem(d) if d.defname == "restart" => Some(
                        d.arg
                            .as_deref()
                            .and_then(const_text)
                            .map_or_else(|| "RESTART".to_owned(), |v| format!("RESTART WITH {v}")),
                    ),
                    _ => None,
                });
                if let Some(why) = restart {
                    let h = self.hit("sql.sequence.restart", span, f);
                    h.target = format!(
                        "`{}`",
                        a.sequence.as_ref().map(relation_name).unwrap_or_default()
                    );
                    h.why = why;
                }
            }
            NodeEnum::CopyStmt(c) => {
                self.copy(c, span, f);
                self.walk(node, at, f, true);
            }
            NodeEnum::DoStmt(d) => self.do_block(d, span, f),
            NodeEnum::ExplainStmt(e) => {
                let analyze = e.options.iter().any(|o| {
                    matches!(o.node.as_ref(), Some(NodeEnum::DefElem(d))
                        if d.defname == "analyze" && d.arg.as_deref().and_then(const_text).is_none_or(|v| !matches!(v.as_str(), "false" | "off" | "0")))
                });
                if analyze && let Some(inner) = e.query.as_ref().and_then(|q| q.node.as_ref()) {
                    let frame = Frame {
                        via: push(&f.via, "EXPLAIN ANALYZE (runs the statement)"),
                        ..f.clone()
                    };
                    self.statement(inner, at, &frame);
                }
            }
            NodeEnum::PrepareStmt(p) => {
                if let Some(inner) = p.query.as_ref().and_then(|q| q.node.as_ref()) {
                    let before = self.hits.len();
                    let frame = Frame {
                        via: push(&f.via, &format!("PREPARE {}", p.name)),
                        ..f.clone()
                    };
                    self.statement(inner, at, &frame);
                    // Preparing runs nothing; the hits belong to each EXECUTE.
                    let hits = self.hits.split_off(before);
                    let prepared = Prepared {
                        hits,
                        text: self.statement_text.clone(),
                    };
                    self.prepared.insert(p.name.to_ascii_lowercase(), prepared);
                }
            }
            NodeEnum::ExecuteStmt(e) => match self.prepared.get(&e.name.to_ascii_lowercase()) {
                Some(prepared) => {
                    let bound = literal_params(&e.params)
                        .and_then(|values| bind_params(&prepared.text, &values));
                    let hits: Vec<Hit> = prepared.hits.clone();
                    match bound {
                        // With its parameters in place, `LIKE $1` executed with '%' is judged
                        // as `LIKE '%'`.
                        Some(sql) if f.depth < MAX_NESTING => {
                            let frame = Frame {
                                base: None,
                                outer: span,
                                depth: f.depth + 1,
                                via: push(&f.via, &format!("EXECUTE {}", e.name)),
                            };
                            self.prepared_with_values(&sql, &frame);
                        }
                        _ => self.hits.extend(hits.into_iter().map(|mut h| {
                            h.span = span;
                            h
                        })),
                    }
                }
                None => self.hit("sql.prepared.unknown", span, f).target = format!("`{}`", e.name),
            },
            NodeEnum::CreateFunctionStmt(c) => self.create_function(c, span, f),
            NodeEnum::CreateExtensionStmt(c)
                if UNTRUSTED_LANGUAGES.contains(&c.extname.to_ascii_lowercase().as_str()) =>
            {
                let h = self.hit("sql.code.other-language", span, f);
                h.why = format!(
                    "the untrusted language {}, which lets functions run any code on the database server",
                    c.extname
                );
                h.transactional = false;
            }
            NodeEnum::CreateEventTrigStmt(t) => {
                let h = self.hit("sql.server.config", span, f);
                h.why = format!(
                    "CREATE EVENT TRIGGER {}: it runs on every DDL statement",
                    t.trigname
                );
            }
            NodeEnum::AlterEventTrigStmt(t) if t.tgenabled == "D" => {
                let h = self.hit("sql.security.triggers-off", span, f);
                h.target = t.trigname.clone();
                h.why = format!("ALTER EVENT TRIGGER {} DISABLE", t.trigname);
            }
            NodeEnum::RenameStmt(r) => self.rename(r, span, f),
            NodeEnum::AlterDefaultPrivilegesStmt(a) => {
                let public = a.action.as_ref().is_some_and(|g| {
                    g.is_grant
                        && g.grantees.iter().any(|n| {
                            matches!(n.node.as_ref(), Some(NodeEnum::RoleSpec(r))
                                if r.roletype == protobuf::RoleSpecType::RolespecPublic as i32)
                        })
                });
                if public {
                    self.hit("sql.security.public-grant", span, f);
                }
            }
            NodeEnum::CreatePolicyStmt(p) => {
                let checks = [p.qual.as_deref(), p.with_check.as_deref()];
                self.open_policy(&p.policy_name, p.table.as_ref(), checks, span, f);
            }
            NodeEnum::AlterPolicyStmt(p) => {
                let checks = [p.qual.as_deref(), p.with_check.as_deref()];
                self.open_policy(&p.policy_name, p.table.as_ref(), checks, span, f);
            }
            NodeEnum::AlterRoleSetStmt(a) if a.role.is_none() => {
                let name = a
                    .setstmt
                    .as_ref()
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                self.hit("sql.server.config", span, f).why =
                    format!("ALTER ROLE ALL SET {name}, for every role");
            }
            NodeEnum::AlterRoleSetStmt(a) => {
                let role = a
                    .role
                    .as_ref()
                    .map(|r| r.rolename.clone())
                    .unwrap_or_default();
                if let Some(set) = a.setstmt.as_ref()
                    && let Some(what) = risky_setting(set, false)
                {
                    let h = self.hit(what.rule(), span, f);
                    h.why = format!("ALTER ROLE {role} SET {what}");
                    h.target = format!("every session of the role `{role}`");
                }
            }
            NodeEnum::CreateStmt(c) => {
                if let Some(r) = &c.relation {
                    self.created.insert(relation_key(r));
                }
            }
            NodeEnum::CreateTableAsStmt(c) => {
                if let Some(r) = c.into.as_ref().and_then(|i| i.rel.as_ref()) {
                    self.created.insert(relation_key(r));
                }
                self.walk(node, at, f, false);
            }
            NodeEnum::TransactionStmt(t) => {
                use protobuf::TransactionStmtKind::*;
                match protobuf::TransactionStmtKind::try_from(t.kind) {
                    Ok(TransStmtBegin | TransStmtStart) => {
                        self.transaction_start = Some(self.hits.len());
                    }
                    Ok(TransStmtCommit | TransStmtPrepare) => self.transaction_start = None,
                    Ok(TransStmtRollback) => {
                        if let Some(start) = self.transaction_start.take() {
                            for h in &mut self.hits[start..] {
                                if h.transactional
                                    && table().rule(h.rule).effect > blastwall_core::Effect::Read
                                {
                                    h.why = format!("was `{}`", h.rule);
                                    h.rule = "sql.rolled-back";
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            NodeEnum::LoadStmt(l) => {
                let h = self.hit("sql.server.function", span, f);
                h.why = format!("LOAD '{}' (a library loaded into the server)", l.filename);
                h.transactional = false;
            }
            NodeEnum::SelectStmt(_)
            | NodeEnum::InsertStmt(_)
            | NodeEnum::UpdateStmt(_)
            | NodeEnum::DeleteStmt(_)
            | NodeEnum::MergeStmt(_)
            | NodeEnum::RuleStmt(_)
            | NodeEnum::ViewStmt(_)
            | NodeEnum::CallStmt(_) => self.walk(node, at, f, false),
            _ => {}
        }
    }

    /// Judges the statement of a `PREPARE` whose parameters were replaced by the values an
    /// `EXECUTE` gives.
    fn prepared_with_values(&mut self, sql: &str, f: &Frame) {
        let Ok(parsed) = pg_query::parse(sql, 0) else {
            return;
        };
        for raw in &parsed.protobuf.stmts {
            if let Some(NodeEnum::PrepareStmt(p)) = raw.stmt.as_ref().and_then(|s| s.node.as_ref())
                && let Some(inner) = p.query.as_ref().and_then(|q| q.node.as_ref())
            {
                self.statement(inner, 0, f);
            }
        }
    }

    /// Walks every node of a statement for data-modifying statements and server functions.
    fn walk(&mut self, node: &NodeEnum, at: usize, f: &Frame, skip_root: bool) {
        let nodes = node.nodes();
        // `WITH` queries anywhere in the statement: a data-modifying CTE sees its siblings.
        let ctes: Vec<(String, &NodeEnum)> = nodes
            .iter()
            .filter_map(|(n, _, _, _)| match n {
                pg_query::NodeRef::CommonTableExpr(c) => Some((
                    c.ctename.to_ascii_lowercase(),
                    c.ctequery.as_ref()?.node.as_ref()?,
                )),
                _ => None,
            })
            .collect();
        for (i, (n, _, _, _)) in nodes.iter().enumerate() {
            if i == 0 && skip_root {
                continue;
            }
            match n {
                pg_query::NodeRef::DeleteStmt(d) => {
                    let table = d.relation.as_ref().map(relation_key).unwrap_or_default();
                    let joined_to_itself =
                        self_join(&table, &d.using_clause, d.where_clause.as_deref());
                    let target = target_of(d.relation.as_ref(), &ctes, &[], &d.using_clause);
                    let write = Write {
                        rule: "sql.delete.unbounded",
                        operation: "DELETE",
                        relation: d.relation.as_ref(),
                        filter: d.where_clause.as_deref(),
                    };
                    self.row_write(write, target, joined_to_itself, f);
                }
                pg_query::NodeRef::UpdateStmt(u) => {
                    let target =
                        target_of(u.relation.as_ref(), &ctes, &u.target_list, &u.from_clause);
                    let write = Write {
                        rule: "sql.update.unbounded",
                        operation: "UPDATE",
                        relation: u.relation.as_ref(),
                        filter: u.where_clause.as_deref(),
                    };
                    self.row_write(write, target, None, f);
                }
                pg_query::NodeRef::MergeStmt(m) => self.merge(m, &ctes, f),
                pg_query::NodeRef::InsertStmt(i) => {
                    self.catalog_write(i.relation.as_ref(), f);
                    self.overwrite_from_itself(i, f);
                }
                pg_query::NodeRef::SelectStmt(s) => {
                    if let Some(r) = s.into_clause.as_ref().and_then(|i| i.rel.as_ref()) {
                        self.created.insert(relation_key(r));
                    }
                }
                pg_query::NodeRef::RuleStmt(r) => self.rule(r, at, f),
                pg_query::NodeRef::FuncCall(c) => self.call(c, at, f),
                _ => {}
            }
        }
    }

    /// `MERGE INTO t USING s ON …`: every row of `t` is updated or deleted when the condition
    /// matches them all and a `WHEN MATCHED` branch without a condition of its own does it.
    fn merge(&mut self, m: &protobuf::MergeStmt, ctes: &[(String, &NodeEnum)], f: &Frame) {
        let on = m.join_condition.as_ref().and_then(|j| j.node.as_ref());
        let table = m.relation.as_ref().map(relation_key).unwrap_or_default();
        let itself = m
            .source_relation
            .as_ref()
            .and_then(|src| {
                self_join(
                    &table,
                    std::slice::from_ref(src),
                    m.join_condition.as_deref(),
                )
            })
            .map(|_| "its MERGE matches the table against itself, so every row matches".to_owned());
        let always = on
            .is_some_and(|j| crate::predicate::always_true(j, 0))
            .then(|| "its MERGE joins on a condition that is always true".to_owned());
        let target = target_of(
            m.relation.as_ref(),
            ctes,
            &[],
            m.source_relation
                .as_deref()
                .map(std::slice::from_ref)
                .unwrap_or(&[]),
        );
        let whole_join = on.and_then(|j| crate::predicate::merge_matches_every_row(j, &target));
        if let Some(why) = itself.or(always).or(whole_join) {
            for w in &m.merge_when_clauses {
                let Some(NodeEnum::MergeWhenClause(c)) = w.node.as_ref() else {
                    continue;
                };
                let matched = c.match_kind == protobuf::MergeMatchKind::MergeWhenMatched as i32;
                if !matched || c.condition.is_some() {
                    continue;
                }
                let rule = if c.command_type == protobuf::CmdType::CmdDelete as i32 {
                    "sql.delete.unbounded"
                } else if c.command_type == protobuf::CmdType::CmdUpdate as i32 {
                    "sql.update.unbounded"
                } else {
                    continue;
                };
                let h = self.hit(rule, f.outer, f);
                h.target = m.relation.as_ref().map(relation_name).unwrap_or_default();
                h.why = why.clone();
                h.operation = "MERGE".into();
            }
        }
        self.catalog_write(m.relation.as_ref(), f);
    }

    /// `REPLACE INTO t SELECT … FROM t` (MySQL) or `INSERT … ON CONFLICT DO UPDATE` fed by the
    /// whole table itself: every row is written over.
    fn overwrite_from_itself(&mut self, i: &protobuf::InsertStmt, f: &Frame) {
        let Some(r) = i.relation.as_ref() else {
            return;
        };
        let upsert = i.on_conflict_clause.as_ref().is_some_and(|c| {
            c.action == protobuf::OnConflictAction::OnconflictUpdate as i32
                && c.where_clause.is_none()
        });
        if !upsert {
            return;
        }
        let Some(NodeEnum::SelectStmt(sel)) = i.select_stmt.as_ref().and_then(|s| s.node.as_ref())
        else {
            return;
        };
        let whole = sel
            .where_clause
            .as_ref()
            .and_then(|w| w.node.as_ref())
            .is_none_or(|w| crate::predicate::always_true(w, 0))
            && sel.limit_count.is_none()
            && sel.values_lists.is_empty()
            && matches!(sel.from_clause.as_slice(), [one] if matches!(one.node.as_ref(), Some(NodeEnum::RangeVar(_))));
        if whole {
            let h = self.hit("sql.update.unbounded", f.outer, f);
            h.target = relation_name(r);
            h.why = "it inserts every row of a whole table, and each one that is already there is written over".into();
            h.operation = "INSERT … ON CONFLICT DO UPDATE".into();
        }
    }

    /// `CREATE RULE … DO INSTEAD NOTHING` discards every write it is on; the actions of a rule
    /// run with every such write and are judged as if they ran.
    fn rule(&mut self, r: &protobuf::RuleStmt, at: usize, f: &Frame) {
        let table = r.relation.as_ref().map(relation_name).unwrap_or_default();
        let event = match protobuf::CmdType::try_from(r.event) {
            Ok(protobuf::CmdType::CmdInsert) => "INSERT",
            Ok(protobuf::CmdType::CmdUpdate) => "UPDATE",
            Ok(protobuf::CmdType::CmdDelete) => "DELETE",
            _ => "SELECT",
        };
        if r.instead && r.actions.is_empty() && event != "SELECT" {
            let h = self.hit("sql.rule.discard", f.outer, f);
            h.target = format!("`{table}`");
            h.why = event.into();
        }
        let frame = Frame {
            base: None,
            via: push(
                &f.via,
                &format!(
                    "CREATE RULE {} (runs with every {event} on {table})",
                    r.rulename
                ),
            ),
            ..f.clone()
        };
        for action in &r.actions {
            if let Some(n) = action.node.as_ref() {
                self.statement(n, at, &frame);
            }
        }
    }

    fn call(&mut self, c: &protobuf::FuncCall, at: usize, f: &Frame) {
        let Some(name) = c.funcname.last().and_then(string_of) else {
            return;
        };
        let name = name.to_ascii_lowercase();
        let loc = usize::try_from(c.location).unwrap_or(0).saturating_sub(at);
        let call_span = {
            let start = f.outer.start + loc;
            let span = Span::new(start, (start + name.len()).min(f.outer.end));
            if f.base.is_some() && span.start < span.end && span.end <= self.input.len() {
                span
            } else {
                f.outer
            }
        };
        if let Some(function) = self.functions.get(&name).cloned() {
            let via = push(&f.via, &format!("{name}()"));
            self.run_function(&name, &function, via, call_span, f);
            return;
        }
        if matches!(
            name.as_str(),
            "exec"
                | "execute"
                | "exec_sql"
                | "execute_sql"
                | "run_sql"
                | "sql_exec"
                | "exec_query"
                | "dblink_exec"
                | "dblink"
                | "dblink_send_query"
                | "dblink_open"
                | "query_to_xml"
                | "query_to_xml_and_xmlschema"
                | "query_to_xmlschema"
                | "cursor_to_xml"
        ) {
            self.sql_argument(&name, c, call_span, f);
            return;
        }
        if name == "set_config"
            && c.args
                .first()
                .and_then(const_text)
                .is_some_and(|s| s.eq_ignore_ascii_case("session_replication_role"))
            && c.args
                .get(1)
                .and_then(const_text)
                .is_some_and(|s| s.eq_ignore_ascii_case("replica"))
        {
            self.hit("sql.security.triggers-off", call_span, f).why =
                "set_config('session_replication_role', 'replica')".into();
            return;
        }
        let Some(rule) = table().function(&name) else {
            return;
        };
        if rule.when.as_deref() == Some("non-constant-argument")
            && c.args.iter().all(|a| const_text(a).is_some())
        {
            return;
        }
        let id = static_rule(&rule.rule);
        let h = self.hit(id, call_span, f);
        h.why = format!("{name}()");
        h.transactional = false;
    }

    /// `dblink_exec('host=prod', 'DROP TABLE t')`: the SQL argument is judged as SQL; connection
    /// strings are environment hints; SQL only known at run time is unknown.
    fn sql_argument(&mut self, name: &str, c: &protobuf::FuncCall, span: Span, f: &Frame) {
        if f.depth >= MAX_NESTING {
            self.hit("sql.too-large", span, f).why =
                format!("nested more than {MAX_NESTING} levels");
            return;
        }
        let mut judged = false;
        for arg in &c.args {
            match const_text(arg) {
                Some(text) if text.contains('=') && !looks_like_sql(&text) => {
                    self.env_hints.push(text);
                }
                Some(text) if looks_like_sql(&text) => {
                    let frame = Frame {
                        base: None,
                        outer: span,
                        depth: f.depth + 1,
                        via: push(&f.via, &format!("{name}()")),
                    };
                    let before = self.hits.len();
                    self.text(&text, &frame);
                    for h in &mut self.hits[before..] {
                        h.transactional = false;
                    }
                    judged = true;
                }
                Some(_) => {}
                None => {
                    self.hit("sql.dynamic", span, f).why =
                        format!("{name}() with SQL from an expression");
                    return;
                }
            }
        }
        if !judged && name != "dblink_open" {
            self.hit("sql.dynamic", span, f).why = format!("{name}() without literal SQL");
        }
    }

    /// `CREATE FUNCTION`: remembered, so that a call later in the same input runs its body; in an
    /// untrusted language (C, plpython3u, …) it is code on the server, judged at creation.
    fn create_function(&mut self, c: &protobuf::CreateFunctionStmt, span: Span, f: &Frame) {
        let name = c
            .funcname
            .last()
            .and_then(string_of)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut language = "sql".to_owned();
        let mut body = String::new();
        for o in &c.options {
            let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
                continue;
            };
            match d.defname.as_str() {
                "language" => {
                    if let Some(l) = d.arg.as_deref().and_then(const_text) {
                        language = l.to_ascii_lowercase();
                    }
                }
                "as" => {
                    if let Some(NodeEnum::List(l)) = d.arg.as_ref().and_then(|a| a.node.as_ref()) {
                        body = l
                            .items
                            .iter()
                            .filter_map(string_of)
                            .collect::<Vec<_>>()
                            .join("\n");
                    }
                }
                _ => {}
            }
        }
        if UNTRUSTED_LANGUAGES.contains(&language.as_str()) {
            let h = self.hit("sql.code.other-language", span, f);
            h.why = format!("a function in {language}, which runs any code on the database server");
            h.transactional = false;
        }
        if c.sql_body.is_some() && body.is_empty() {
            // `BEGIN ATOMIC … END`: the body is SQL of the statement's own text.
            body = self
                .input
                .get(span.start..span.end)
                .unwrap_or("")
                .to_owned();
            if let Some(i) = body.to_ascii_lowercase().find("begin atomic") {
                body = body[i + "begin atomic".len()..]
                    .trim_end()
                    .trim_end_matches(';')
                    .to_owned();
                if body.to_ascii_lowercase().ends_with("end") {
                    body.truncate(body.len() - 3);
                }
            }
            language = "sql".into();
        }
        let trigger = c.return_type.as_ref().is_some_and(|t| {
            t.names.last().and_then(string_of).is_some_and(|n| {
                n.eq_ignore_ascii_case("trigger") || n.eq_ignore_ascii_case("event_trigger")
            })
        });
        let function = Function {
            language,
            body,
            definition: deparse_function(c),
            trigger,
        };
        // The body runs whenever the function is called (by a trigger: on every write), so it is
        // judged now, as if it ran.
        let via = push(
            &f.via,
            &format!("CREATE FUNCTION {name} (its body runs whenever it is called)"),
        );
        self.run_function(&name, &function, via, span, f);
        self.functions.insert(name, function);
    }

    /// A call of a function created earlier in the same input: its body runs now.
    fn run_function(
        &mut self,
        name: &str,
        function: &Function,
        via: Vec<String>,
        span: Span,
        f: &Frame,
    ) {
        if !self.calling.insert(name.to_owned()) || f.depth >= MAX_NESTING {
            return;
        }
        match (function.language.as_str(), &function.definition) {
            ("plpgsql", _) if function.trigger => {
                crate::plpgsql::judge_trigger_body(self, &function.body, span, f.depth, &via);
            }
            ("plpgsql", Some(definition)) => {
                crate::plpgsql::judge_function(self, definition, span, f.depth, &via);
            }
            ("plpgsql", None) => {
                crate::plpgsql::judge_body(self, &function.body, span, f.depth, &via);
            }
            ("sql", _) => self.nested(&function.body, span, f.depth, &via),
            _ => {}
        }
        self.calling.remove(name);
    }

    fn rename(&mut self, r: &protobuf::RenameStmt, span: Span, f: &Frame) {
        let kind = ObjectType::try_from(r.rename_type).unwrap_or(ObjectType::Undefined);
        let what = match kind {
            ObjectType::ObjectDatabase => format!(
                "the database `{}`",
                object_name_opt(r.object.as_deref()).unwrap_or_else(|| r.subname.clone())
            ),
            ObjectType::ObjectTable | ObjectType::ObjectMatview | ObjectType::ObjectSchema => {
                let name = r
                    .relation
                    .as_ref()
                    .map(relation_name)
                    .or_else(|| object_name_opt(r.object.as_deref()))
                    .unwrap_or_else(|| r.subname.clone());
                format!("`{name}`")
            }
            ObjectType::ObjectColumn => format!(
                "the column `{}.{}`",
                r.relation.as_ref().map(relation_name).unwrap_or_default(),
                r.subname
            ),
            _ => return,
        };
        self.hit("sql.rename", span, f).target = format!("{what} to `{}`", r.newname);
    }

    /// A DELETE or UPDATE: unbounded when its WHERE clause (or `also`, a reason found
    /// elsewhere) reaches every row; a write to the system catalog either way.
    fn row_write(
        &mut self,
        w: Write<'_>,
        target: crate::predicate::Target<'_>,
        also: Option<String>,
        f: &Frame,
    ) {
        if let Some(why) = reaches_every_row(w.filter, &target).or(also) {
            let h = self.hit(w.rule, f.outer, f);
            h.target = w.relation.map(relation_name).unwrap_or_default();
            h.why = why;
            h.operation = w.operation.into();
        }
        self.catalog_write(w.relation, f);
    }

    /// A row-level security policy whose condition is always true lets every role see every row.
    fn open_policy(
        &mut self,
        name: &str,
        table: Option<&protobuf::RangeVar>,
        checks: [Option<&pg_query::Node>; 2],
        span: Span,
        f: &Frame,
    ) {
        let open = checks.into_iter().flatten().any(|n| {
            n.node
                .as_ref()
                .is_some_and(|n| crate::predicate::always_true(n, 0))
        });
        if open {
            let table = table.map(relation_name).unwrap_or_default();
            let h = self.hit("sql.security.rls-off", span, f);
            h.target = format!("{table} (policy `{name}` is always true)");
        }
    }

    /// Whether the input created the table `name` earlier.
    pub(crate) fn was_created(&self, name: &str) -> bool {
        self.created.contains(&name.to_ascii_lowercase())
    }

    pub(crate) fn created_here(&mut self, name: &str) {
        self.created.insert(name.to_ascii_lowercase());
    }

    /// [`Judge::catalog_write`] of a table known by name only.
    pub(crate) fn catalog_write_named(&mut self, name: &str, f: &Frame) {
        let r = protobuf::RangeVar {
            relname: name.to_owned(),
            ..Default::default()
        };
        self.catalog_write(Some(&r), f);
    }

    /// Writes to the system catalog (`UPDATE pg_authid SET rolsuper = true`, `DELETE FROM
    /// sqlite_master`) change the server's own bookkeeping: roles, privileges, the schema.
    fn catalog_write(&mut self, relation: Option<&protobuf::RangeVar>, f: &Frame) {
        let Some(r) = relation else {
            return;
        };
        let name = r.relname.to_ascii_lowercase();
        if r.schemaname.eq_ignore_ascii_case("pg_catalog")
            || r.schemaname.eq_ignore_ascii_case("information_schema")
            || name.starts_with("pg_")
            || name.starts_with("sqlite_")
        {
            let h = self.hit("sql.security.escalation", f.outer, f);
            h.target = format!("the system catalog `{}`", relation_name(r));
            h.why = "a direct write to the server's own bookkeeping".into();
        }
    }

    fn drop(&mut self, d: &protobuf::DropStmt, span: Span, f: &Frame) {
        let kind = ObjectType::try_from(d.remove_type).unwrap_or(ObjectType::Undefined);
        let cascade = d.behavior == protobuf::DropBehavior::DropCascade as i32;
        let names: Vec<String> = d.objects.iter().map(object_name).collect();
        match kind {
            ObjectType::ObjectTable
            | ObjectType::ObjectForeignTable
            | ObjectType::ObjectMatview => {
                for obj in &d.objects {
                    let r = range_var_of(obj);
                    self.drop_relation("sql.drop.table", &r, span, f);
                }
            }
            ObjectType::ObjectSchema => {
                let h = self.hit("sql.drop.schema", span, f);
                h.target = names.join(", ");
            }
            ObjectType::ObjectDatabase => {
                self.hit("sql.drop.database", span, f).target = names.join(", ");
            }
            _ => {
                let what = object_kind(kind);
                let rule = if cascade {
                    "sql.drop.cascade"
                } else {
                    "sql.drop.object"
                };
                self.hit(rule, span, f).target = format!("{what} {}", names.join(", "));
            }
        }
    }

    /// DROP TABLE or TRUNCATE of one relation: nothing is lost if this input created it.
    fn drop_relation(&mut self, rule: &'static str, r: &protobuf::RangeVar, span: Span, f: &Frame) {
        let temporary = r.schemaname.eq_ignore_ascii_case("pg_temp");
        let rule = if temporary || self.created.contains(&relation_key(r)) {
            "sql.created-here"
        } else {
            rule
        };
        self.hit(rule, span, f).target = relation_name(r);
    }

    fn alter_table(&mut self, a: &protobuf::AlterTableStmt, span: Span, f: &Frame) {
        use protobuf::AlterTableType::*;
        let table = a.relation.as_ref().map(relation_name).unwrap_or_default();
        for cmd in &a.cmds {
            let Some(NodeEnum::AlterTableCmd(c)) = cmd.node.as_ref() else {
                continue;
            };
            let Ok(subtype) = protobuf::AlterTableType::try_from(c.subtype) else {
                continue;
            };
            let (rule, target, why): (&'static str, String, String) = match subtype {
                AtDropColumn => (
                    "sql.drop.column",
                    format!("{table}.{}", c.name),
                    String::new(),
                ),
                AtAlterColumnType => {
                    if !lossy_type_change(c) {
                        continue;
                    }
                    (
                        "sql.alter.lossy-type",
                        format!("{table}.{}", c.name),
                        String::new(),
                    )
                }
                AtDropConstraint => (
                    "sql.drop.constraint",
                    format!("{} on {table}", c.name),
                    String::new(),
                ),
                AtDisableRowSecurity | AtNoForceRowSecurity => {
                    ("sql.security.rls-off", table.clone(), String::new())
                }
                AtSetUnLogged => (
                    "sql.server.replication",
                    table.clone(),
                    format!(
                        "ALTER TABLE {table} SET UNLOGGED: the table is no longer crash-safe or replicated"
                    ),
                ),
                AtReplicaIdentity
                    if matches!(c.def.as_ref().and_then(|d| d.node.as_ref()),
                        Some(NodeEnum::ReplicaIdentityStmt(r)) if r.identity_type == "n") =>
                {
                    (
                        "sql.server.replication",
                        table.clone(),
                        format!(
                            "REPLICA IDENTITY NOTHING on {table}: logical replication can no longer apply its updates and deletes"
                        ),
                    )
                }
                AtDropIdentity => (
                    "sql.drop.constraint",
                    format!("identity of {table}.{}", c.name),
                    String::new(),
                ),
                AtChangeOwner => (
                    "sql.security.owner-change",
                    format!("the table `{table}`"),
                    c.newowner
                        .as_ref()
                        .map(|r| r.rolename.clone())
                        .unwrap_or_default(),
                ),
                AtDisableTrig | AtDisableTrigAll | AtDisableTrigUser => (
                    "sql.security.triggers-off",
                    table.clone(),
                    format!("ALTER TABLE {table} DISABLE TRIGGER"),
                ),
                _ => continue,
            };
            let h = self.hit(rule, span, f);
            h.target = target;
            h.why = why;
        }
    }

    fn role_options(
        &mut self,
        role: &str,
        options: &[pg_query::Node],
        alter: bool,
        span: Span,
        f: &Frame,
    ) {
        for o in options {
            let Some(NodeEnum::DefElem(d)) = o.node.as_ref() else {
                continue;
            };
            let on = d
                .arg
                .as_deref()
                .and_then(const_text)
                .is_none_or(|v| matches!(v.as_str(), "true" | "1" | "on"));
            match d.defname.as_str() {
                "superuser" | "createrole" | "bypassrls" | "replication" if on => {
                    let h = self.hit("sql.security.escalation", span, f);
                    h.target = format!("`{role}`");
                    h.why = d.defname.to_ascii_uppercase();
                }
                "password" if alter => {
                    self.hit("sql.security.credential", span, f).target = format!("`{role}`");
                }
                _ => {}
            }
        }
    }

    fn copy(&mut self, c: &protobuf::CopyStmt, span: Span, f: &Frame) {
        if c.is_program {
            let h = self.hit("sql.server.program", span, f);
            h.why = format!("COPY … PROGRAM '{}'", c.filename);
            h.transactional = false;
        } else if !c.filename.is_empty() {
            let rule = if c.is_from {
                "sql.server.file-read"
            } else {
                "sql.server.file-write"
            };
            let h = self.hit(rule, span, f);
            h.why = format!("COPY … '{}'", c.filename);
            h.transactional = false;
        }
    }

    /// `DO $$ … $$`: PL/pgSQL is parsed and every statement it runs is judged; other languages
    /// are code blastwall does not read.
    fn do_block(&mut self, d: &protobuf::DoStmt, span: Span, f: &Frame) {
        let mut body = None;
        let mut language = "plpgsql".to_owned();
        for arg in &d.args {
            if let Some(NodeEnum::DefElem(e)) = arg.node.as_ref() {
                match e.defname.as_str() {
                    "as" => body = e.arg.as_deref().and_then(const_text),
                    "language" => {
                        if let Some(l) = e.arg.as_deref().and_then(const_text) {
                            language = l.to_ascii_lowercase();
                        }
                    }
                    _ => {}
                }
            }
        }
        let Some(body) = body else {
            return;
        };
        if language != "plpgsql" {
            let h = self.hit("sql.code.other-language", span, f);
            h.why = format!("a DO block in {language}");
            h.transactional = false;
            return;
        }
        if f.depth >= MAX_NESTING {
            self.hit("sql.too-large", span, f).why =
                format!("nested more than {MAX_NESTING} levels");
            return;
        }
        crate::plpgsql::judge_body(self, &body, span, f.depth, &push(&f.via, "DO block"));
    }

    /// Judges SQL found inside a PL/pgSQL body or a psql command, at the span of its enclosing
    /// statement.
    pub(crate) fn nested(&mut self, sql: &str, outer: Span, depth: usize, via: &[String]) {
        let frame = Frame {
            base: None,
            outer,
            depth: depth + 1,
            via: via.to_vec(),
        };
        self.text(sql, &frame);
    }

    pub(crate) fn unknown(&mut self, rule: &'static str, why: String, span: Span, via: &[String]) {
        let frame = Frame {
            base: None,
            outer: span,
            depth: 0,
            via: via.to_vec(),
        };
        let h = self.hit(rule, span, &frame);
        h.why = why;
        h.transactional = false;
    }

    /// A psql meta-command.
    fn meta(&mut self, m: &Meta, stmts: &[(Span, &pg_query::Node, &str)], f: &Frame) {
        let span = self.span(f, m.span.start, m.span.end);
        let frame = Frame {
            outer: span,
            base: None,
            ..f.clone()
        };
        let first_word = m
            .arg
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches(['\'', '"']);
        if m.name.starts_with('.') {
            self.dot_command(m, first_word, span, &frame);
            return;
        }
        match m.name.as_str() {
            "!" => self.shell(&m.arg, span, &frame, "\\!"),
            "o" | "out" | "g" | "gx" | "w" | "write" if m.arg.starts_with('|') => {
                self.shell(m.arg[1..].trim(), span, &frame, "\\o |");
            }
            "o" | "out" | "g" | "gx" | "w" | "write" | "lo_export" if !first_word.is_empty() => {
                let path = if m.name == "lo_export" {
                    m.arg
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("")
                        .trim_matches(['\'', '"'])
                } else {
                    first_word
                };
                self.shell(&write_to(path), span, &frame, "\\o file");
            }
            "i" | "ir" | "include" | "include_relative" => {
                let h = self.hit("sql.client.include", span, &frame);
                h.target = format!("`{first_word}`");
                h.why = format!("\\{}", m.name);
                h.transactional = false;
            }
            "gexec" => self.gexec(m.span.start, span, stmts, &frame),
            "c" | "connect" => self
                .env_hints
                .extend(m.arg.split_whitespace().map(str::to_owned)),
            "copy" => {
                let lower = m.arg.to_ascii_lowercase();
                if let Some(i) = lower.find(" program ") {
                    let cmd = m.arg[i + 9..].trim().trim_matches(['\'', '"']);
                    // The rows go to (or come from) a command: data leaves the database.
                    let h = self.hit("sql.client.shell", span, &frame);
                    h.why = format!("\\copy … program '{cmd}' hands the table's rows to a command");
                    h.transactional = false;
                    self.shell(cmd, span, &frame, "\\copy … program");
                } else if let Some(i) = lower.find(" to ") {
                    let path = m.arg[i + 4..].split_whitespace().next().unwrap_or("");
                    let path = path.trim_matches(['\'', '"']);
                    if !matches!(path.to_ascii_lowercase().as_str(), "stdout" | "pstdout") {
                        self.shell(&write_to(path), span, &frame, "\\copy … to");
                    }
                }
            }
            "lo_unlink" => {
                let h = self.hit("sql.server.large-object-delete", span, &frame);
                h.why = "\\lo_unlink".into();
                h.transactional = false;
            }
            "password" => {
                self.hit("sql.security.credential", span, &frame).target =
                    format!("`{first_word}`");
            }
            name if is_harmless_meta(name) => {}
            _ => {
                let h = self.hit("sql.client.command", span, &frame);
                h.target = format!("`\\{}`", m.name);
                h.transactional = false;
            }
        }
    }

    /// A sqlite3 dot-command: shell escapes are judged as shell, files it writes as writes, a
    /// file it reads statements from as an include; listing and display settings are harmless;
    /// anything else is asked about.
    fn dot_command(&mut self, m: &Meta, first_word: &str, span: Span, frame: &Frame) {
        let last_word = m
            .arg
            .split_whitespace()
            .last()
            .unwrap_or("")
            .trim_matches(['\'', '"']);
        match m.name.as_str() {
            ".shell" | ".system" => self.shell(&m.arg, span, frame, &m.name),
            ".output" | ".once" | ".log" if m.arg.starts_with('|') => {
                self.shell(m.arg[1..].trim(), span, frame, &m.name);
            }
            ".read" if m.arg.starts_with('|') => {
                let h = self.hit("sql.client.shell", span, frame);
                h.why = format!("{} runs a command and reads statements from it", m.name);
                h.transactional = false;
                self.shell(m.arg[1..].trim(), span, frame, ".read |");
            }
            // Output to a file (`-e`/`-x` open an editor or spreadsheet; `stdout`/`off` reset).
            ".output" | ".once" | ".log"
                if !first_word.is_empty()
                    && !first_word.starts_with('-')
                    && !matches!(first_word, "stdout" | "stderr" | "off") =>
            {
                self.shell(&write_to(first_word), span, frame, &m.name);
            }
            ".save" | ".backup" | ".clone" if !last_word.is_empty() => {
                self.shell(&write_to(last_word), span, frame, &m.name);
            }
            ".open" if m.arg.split_whitespace().any(|w| w == "--new") && !last_word.is_empty() => {
                self.shell(&write_to(last_word), span, frame, ".open --new");
            }
            ".read" => {
                let h = self.hit("sql.client.include", span, frame);
                h.target = format!("`{first_word}`");
                h.why = ".read".into();
                h.transactional = false;
            }
            name if is_harmless_dot_command(name) => {}
            _ => {
                // `.restore` (replaces the database), `.import` (writes rows), `.load` (native
                // code), and anything unknown.
                let h = self.hit("sql.client.command", span, frame);
                h.target = format!("`{}`", m.name);
                h.transactional = false;
            }
        }
    }

    /// `SELECT format('DROP TABLE %I', tablename) FROM pg_tables \gexec`: each result row runs
    /// as a statement; the statement's shape is judged from the query's first output column.
    fn gexec(
        &mut self,
        local_start: usize,
        span: Span,
        stmts: &[(Span, &pg_query::Node, &str)],
        f: &Frame,
    ) {
        let shape = stmts
            .iter()
            .rev()
            .find(|(s, _, _)| s.end <= local_start)
            .and_then(|(_, n, _)| match n.node.as_ref()? {
                NodeEnum::SelectStmt(s) => s.target_list.first().cloned(),
                _ => None,
            })
            .and_then(|t| match t.node? {
                NodeEnum::ResTarget(r) => r.val.and_then(|v| crate::plpgsql::skeleton(&v, 0)),
                _ => None,
            });
        match shape {
            Some(sql) if looks_like_sql(&sql) && f.depth < MAX_NESTING => {
                let before = self.hits.len();
                self.nested(&sql, span, f.depth, &push(&f.via, "\\gexec"));
                for h in &mut self.hits[before..] {
                    if h.rule == "sql.unparseable" {
                        h.rule = "sql.dynamic";
                        h.why = "\\gexec of statements built by a query".into();
                    }
                }
                name_runtime_targets(&mut self.hits[before..]);
            }
            _ => {
                let h = self.hit("sql.dynamic", span, f);
                h.why = "\\gexec runs every row a query returns as a statement".into();
                h.transactional = false;
            }
        }
    }

    /// A shell command run by the client, judged by the shell classifier when there is one.
    fn shell(&mut self, command: &str, span: Span, f: &Frame, how: &str) {
        match self.registry.classify(Language::Shell, command, self.ctx) {
            Some(actions) => {
                for a in actions {
                    self.hits.push(Hit {
                        rule: "",
                        operation: a.operation.clone(),
                        target: String::new(),
                        why: String::new(),
                        span,
                        via: push(&f.via, how),
                        transactional: false,
                    });
                    let last = self.hits.len() - 1;
                    self.foreign.push((last, a));
                }
            }
            None => {
                let h = self.hit("sql.client.shell", span, f);
                h.why = format!("{how} {command}");
                h.transactional = false;
            }
        }
    }
}

/// Targets of SQL built at run time are placeholders (`x`, `x.x`): say so instead.
pub(crate) fn name_runtime_targets(hits: &mut [Hit]) {
    for h in hits {
        let placeholder = !h.target.is_empty()
            && h.target
                .split(['.', ',', ' '])
                .filter(|p| !p.is_empty())
                .all(|p| p == crate::plpgsql::PLACEHOLDER);
        if placeholder {
            h.target = "objects named only when it runs".into();
        }
    }
}

/// psql meta-commands that only show, format or set client-side state.
/// The shell command that writes output of unknown content to `path`: how a client's writes
/// (`\o file`, `\copy … to file`, `.output file`) are handed to the shell classifier.
fn write_to(path: &str) -> String {
    format!("cat > '{}'", path.replace('\'', "'\\''"))
}

/// sqlite3 dot-commands that only show things or set how output looks.
fn is_harmless_dot_command(name: &str) -> bool {
    matches!(
        name,
        ".tables"
            | ".table"
            | ".schema"
            | ".fullschema"
            | ".indexes"
            | ".indices"
            | ".dump"
            | ".databases"
            | ".dbinfo"
            | ".dbconfig"
            | ".mode"
            | ".headers"
            | ".header"
            | ".width"
            | ".timer"
            | ".help"
            | ".show"
            | ".print"
            | ".quit"
            | ".exit"
            | ".nullvalue"
            | ".separator"
            | ".echo"
            | ".changes"
            | ".stats"
            | ".eqp"
            | ".explain"
            | ".lint"
            | ".bail"
            | ".prompt"
            | ".limit"
            | ".timeout"
            | ".version"
            | ".open"
            | ".output"
            | ".once"
            | ".parameter"
            | ".sha3sum"
            | ".selftest"
            | ".vfsinfo"
            | ".vfslist"
    )
}

fn is_harmless_meta(name: &str) -> bool {
    const HARMLESS: &[&str] = &[
        "a",
        "bind",
        "bind_named",
        "c",
        "C",
        "close_prepared",
        "conninfo",
        "copyright",
        "crosstabview",
        "echo",
        "elif",
        "else",
        "encoding",
        "endif",
        "endpipeline",
        "errverbose",
        "f",
        "flush",
        "flushrequest",
        "g",
        "gdesc",
        "getenv",
        "getresults",
        "gset",
        "gx",
        "h",
        "H",
        "help",
        "if",
        "l",
        "list",
        "p",
        "parse",
        "print",
        "prompt",
        "pset",
        "q",
        "qecho",
        "quit",
        "r",
        "reset",
        "restrict",
        "sendpipeline",
        "set",
        "setenv",
        "sf",
        "startpipeline",
        "sv",
        "syncpipeline",
        "t",
        "T",
        "timing",
        "unrestrict",
        "unset",
        "warn",
        "x",
        "z",
        "?",
        "",
    ];
    HARMLESS.contains(&name) || (name.starts_with('d') && name.len() <= 5 && name != "do")
}

/// Statements that only read.
fn is_read(node: Option<&NodeEnum>) -> bool {
    match node {
        Some(NodeEnum::SelectStmt(s)) => s.into_clause.is_none() && s.locking_clause.is_empty(),
        Some(
            NodeEnum::ExplainStmt(_)
            | NodeEnum::VariableShowStmt(_)
            | NodeEnum::VariableSetStmt(_)
            | NodeEnum::TransactionStmt(_)
            | NodeEnum::PrepareStmt(_)
            | NodeEnum::DeallocateStmt(_)
            | NodeEnum::ListenStmt(_)
            | NodeEnum::UnlistenStmt(_)
            | NodeEnum::DiscardStmt(_),
        ) => true,
        _ => false,
    }
}

fn trim(text: &str, start: usize, end: usize) -> (usize, usize) {
    let slice = text.get(start..end).unwrap_or("");
    let lead = slice.len() - slice.trim_start().len();
    let trail = slice.len() - slice.trim_end().len();
    if lead + trail >= slice.len() {
        (start, end)
    } else {
        (start + lead, end - trail)
    }
}

/// `DROP TABLE`, `DELETE`, `ALTER TABLE`: the statement's leading keywords.
fn operation_of(text: &str) -> String {
    let mut words = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .filter(|w| !w.is_empty());
    let first = words.next().unwrap_or("").to_ascii_uppercase();
    match first.as_str() {
        "DROP" | "ALTER" | "CREATE" | "GRANT" | "REVOKE" | "COPY" | "EXPLAIN" => {
            let second = words.next().unwrap_or("").to_ascii_uppercase();
            format!("{first} {second}").trim().to_owned()
        }
        _ => first,
    }
}

fn push(via: &[String], step: &str) -> Vec<String> {
    via.iter().cloned().chain([step.to_owned()]).collect()
}

fn parse_error(e: &pg_query::Error) -> String {
    match e {
        pg_query::Error::Parse(m) => m.clone(),
        pg_query::Error::Conversion(_) => "it contains a NUL byte".into(),
        other => other.to_string(),
    }
}

pub(crate) fn string_of(n: &pg_query::Node) -> Option<String> {
    match n.node.as_ref()? {
        NodeEnum::String(s) => Some(s.sval.clone()),
        _ => None,
    }
}

/// The text of a literal (`'x'`, `1`, `true`, `'x'::text`).
pub(crate) fn const_text(n: &pg_query::Node) -> Option<String> {
    match n.node.as_ref()? {
        NodeEnum::AConst(c) => match c.val.as_ref()? {
            Val::Sval(s) => Some(s.sval.clone()),
            Val::Ival(i) => Some(i.ival.to_string()),
            Val::Fval(f) => Some(f.fval.clone()),
            Val::Boolval(b) => Some(b.boolval.to_string()),
            Val::Bsval(b) => Some(b.bsval.clone()),
        },
        NodeEnum::TypeCast(t) => t.arg.as_deref().and_then(const_text),
        NodeEnum::String(s) => Some(s.sval.clone()),
        NodeEnum::Integer(i) => Some(i.ival.to_string()),
        NodeEnum::Boolean(b) => Some(b.boolval.to_string()),
        _ => None,
    }
}

fn role_name(n: &pg_query::Node) -> Option<String> {
    match n.node.as_ref()? {
        NodeEnum::RoleSpec(r) => Some(if r.rolename.is_empty() {
            "PUBLIC".into()
        } else {
            r.rolename.clone()
        }),
        _ => None,
    }
}

fn relation_name(r: &protobuf::RangeVar) -> String {
    if r.schemaname.is_empty() {
        r.relname.clone()
    } else {
        format!("{}.{}", r.schemaname, r.relname)
    }
}

/// `DELETE FROM t a USING t b WHERE a.id = b.id`: the table joined to itself on one column
/// matches every row that has a value there.
fn self_join(
    table: &str,
    using: &[pg_query::Node],
    condition: Option<&pg_query::Node>,
) -> Option<String> {
    let itself = using.iter().any(|n| {
        matches!(n.node.as_ref(), Some(NodeEnum::RangeVar(r)) if r.relname.eq_ignore_ascii_case(table))
    });
    if !itself {
        return None;
    }
    let Some(NodeEnum::AExpr(e)) = condition.and_then(|c| c.node.as_ref()) else {
        return None;
    };
    let last = |n: Option<&pg_query::Node>| match n?.node.as_ref()? {
        NodeEnum::ColumnRef(c) => c.fields.last().and_then(string_of),
        _ => None,
    };
    let op = e.name.last().and_then(string_of);
    let (l, r) = (last(e.lexpr.as_deref()), last(e.rexpr.as_deref()));
    (op.as_deref() == Some("=") && l.is_some() && l == r)
        .then(|| format!("it joins `{table}` to itself on one column"))
}

/// What the WHERE clause of a DELETE, UPDATE or MERGE is judged against: the table written,
/// the `WITH` queries in scope, the columns set and the whole tables joined.
fn target_of<'n>(
    relation: Option<&protobuf::RangeVar>,
    ctes: &[(String, &'n NodeEnum)],
    assignments: &[pg_query::Node],
    joined: &[pg_query::Node],
) -> crate::predicate::Target<'n> {
    let assigned = assignments
        .iter()
        .filter_map(|n| match n.node.as_ref()? {
            NodeEnum::ResTarget(r) if !r.name.is_empty() => Some(r.name.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    let joined = joined
        .iter()
        .filter_map(|n| match n.node.as_ref()? {
            NodeEnum::RangeVar(r) => {
                let table = r.relname.to_ascii_lowercase();
                // A `WITH` query of the same name is a chosen set of rows, not the whole table.
                if ctes.iter().any(|(c, _)| *c == table) && r.schemaname.is_empty() {
                    return None;
                }
                let name = r
                    .alias
                    .as_ref()
                    .map(|a| a.aliasname.to_ascii_lowercase())
                    .unwrap_or_else(|| table.clone());
                Some((name, table))
            }
            _ => None,
        })
        .collect();
    crate::predicate::Target {
        table: relation.map(relation_key).unwrap_or_default(),
        alias: relation
            .and_then(|r| r.alias.as_ref())
            .map(|a| a.aliasname.to_ascii_lowercase()),
        ctes: ctes.to_vec(),
        assigned,
        joined,
    }
}

fn relation_key(r: &protobuf::RangeVar) -> String {
    r.relname.to_ascii_lowercase()
}

/// The RangeVar of a `DROP TABLE` object (a list of name parts).
fn range_var_of(obj: &pg_query::Node) -> protobuf::RangeVar {
    let parts: Vec<String> = match obj.node.as_ref() {
        Some(NodeEnum::List(l)) => l.items.iter().filter_map(string_of).collect(),
        _ => Vec::new(),
    };
    let mut r = protobuf::RangeVar::default();
    match parts.as_slice() {
        [.., schema, name] => {
            r.schemaname = schema.clone();
            r.relname = name.clone();
        }
        [name] => r.relname = name.clone(),
        [] => {}
    }
    r
}

fn object_name(obj: &pg_query::Node) -> String {
    match obj.node.as_ref() {
        Some(NodeEnum::List(l)) => l
            .items
            .iter()
            .filter_map(string_of)
            .collect::<Vec<_>>()
            .join("."),
        Some(NodeEnum::String(s)) => s.sval.clone(),
        Some(NodeEnum::TypeName(t)) => t
            .names
            .iter()
            .filter_map(string_of)
            .collect::<Vec<_>>()
            .join("."),
        Some(NodeEnum::ObjectWithArgs(o)) => o
            .objname
            .iter()
            .filter_map(string_of)
            .collect::<Vec<_>>()
            .join("."),
        _ => String::new(),
    }
}

fn owned_kind(kind: ObjectType) -> &'static str {
    match kind {
        ObjectType::ObjectDatabase => "database",
        ObjectType::ObjectSchema => "schema",
        ObjectType::ObjectTable => "table",
        ObjectType::ObjectTablespace => "tablespace",
        other => object_kind(other),
    }
}

/// A server setting whose change weakens durability, security or auditing, or cuts the
/// application off.
pub(crate) struct RiskySetting {
    name: String,
    value: String,
}

impl RiskySetting {
    fn rule(&self) -> &'static str {
        if self.name == "row_security" {
            "sql.security.rls-off"
        } else {
            "sql.server.config"
        }
    }
}

impl std::fmt::Display for RiskySetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{} = {}", self.name, self.value)
        }
    }
}

/// `SET name = value` of `ALTER SYSTEM` (`server`), `ALTER DATABASE` or `ALTER ROLE`: the change
/// when it is risky. Tuning (memory, planner, logging more) is not.
fn risky_setting(set: &protobuf::VariableSetStmt, server: bool) -> Option<RiskySetting> {
    use protobuf::VariableSetKind::*;
    let kind = protobuf::VariableSetKind::try_from(set.kind).ok()?;
    if kind == VarResetAll {
        return server.then(|| RiskySetting {
            name: "RESET ALL".into(),
            value: String::new(),
        });
    }
    if !matches!(kind, VarSetValue | VarSetMulti) {
        return None;
    }
    let name = set.name.to_ascii_lowercase();
    let value = set
        .args
        .iter()
        .filter_map(const_text)
        .collect::<Vec<_>>()
        .join(", ");
    let v = value.trim().to_ascii_lowercase();
    let off = matches!(v.as_str(), "off" | "false" | "0" | "no" | "none" | "");
    let risky = match name.as_str() {
        "row_security" | "fsync" | "full_page_writes" | "synchronous_commit"
        | "logging_collector" | "log_connections" | "log_disconnections" | "ssl"
        | "data_checksums" => off,
        "log_statement" => v == "none",
        "wal_level" => v == "minimal",
        "zero_damaged_pages"
        | "ignore_checksum_failure"
        | "ignore_system_indexes"
        | "allow_system_table_mods"
        | "ignore_invalid_pages" => !off,
        "session_replication_role" => v == "replica",
        "default_transaction_read_only"
        | "archive_mode"
        | "shared_preload_libraries"
        | "session_preload_libraries"
        | "local_preload_libraries"
        | "dynamic_library_path"
        | "jit_provider"
        | "listen_addresses"
        | "port"
        | "unix_socket_directories"
        | "unix_socket_permissions"
        | "unix_socket_group"
        | "hba_file"
        | "ident_file"
        | "config_file"
        | "data_directory"
        | "password_encryption"
        | "krb_server_keyfile"
        | "max_connections"
        | "superuser_reserved_connections"
        | "reserved_connections"
        | "log_destination"
        | "event_triggers" => true,
        "statement_timeout"
        | "idle_session_timeout"
        | "lock_timeout"
        | "idle_in_transaction_session_timeout"
        | "transaction_timeout" => {
            // A bare number is milliseconds: a timeout under a second stops almost everything.
            v.parse::<u64>().is_ok_and(|ms| ms > 0 && ms < 1000)
        }
        other => {
            other.starts_with("ssl_")
                || other.starts_with("pgaudit.")
                || other.ends_with("_command")
                || other.ends_with("_library")
                || other.ends_with("_libraries")
        }
    };
    risky.then_some(RiskySetting { name, value })
}

fn object_kind(kind: ObjectType) -> &'static str {
    match kind {
        ObjectType::ObjectIndex => "index",
        ObjectType::ObjectView => "view",
        ObjectType::ObjectSequence => "sequence",
        ObjectType::ObjectFunction | ObjectType::ObjectRoutine | ObjectType::ObjectProcedure => {
            "function"
        }
        ObjectType::ObjectTrigger => "trigger",
        ObjectType::ObjectType | ObjectType::ObjectDomain => "type",
        ObjectType::ObjectExtension => "extension",
        ObjectType::ObjectPolicy => "row-level security policy",
        ObjectType::ObjectRule => "rule",
        ObjectType::ObjectPublication => "publication",
        ObjectType::ObjectForeignServer => "foreign server",
        _ => "object",
    }
}

/// A column type change that may lose data: a `USING` conversion, or a target type that is not
/// one of the widening ones (`text`, `bigint`, unbounded `varchar`/`numeric`, …).
fn lossy_type_change(c: &protobuf::AlterTableCmd) -> bool {
    let Some(NodeEnum::ColumnDef(def)) = c.def.as_ref().and_then(|d| d.node.as_ref()) else {
        return true;
    };
    if def.raw_default.is_some() {
        return true;
    }
    let Some(t) = &def.type_name else {
        return true;
    };
    let name = t
        .names
        .last()
        .and_then(string_of)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let unbounded = t.typmods.is_empty();
    !match name.as_str() {
        "text" | "int8" | "bigint" | "float8" | "jsonb" | "citext" => true,
        "varchar" | "numeric" | "bpchar" | "bit" | "varbit" | "timestamptz" | "timestamp" => {
            unbounded || name.starts_with("timestamp")
        }
        _ => false,
    }
}

/// Whether a literal reads as SQL rather than data: it parses and holds a statement.
pub(crate) fn looks_like_sql(text: &str) -> bool {
    let trimmed = text.trim_start();
    let word: String = trimmed
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        word.as_str(),
        "select"
            | "insert"
            | "update"
            | "delete"
            | "drop"
            | "truncate"
            | "alter"
            | "create"
            | "grant"
            | "revoke"
            | "copy"
            | "do"
            | "with"
            | "merge"
            | "execute"
            | "call"
            | "vacuum"
            | "reindex"
            | "set"
            | "reset"
            | "lock"
            | "comment"
            | "refresh"
            | "cluster"
            | "begin"
            | "commit"
            | "rollback"
            | "explain"
            | "prepare"
            | "load"
            | "table"
            | "values"
            | "show"
            | "analyze"
            | "discard"
            | "reassign"
            | "security"
            | "import"
    )
}

/// What [`Judge::row_write`] needs of a DELETE or an UPDATE.
struct Write<'n> {
    rule: &'static str,
    operation: &'static str,
    relation: Option<&'n protobuf::RangeVar>,
    filter: Option<&'n pg_query::Node>,
}

/// Procedural languages whose functions can run any code on the database server.
const UNTRUSTED_LANGUAGES: &[&str] = &[
    "c",
    "internal",
    "plpythonu",
    "plpython2u",
    "plpython3u",
    "plperlu",
    "pltclu",
    "plsh",
    "pljavau",
    "plrustu",
];

fn object_name_opt(n: Option<&pg_query::Node>) -> Option<String> {
    let n = n?;
    let name = object_name(n);
    (!name.is_empty()).then_some(name)
}

/// Rule ids from the table are `'static` in the hit; the table is loaded once for the process.
pub(crate) fn static_rule(id: &str) -> &'static str {
    table()
        .ids()
        .find(|i| *i == id)
        .unwrap_or("sql.internal-error")
}

pub(crate) fn to_actions(judge: Judge<'_>, input: &str, ctx: &Context) -> Vec<Action> {
    let hints: Vec<String> = ["PGHOST", "PGDATABASE", "PGSERVICE", "DATABASE_URL", "PGURI"]
        .iter()
        .filter_map(|k| ctx.vars.get(*k).cloned())
        .chain(judge.env_hints.iter().cloned())
        .collect();
    let environment = ctx.environments.resolve(hints.iter().map(String::as_str)).0;
    let mut foreign: HashMap<usize, Action> = judge.foreign.into_iter().collect();
    judge
        .hits
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            if let Some(mut a) = foreign.remove(&i) {
                // A shell command run by the client: the shell classifier's judgement, placed
                // at the meta-command in this input.
                a.span = h.span;
                a.finding.span = h.span;
                a.depth += 1;
                a.via = h.via.into_iter().chain(a.via).collect();
                return a;
            }
            let rule = table().rule(h.rule);
            let mut reason = rule
                .reason
                .replace(
                    "{target}",
                    if h.target.is_empty() { "it" } else { &h.target },
                )
                .replace("{why}", &h.why);
            if let Some(instead) = &rule.instead {
                reason.push_str("; instead: ");
                reason.push_str(instead);
            }
            Action {
                principal: ctx.principal.clone(),
                environment: environment.clone(),
                door: ctx.door.clone(),
                language: Language::Sql,
                operation: h.operation,
                resource: Resource {
                    kind: "database-object".into(),
                    name: h.target.clone(),
                },
                effect: rule.effect,
                blast_radius: BlastRadius::new(rule.scope, h.target),
                raw: h.span.slice(input).chars().take(512).collect(),
                span: h.span,
                depth: h.via.len(),
                via: h.via,
                finding: Finding {
                    rule: rule.id.clone(),
                    decision: rule.decision,
                    reason,
                    span: h.span,
                },
            }
        })
        .collect()
}
