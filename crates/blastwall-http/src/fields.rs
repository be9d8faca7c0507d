//! What a request body says, member by member: the leaves (`path = value`) of a JSON body, of a
//! form body (dotted keys such as `IpPermissions.1.CidrIp` nested as JSON would be, values that are
//! JSON documents opened), of an XML body, of the query string, and of a GraphQL field's
//! arguments; and the questions rules ask about them that need code: does a filter select every
//! record, does a rule open a port to the whole internet, is a document emptied.
//!
//! Rules name members by normalized keys (lowercase, without `_` and `-`, array indices dropped),
//! so `DeletionProtectionEnabled`, `deletion_protection_enabled` and `deletion-protection-enabled`
//! are one key. This module never decides; the judge does.

use serde_json::{Map, Value};

use blastwall_core::glob;

/// Leaves read from one document; past this many the rest is not read (the rules that need them
/// are about settings, which sit near the top of a document).
const MAX_LEAVES: usize = 1024;
/// Nesting depth read.
const MAX_DEPTH: usize = 24;

/// One scalar (or empty container) in a document, under its normalized dotted path.
#[derive(Clone, Debug)]
pub(crate) struct Leaf {
    pub path: String,
    /// Where the last member name starts in `path`.
    last: usize,
    /// Strings lowercased and trimmed; `true`, `false`, `null`, numbers as written, `[]`, `{}`.
    pub value: String,
}

impl Leaf {
    fn new(path: String, value: String) -> Leaf {
        let last = path.rfind('.').map_or(0, |i| i + 1);
        Leaf { path, last, value }
    }

    fn last(&self) -> &str {
        &self.path[self.last..]
    }
}

/// A lowercase wildcard pattern, with patterns made only of `*` and text (`*.amazonaws.com`,
/// `*delete*bucket*`) matched by substring search: rules try these on every host, segment and
/// member of every request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pat {
    Any,
    Exact(String),
    /// The text between the stars: the first anchored at the start unless the pattern starts
    /// with `*`, the last at the end unless it ends with `*`.
    Parts {
        parts: Vec<String>,
        open_start: bool,
        open_end: bool,
    },
    Glob(String),
}

impl Pat {
    pub fn new(p: &str) -> Pat {
        if p.chars().all(|c| c == '*') && !p.is_empty() {
            return Pat::Any;
        }
        if p.contains(['?', '[']) {
            return Pat::Glob(p.to_owned());
        }
        if !p.contains('*') {
            return Pat::Exact(p.to_owned());
        }
        Pat::Parts {
            parts: p
                .split('*')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            open_start: p.starts_with('*'),
            open_end: p.ends_with('*'),
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        match self {
            Pat::Any => true,
            Pat::Exact(s) => text == s,
            Pat::Glob(p) => glob::matches(p, text),
            Pat::Parts {
                parts,
                open_start,
                open_end,
            } => {
                let mut rest = text;
                for (i, part) in parts.iter().enumerate() {
                    let first = i == 0 && !open_start;
                    let last = i + 1 == parts.len() && !open_end;
                    if first {
                        match rest.strip_prefix(part.as_str()) {
                            Some(r) => rest = r,
                            None => return false,
                        }
                        if last {
                            return rest.is_empty();
                        }
                    } else if last {
                        return rest.len() >= part.len() && rest.ends_with(part.as_str());
                    } else {
                        match find(rest, part) {
                            Some(at) => rest = &rest[at + part.len()..],
                            None => return false,
                        }
                    }
                }
                true
            }
        }
    }
}

/// Where `needle` first occurs in `hay`: a plain scan, cheaper than a searcher's set-up for the
/// short segments, keys and hosts patterns are matched against.
fn find(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.len() > h.len() {
        return None;
    }
    if h.len() > 256 {
        return hay.find(needle);
    }
    let first = n[0];
    (0..=h.len() - n.len()).find(|&i| h[i] == first && &h[i..i + n.len()] == n)
}

/// A key as rules name it: lowercase, without `_`, `-` and `$`.
pub(crate) fn normalize_key(k: &str) -> String {
    k.chars()
        .filter(|c| !matches!(c, '_' | '-' | '$'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The leaves of a JSON value, paths prefixed with `prefix`.
pub(crate) fn json_leaves(v: &Value, prefix: &str, out: &mut Vec<Leaf>) {
    walk(v, prefix.to_owned(), out, 0);
}

fn walk(v: &Value, path: String, out: &mut Vec<Leaf>, depth: usize) {
    if out.len() >= MAX_LEAVES || depth > MAX_DEPTH {
        return;
    }
    let leaf = |value: String| Leaf::new(path.clone(), value);
    match v {
        Value::Null => out.push(leaf("null".into())),
        Value::Bool(b) => out.push(leaf(b.to_string())),
        Value::Number(n) => out.push(leaf(n.to_string())),
        Value::String(s) => {
            out.push(leaf(s.trim().to_lowercase()));
            // A member whose value is a JSON document (an IAM policy in a form field, a
            // stringified filter) is read as that document too.
            let t = s.trim_start();
            if (t.starts_with('{') || t.starts_with('['))
                && s.len() <= 64 * 1024
                && let Ok(inner) = serde_json::from_str::<Value>(s)
            {
                walk(&inner, path.clone(), out, depth + 1);
            }
        }
        Value::Array(a) if a.is_empty() => out.push(leaf("[]".into())),
        Value::Object(o) if o.is_empty() => out.push(leaf("{}".into())),
        Value::Array(a) => {
            for x in a {
                walk(x, path.clone(), out, depth + 1);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                let key: String = k
                    .split('.')
                    .filter(|c| !c.is_empty() && !c.bytes().all(|b| b.is_ascii_digit()))
                    .map(normalize_key)
                    .collect::<Vec<_>>()
                    .join(".");
                let p = match (path.is_empty(), key.is_empty()) {
                    (_, true) => path.clone(),
                    (true, false) => key,
                    (false, false) => format!("{path}.{key}"),
                };
                walk(x, p, out, depth + 1);
            }
        }
    }
}

/// Parameters (`a.1.b=v`) nested into the JSON document a server builds from them.
pub(crate) fn nest_params<'p>(params: impl Iterator<Item = (&'p str, &'p str)>) -> Value {
    let mut root = Map::new();
    for (key, value) in params {
        let parts: Vec<String> = key
            .split('.')
            .filter(|p| !p.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        insert_at(&mut root, &parts, value);
    }
    Value::Object(root)
}

fn insert_at(map: &mut Map<String, Value>, parts: &[String], value: &str) {
    match parts {
        [] => {}
        [last] => {
            map.insert(last.clone(), Value::String(value.to_owned()));
        }
        [first, rest @ ..] => {
            let slot = map
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = slot {
                insert_at(inner, rest, value);
            }
        }
    }
}

/// The leaves of an XML document: the text of each element that holds no element, under the
/// path of its enclosing elements. Attributes, comments and CDATA are not read.
pub(crate) fn xml_leaves(body: &str, out: &mut Vec<Leaf>) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    let mut text_start: Option<&str> = None;
    while let Some(open) = rest.find('<') {
        if out.len() >= MAX_LEAVES || stack.len() > MAX_DEPTH {
            return;
        }
        let text = &rest[..open];
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            return;
        };
        let tag = &after[..close];
        rest = &after[close + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = normalize_key(name.trim().rsplit(':').next().unwrap_or(""));
            if text_start.take().is_some() {
                out.push(Leaf::new(stack.join("."), text.trim().to_lowercase()));
            }
            if let Some(i) = stack.iter().rposition(|s| *s == name) {
                stack.truncate(i);
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name = tag
            .trim_end_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or("");
        let name = normalize_key(name.rsplit(':').next().unwrap_or(""));
        if self_closing {
            let mut path = stack.join(".");
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&name);
            out.push(Leaf::new(path, String::new()));
            text_start = None;
            continue;
        }
        stack.push(name);
        text_start = Some(rest);
    }
}

/// One `key=value` condition of a rule: the key pattern is matched against a leaf's last member
/// name and its whole path, the value pattern against its value (both lowercase globs).
#[derive(Clone, Debug)]
pub(crate) struct BodyCond {
    key: Pat,
    value: Pat,
}

impl BodyCond {
    pub fn parse(text: &str) -> BodyCond {
        let text = text.to_lowercase();
        let (key, value) = match text.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (text, "*".to_owned()),
        };
        BodyCond {
            key: Pat::new(&key),
            value: Pat::new(&value),
        }
    }

    fn key_matches(&self, leaf: &Leaf) -> bool {
        self.key.matches(leaf.last()) || leaf.last != 0 && self.key.matches(&leaf.path)
    }

    fn value_matches(&self, leaf: &Leaf) -> bool {
        self.value.matches(&leaf.value)
    }
}

/// Does any leaf match any of the conditions?
pub(crate) fn any_leaf_matches(conds: &[BodyCond], leaves: &[Leaf]) -> bool {
    leaves
        .iter()
        .any(|l| conds.iter().any(|c| c.key_matches(l) && c.value_matches(l)))
}

/// Do all leaves whose key matches a condition's key also match one such condition's value
/// (and is there at least one)? Used to exempt a request whose every such member is harmless.
pub(crate) fn all_leaves_match(conds: &[BodyCond], leaves: &[Leaf]) -> bool {
    let mut seen = false;
    for l in leaves {
        let mut keyed = conds.iter().filter(|c| c.key_matches(l)).peekable();
        if keyed.peek().is_none() {
            continue;
        }
        if !keyed.any(|c| c.value_matches(l)) {
            return false;
        }
        seen = true;
    }
    seen
}

/// Keys that select which records an operation touches.
const SELECTOR_KEYS: &[&str] = &[
    "filter",
    "filters",
    "where",
    "query",
    "q",
    "selector",
    "condition",
    "conditions",
    "criteria",
    "match",
    "id",
    "ids",
    "key",
    "keys",
    "points",
    "documentids",
    "pk",
    "pkcolumns",
    "objectid",
    "objectids",
    "names",
];

/// Does an operation with these arguments (a request body, a GraphQL field's arguments) reach
/// every record? True when it names no selector at all, or when every selector it names selects
/// everything (`{}`, `match_all`, `id >= 0`, `IS NOT NULL`).
pub(crate) fn unselective(args: Option<&Value>) -> bool {
    match args {
        None | Some(Value::Null) => true,
        Some(Value::Object(o)) => {
            let selectors: Vec<&Value> = o
                .iter()
                .filter(|(k, _)| SELECTOR_KEYS.contains(&normalize_key(k).as_str()))
                .map(|(_, v)| v)
                .collect();
            selectors.is_empty() || selectors.into_iter().all(selects_everything)
        }
        // A list of keys or ids selects those.
        Some(Value::Array(a)) => a.is_empty(),
        Some(v) => selects_everything(v),
    }
}

/// Does a filter document (Mongo, Hasura, Elasticsearch query DSL, a bare value) select every
/// record? A filter that matches all rows is no filter.
pub(crate) fn selects_everything(v: &Value) -> bool {
    selects_everything_at(v, 0)
}

fn selects_everything_at(v: &Value, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match v {
        Value::Null | Value::Bool(true) => true,
        Value::Object(o) => o.iter().all(|(k, c)| clause_all(k, c, depth + 1)),
        Value::Array(a) => a.iter().all(|x| selects_everything_at(x, depth + 1)),
        Value::String(s) => matches!(s.trim(), "" | "*" | "%" | "true" | "1=1" | "*:*"),
        _ => false,
    }
}

fn clause_all(key: &str, c: &Value, depth: usize) -> bool {
    match normalize_key(key).as_str() {
        "and" | "must" | "filter" | "bool" | "query" | "constantscore" => {
            selects_everything_at(c, depth)
        }
        "or" | "should" => match c {
            Value::Array(a) => a.iter().any(|x| selects_everything_at(x, depth + 1)),
            other => selects_everything_at(other, depth),
        },
        "matchall" | "exists" => true,
        "range" => match c {
            Value::Object(fields) => fields.values().all(cond_all),
            _ => false,
        },
        "querystring" | "simplequerystring" => c
            .get("query")
            .and_then(Value::as_str)
            .is_some_and(|q| matches!(q.trim(), "*" | "*:*")),
        // A field compared with operators.
        _ => cond_all(c),
    }
}

/// A field condition (`{_is_null: false}`, `{$gte: 0}`) that every row satisfies.
fn cond_all(c: &Value) -> bool {
    match c {
        Value::Object(o) if !o.is_empty() => o.iter().all(|(op, v)| op_all(op, v)),
        _ => false,
    }
}

fn op_all(op: &str, v: &Value) -> bool {
    match normalize_key(op).as_str() {
        "isnull" => v == &Value::Bool(false),
        "exists" | "notnull" => v == &Value::Bool(true),
        "ne" | "neq" => v.is_null(),
        "gte" | "gt" | "from" => is_low(v),
        "lte" | "lt" | "to" => is_high(v),
        "like" | "ilike" | "regex" | "similar" | "wildcard" => {
            v.as_str().is_some_and(is_match_anything)
        }
        _ => false,
    }
}

fn is_match_anything(s: &str) -> bool {
    let s = s.trim();
    !s.is_empty() && s.chars().all(|c| matches!(c, '%' | '*' | '.'))
}

/// A lower bound every id or timestamp is above: zero or less, or a date in or before 1970.
fn is_low(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_f64().is_some_and(|f| f <= 0.0),
        Value::String(s) => low_text(s),
        _ => false,
    }
}

/// An upper bound every id or timestamp is below: `now` itself (not `now-30d`), infinity, or a
/// date in or after 2100. Today's date is not known here, so a fixed recent date is a bound.
fn is_high(v: &Value) -> bool {
    match v {
        Value::String(s) => high_text(s),
        _ => false,
    }
}

fn high_text(s: &str) -> bool {
    let s = s.trim().to_ascii_lowercase();
    if matches!(
        s.as_str(),
        "now" | "now()" | "now/d" | "now/h" | "now/m" | "infinity" | "+infinity"
    ) {
        return true;
    }
    let year: String = s.chars().take_while(char::is_ascii_digit).collect();
    year.len() == 4 && s[4..].starts_with('-') && year.parse::<u32>().is_ok_and(|y| y >= 2100)
}

/// The nil UUID: no row has it, so `neq` it selects every row.
fn is_nil_uuid(s: &str) -> bool {
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    hex.len() == 32 && hex.bytes().all(|b| b == b'0')
}

fn low_text(s: &str) -> bool {
    let s = s.trim();
    if let Ok(f) = s.parse::<f64>() {
        return f <= 0.0;
    }
    if s.eq_ignore_ascii_case("-infinity") {
        return true;
    }
    let year: String = s.chars().take_while(char::is_ascii_digit).collect();
    year.len() == 4 && s[4..].starts_with('-') && year.parse::<u32>().is_ok_and(|y| y <= 1970)
}

/// A PostgREST filter value (`gte.0`, `not.is.null`, `like.*`) that every row satisfies.
pub(crate) fn postgrest_selects_everything(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    let (negated, v) = match v.strip_prefix("not.") {
        Some(rest) => (true, rest.to_owned()),
        None => (false, v),
    };
    let (op, arg) = v.split_once('.').unwrap_or((v.as_str(), ""));
    match (negated, op) {
        (true, "is") => arg == "null",
        (false, "is") => arg == "not_null" || arg == "true,false",
        (true, "in") => arg == "()",
        (false, "gte" | "gt") | (true, "lt" | "lte") => low_text(arg),
        (false, "lt" | "lte") | (true, "gt" | "gte") => high_text(arg),
        (false, "neq") | (true, "eq") => is_nil_uuid(arg),
        (false, "like" | "ilike" | "match" | "imatch") => is_match_anything(arg),
        _ => false,
    }
}

/// A PostgREST filter on a column that every row satisfies: as
/// [`postgrest_selects_everything`], and on an id column (`id`, `user_id`) also "not equal to"
/// zero or a negative number, which no id is.
pub(crate) fn postgrest_filter_selects_everything(key: &str, value: &str) -> bool {
    if postgrest_selects_everything(value) {
        return true;
    }
    let key = key.to_ascii_lowercase();
    if !(key == "id" || key == "uuid" || key.ends_with("_id")) {
        return false;
    }
    let v = value.trim().to_ascii_lowercase();
    let arg = v.strip_prefix("neq.").or_else(|| v.strip_prefix("not.eq."));
    arg.and_then(|a| a.parse::<f64>().ok())
        .is_some_and(|n| n <= 0.0)
}

/// PostgREST's filter operators (`col=op.value`, `col=not.op.value`).
const POSTGREST_OPERATORS: &[&str] = &[
    "eq",
    "neq",
    "gt",
    "gte",
    "lt",
    "lte",
    "like",
    "ilike",
    "match",
    "imatch",
    "in",
    "is",
    "isdistinct",
    "fts",
    "plfts",
    "phfts",
    "wfts",
    "cs",
    "cd",
    "ov",
    "sl",
    "sr",
    "nxr",
    "nxl",
    "adj",
];

/// Is a query value a PostgREST filter (`eq.42`, `not.is.null`, `lt.2025-03-01`)?
pub(crate) fn is_postgrest_filter(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    let v = v.strip_prefix("not.").unwrap_or(&v);
    let op = v.split_once('.').map(|(op, _)| op).unwrap_or("");
    // `op(any)` and `op(all)` modifiers: `like(any).{a,b}`.
    let op = op.split('(').next().unwrap_or("");
    POSTGREST_OPERATORS.contains(&op)
}

/// Ports a rule may open to everyone without exposing more than a web server.
const WEB_PORTS: &[u32] = &[80, 443];
/// Keys that give the ports a network rule opens.
const PORT_KEYS: &[&str] = &[
    "port",
    "ports",
    "fromport",
    "toport",
    "portrange",
    "portranges",
    "destinationportrange",
    "destinationportranges",
    "dport",
];
/// Keys that give the protocol; `all`, `-1` and `*` open every port.
const PROTOCOL_KEYS: &[&str] = &["protocol", "ipprotocol"];

/// Does a document open anything to the whole internet (`0.0.0.0/0`, `::/0`) beyond the web
/// ports? Each CIDR is judged with the ports of the nearest enclosing rule that names ports;
/// outbound rules are not judged.
pub(crate) fn opens_to_world(v: &Value) -> bool {
    world_walk(v, None, 0)
}

fn world_walk(v: &Value, web_only: Option<bool>, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match v {
        Value::String(s) => is_world_cidr(s) && web_only != Some(true),
        Value::Array(a) => a.iter().any(|x| world_walk(x, web_only, depth + 1)),
        Value::Object(o) => {
            if o.iter().any(|(k, x)| {
                normalize_key(k) == "direction"
                    && x.as_str().is_some_and(|d| {
                        matches!(
                            d.to_ascii_lowercase().as_str(),
                            "out" | "egress" | "outbound"
                        )
                    })
            }) {
                return false;
            }
            let ports = rule_ports(o);
            // A rule on other ports whose ranges together cover every address (`0.0.0.0/1` and
            // `128.0.0.0/1`) is as open as `0.0.0.0/0`.
            if ports == Some(false) && ranges_cover_world(v) {
                return true;
            }
            let here = ports.or(web_only);
            o.iter().any(|(k, x)| {
                let k = normalize_key(k);
                !(k.contains("outbound") || k.contains("egress")) && world_walk(x, here, depth + 1)
            })
        }
        _ => false,
    }
}

/// Whether the rule in this object opens only web ports (`Some(true)`), other ports too
/// (`Some(false)`), or names no ports (`None`).
fn rule_ports(o: &Map<String, Value>) -> Option<bool> {
    fn collect<'v>(o: &'v Map<String, Value>, ports: &mut Vec<&'v Value>, all: &mut bool) {
        for (k, x) in o {
            let k = normalize_key(k);
            if PORT_KEYS.contains(&k.as_str()) {
                ports.push(x);
            } else if PROTOCOL_KEYS.contains(&k.as_str())
                && x.as_str().is_some_and(|p| {
                    matches!(p.trim().to_ascii_lowercase().as_str(), "all" | "-1" | "*")
                })
            {
                *all = true;
            }
        }
    }
    let mut ports: Vec<&Value> = Vec::new();
    let mut all_protocols = false;
    collect(o, &mut ports, &mut all_protocols);
    for (k, x) in o {
        if matches!(normalize_key(k).as_str(), "allowed" | "allow") {
            for item in x
                .as_array()
                .into_iter()
                .flatten()
                .chain(x.as_object().map(|_| x))
            {
                if let Some(inner) = item.as_object() {
                    collect(inner, &mut ports, &mut all_protocols);
                }
            }
        }
    }
    if all_protocols && ports.is_empty() {
        return Some(false);
    }
    if ports.is_empty() {
        return None;
    }
    Some(ports.into_iter().all(web_ports_only))
}

fn web_ports_only(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_u64().is_some_and(|p| WEB_PORTS.contains(&(p as u32))),
        Value::Array(a) => !a.is_empty() && a.iter().all(web_ports_only),
        Value::String(s) => {
            let s = s.trim();
            !s.is_empty()
                && s.split(',').all(|part| {
                    let mut ends = part.trim().splitn(2, ['-', ':']);
                    let lo = ends.next().and_then(|p| p.trim().parse::<u32>().ok());
                    let hi = ends.next().map_or(lo, |p| p.trim().parse::<u32>().ok());
                    matches!((lo, hi), (Some(a), Some(b)) if a == b && WEB_PORTS.contains(&a))
                })
        }
        _ => false,
    }
}

/// Do the inbound CIDRs in this document, merged, cover every IPv4 or every IPv6 address?
fn ranges_cover_world(v: &Value) -> bool {
    let mut v4: Vec<(u128, u128)> = Vec::new();
    let mut v6: Vec<(u128, u128)> = Vec::new();
    collect_ranges(v, &mut v4, &mut v6, 0);
    covers(v4, u32::MAX as u128) || covers(v6, u128::MAX)
}

fn collect_ranges(v: &Value, v4: &mut Vec<(u128, u128)>, v6: &mut Vec<(u128, u128)>, depth: usize) {
    if depth > MAX_DEPTH || v4.len() + v6.len() > 4096 {
        return;
    }
    match v {
        Value::String(s) => {
            let Some((addr, bits)) = s.trim().split_once('/') else {
                return;
            };
            let Ok(bits) = bits.parse::<u32>() else {
                return;
            };
            if let Ok(ip) = addr.parse::<std::net::Ipv4Addr>()
                && bits <= 32
            {
                let start = u128::from(u32::from(ip)) & !((1u128 << (32 - bits)) - 1);
                v4.push((start, start + (1u128 << (32 - bits)) - 1));
            } else if let Ok(ip) = addr.parse::<std::net::Ipv6Addr>()
                && bits <= 128
            {
                let size = if bits == 0 {
                    u128::MAX
                } else {
                    (1u128 << (128 - bits)) - 1
                };
                let start = u128::from(ip) & !size;
                v6.push((start, start.saturating_add(size)));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_ranges(x, v4, v6, depth + 1)),
        Value::Object(o) => {
            for (k, x) in o {
                let k = normalize_key(k);
                if !(k.contains("outbound") || k.contains("egress")) {
                    collect_ranges(x, v4, v6, depth + 1);
                }
            }
        }
        _ => {}
    }
}

/// Do the ranges, merged, cover `0..=max`?
fn covers(mut ranges: Vec<(u128, u128)>, max: u128) -> bool {
    ranges.sort_unstable();
    let mut next = 0u128;
    for (start, end) in ranges {
        if start > next {
            return false;
        }
        if end >= max {
            return true;
        }
        next = next.max(end + 1);
    }
    false
}

/// How many records a body deletes in one batch: members named `deletes` (each item one),
/// `DeleteRequest`s, and objects whose `action`/`op` is `DELETE` (a change batch).
pub(crate) fn batch_deletes(v: &Value) -> usize {
    let mut n = 0;
    count_deletes(v, &mut n, 0);
    n
}

fn count_deletes(v: &Value, n: &mut usize, depth: usize) {
    if depth > MAX_DEPTH || *n > 1024 {
        return;
    }
    match v {
        Value::Array(a) => a.iter().for_each(|x| count_deletes(x, n, depth + 1)),
        Value::Object(o) => {
            for (k, x) in o {
                match normalize_key(k).as_str() {
                    "deletes" | "deleterequests" | "deleteitems" | "deleteobjects" => {
                        *n += x.as_array().map_or(1, Vec::len);
                    }
                    "deleterequest" | "deleteitem" => *n += 1,
                    "action" | "op" | "operation" | "changetype"
                        if x.as_str().is_some_and(|a| {
                            matches!(a.trim().to_ascii_lowercase().as_str(), "delete" | "remove")
                        }) =>
                    {
                        *n += 1
                    }
                    _ => count_deletes(x, n, depth + 1),
                }
            }
        }
        _ => {}
    }
}

/// The same count for an XML body (Route 53 change batches, S3 `DeleteObjects`): leaves that
/// are a change's `Action` of `DELETE`, or an `Object` key inside a `Delete`.
pub(crate) fn batch_deletes_xml(leaves: &[Leaf]) -> usize {
    leaves
        .iter()
        .filter(|l| {
            (l.last() == "action" && l.value == "delete") || l.path.ends_with("delete.object.key")
        })
        .count()
}

fn is_world_cidr(s: &str) -> bool {
    matches!(
        s.trim(),
        "0.0.0.0/0" | "::/0" | "0::0/0" | "0:0:0:0:0:0:0:0/0" | "0.0.0.0/0.0.0.0"
    )
}

/// Is a document emptied: `null`, `""`, `[]`, `{}`, or only such values all the way down? A
/// write of it replaces what was there with nothing.
pub(crate) fn is_emptied(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.iter().all(is_emptied),
        Value::Object(o) => o.values().all(is_emptied),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leaves_normalize_keys_and_drop_indices() {
        let mut out = Vec::new();
        json_leaves(
            &json!({"Deletion_Protection-Enabled": false, "a": [{"B.1.c": "X "}], "e": []}),
            "",
            &mut out,
        );
        let got: Vec<String> = out
            .iter()
            .map(|l| format!("{}={}", l.path, l.value))
            .collect();
        assert!(got.contains(&"deletionprotectionenabled=false".to_owned()));
        assert!(got.contains(&"a.b.c=x".to_owned()));
        assert!(got.contains(&"e=[]".to_owned()));
    }

    #[test]
    fn patterns() {
        for (p, yes, no) in [
            ("*.amazonaws.com", "s3.amazonaws.com", "amazonaws.com.evil"),
            ("gitlab.*", "gitlab.example.com", "my-gitlab.com"),
            ("*delete*bucket*", "b2_delete_bucket", "bucket_delete"),
            (
                "rds-data.*.amazonaws.com",
                "rds-data.us-east-1.amazonaws.com",
                "rds.us-east-1.amazonaws.com",
            ),
            ("a*a", "aba", "a"),
            ("*", "", "\u{0}"),
        ] {
            assert!(Pat::new(p).matches(yes), "{p} {yes}");
            if p != "*" {
                assert!(!Pat::new(p).matches(no), "{p} {no}");
            }
        }
    }

    #[test]
    fn xml_leaves_keep_paths() {
        let mut out = Vec::new();
        xml_leaves(
            "<?xml version=\"1.0\"?><A><B>false</B><Filter><Prefix>tmp/</Prefix></Filter><C/></A>",
            &mut out,
        );
        let got: Vec<String> = out
            .iter()
            .map(|l| format!("{}={}", l.path, l.value))
            .collect();
        assert_eq!(got, ["a.b=false", "a.filter.prefix=tmp/", "a.c="]);
    }

    #[test]
    fn filters_that_select_everything() {
        for f in [
            json!({}),
            json!({"match_all": {}}),
            json!({"id": {"_is_null": false}}),
            json!({"range": {"created_at": {"gte": "1970-01-01"}}}),
            json!({"bool": {"must": [{"match_all": {}}]}}),
            json!({"_and": [{"id": {"_gte": 0}}]}),
        ] {
            assert!(selects_everything(&f), "{f}");
        }
        for f in [
            json!({"term": {"trace_id": "abc"}}),
            json!({"user_id": {"_eq": 9}}),
            json!({"_id": {"$oid": "65a1"}}),
            json!({"bool": {"must_not": [{"match_all": {}}]}}),
        ] {
            assert!(!selects_everything(&f), "{f}");
        }
        assert!(unselective(Some(
            &json!({"deleteAll": true, "namespace": ""})
        )));
        assert!(!unselective(Some(&json!({"points": [1, 2]}))));
        assert!(unselective(Some(&json!({"filter": {}, "collection": "c"}))));
    }

    #[test]
    fn postgrest_filters() {
        for v in ["gte.0", "not.is.null", "gt.-1", "like.*", "gte.1970-01-01"] {
            assert!(postgrest_selects_everything(v), "{v}");
        }
        for v in ["eq.42", "lt.2025-01-01", "gte.10", "is.null"] {
            assert!(!postgrest_selects_everything(v), "{v}");
        }
        for v in [
            "neq.00000000-0000-0000-0000-000000000000",
            "lt.infinity",
            "lte.now",
            "not.gt.2999-01-01",
        ] {
            assert!(postgrest_selects_everything(v), "{v}");
        }
        assert!(postgrest_filter_selects_everything("user_id", "not.eq.-1"));
        assert!(!postgrest_filter_selects_everything("balance", "neq.0"));
        assert!(is_postgrest_filter("not.is.null") && is_postgrest_filter("like(any).{a*}"));
        assert!(!is_postgrest_filter("delete") && !is_postgrest_filter("1.5"));
    }

    #[test]
    fn ranges_that_together_cover_every_address() {
        assert!(ranges_cover_world(&json!(["0.0.0.0/1", "128.0.0.0/1"])));
        assert!(ranges_cover_world(&json!(["::/1", "8000::/1"])));
        assert!(!ranges_cover_world(&json!(["0.0.0.0/1", "128.0.0.0/2"])));
        assert!(!ranges_cover_world(&json!({"egress": ["0.0.0.0/0"]})));
    }

    #[test]
    fn batch_delete_counts() {
        assert_eq!(
            batch_deletes(&json!({"deletes": [{"id": 1}, {"id": 2}]})),
            2
        );
        assert_eq!(
            batch_deletes(&json!({"Items": [{"DeleteRequest": {}}, {"PutRequest": {}}]})),
            1
        );
        assert_eq!(batch_deletes(&json!({"posts": [{"action": "create"}]})), 0);
    }

    #[test]
    fn world_open_rules_by_port() {
        assert!(opens_to_world(&json!([{"cidrBlock": "0.0.0.0/0"}])));
        assert!(!opens_to_world(
            &json!({"rules":[{"direction":"in","port":"443","source_ips":["0.0.0.0/0","::/0"]},{"port":"22","source_ips":["198.51.100.4/32"]}]})
        ));
        assert!(opens_to_world(
            &json!({"rules":[{"direction":"in","port":"22","source_ips":["0.0.0.0/0"]}]})
        ));
        assert!(opens_to_world(
            &json!({"sourceRanges":["0.0.0.0/0"],"allowed":[{"IPProtocol":"all"}]})
        ));
        assert!(!opens_to_world(
            &json!({"outbound_rules":[{"ports":"all","destinations":{"addresses":["0.0.0.0/0"]}}]})
        ));
        let form = nest_params(
            [
                ("ippermissions.1.fromport", "443"),
                ("ippermissions.1.toport", "443"),
                ("ippermissions.1.ipranges.1.cidrip", "0.0.0.0/0"),
            ]
            .into_iter(),
        );
        assert!(!opens_to_world(&form));
    }
}
