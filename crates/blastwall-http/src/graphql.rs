//! GraphQL requests: finding the documents a request carries (JSON bodies, batched arrays, form
//! bodies, `application/graphql` bodies, `?query=` strings) and the root fields each selected
//! operation would execute, through aliases and inline and named fragments.
//!
//! The document is parsed with `apollo-parser`: a maintained, spec-complete GraphQL parser that
//! keeps byte ranges for every node (so findings point at `volumeDelete` itself), recovers from
//! errors instead of panicking, and has recursion and token limits for hostile input. Nothing here
//! matches the raw text with patterns, and nothing here decides: the judge does.

use std::collections::BTreeMap;

use apollo_parser::cst::{self, CstNode};
use blastwall_core::Span;
use serde_json::value::RawValue;

use crate::Limits;
use crate::located::{Located, Members, array_items, offset_in};
use crate::view::{BodyKind, RequestView};

/// One GraphQL request: a document with its operation name and variables.
#[derive(Debug)]
pub(crate) struct Envelope {
    pub query: Option<Located>,
    pub operation_name: Option<String>,
    /// String values found in `variables`, for environment hints.
    pub variable_strings: Vec<String>,
    /// The `variables` object, for arguments given as `$name`.
    pub variables: Option<serde_json::Value>,
    /// `batch[2]`, `form body`, `query string`.
    pub via: String,
    /// Why this envelope cannot be judged (duplicate members, a query that is not a string).
    pub problem: Option<(String, Span)>,
    /// Span of the whole envelope, for findings that concern it.
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OperationKind {
    Query,
    Mutation,
    Subscription,
}

impl OperationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Query => "query",
            OperationKind::Mutation => "mutation",
            OperationKind::Subscription => "subscription",
        }
    }
}

/// A field at the root of an operation: what the server executes.
#[derive(Debug)]
pub(crate) struct RootField {
    pub name: String,
    pub span: Span,
    pub operation: OperationKind,
    pub operation_name: Option<String>,
    /// Fragments and batches the field was reached through, outermost first.
    pub via: Vec<String>,
    /// String literals in its arguments, for environment hints.
    pub string_args: Vec<String>,
    /// Its arguments as a JSON object, variables substituted.
    pub args: serde_json::Value,
}

/// The outcome of reading one envelope.
#[derive(Debug)]
pub(crate) enum Reading {
    Fields(Vec<RootField>),
    /// The document cannot be judged: why, and where.
    Problem(String, Span),
}

/// Is this request a GraphQL request? Its path names a GraphQL endpoint, its body is
/// `application/graphql`, or it carries a `query` that reads as a GraphQL document.
pub(crate) fn is_graphql(view: &RequestView<'_>) -> bool {
    if view.body_kind == BodyKind::GraphQl {
        return true;
    }
    if view
        .segments
        .iter()
        .any(|s| matches!(s.as_str(), "graphql" | "gql" | "graphiql") || s.ends_with("graphql"))
    {
        return true;
    }
    if view
        .query
        .iter()
        .chain(view.form.iter())
        .any(|p| p.key == "query" && looks_like_graphql(&p.value.text))
    {
        return true;
    }
    json_query_values(view)
        .iter()
        .any(|q| looks_like_graphql(q))
}

/// The `query` strings of a JSON body (object or batch array), decoded.
fn json_query_values(view: &RequestView<'_>) -> Vec<String> {
    let mut out = Vec::new();
    match &view.json {
        Some(serde_json::Value::Object(o)) => {
            if let Some(q) = o.get("query").and_then(|v| v.as_str()) {
                out.push(q.to_owned());
            }
        }
        Some(serde_json::Value::Array(a)) => {
            for item in a.iter().take(8) {
                if let Some(q) = item.get("query").and_then(|v| v.as_str()) {
                    out.push(q.to_owned());
                }
            }
        }
        _ => {}
    }
    out
}

/// Does the text start like a GraphQL executable document (after comments and whitespace)?
pub(crate) fn looks_like_graphql(text: &str) -> bool {
    let mut t = text;
    loop {
        t = t.trim_start_matches(|c: char| c.is_whitespace() || c == ',' || c == '\u{feff}');
        if let Some(rest) = t.strip_prefix('#') {
            t = rest.split_once('\n').map_or("", |(_, r)| r);
            continue;
        }
        break;
    }
    if t.starts_with('{') {
        return true;
    }
    let word: String = t
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(
        word.as_str(),
        "query" | "mutation" | "subscription" | "fragment"
    )
}

/// Every envelope the request carries.
pub(crate) fn envelopes(view: &RequestView<'_>, limits: &Limits) -> Vec<Envelope> {
    let mut out = Vec::new();
    let body = view.parsed.body;
    let body_start = view.parsed.body_start;
    match view.body_kind {
        BodyKind::GraphQl => {
            let (name, vars) = name_and_vars_from_params(view, false);
            out.push(Envelope {
                query: Some(Located::verbatim(body, body_start)),
                operation_name: name,
                variable_strings: vars,
                variables: variables_from_params(view),
                via: "application/graphql body".into(),
                problem: None,
                span: view.body_span(),
            });
        }
        BodyKind::Json if view.json.is_some() => {
            let trimmed = body.trim_start();
            if trimmed.starts_with('[') {
                match array_items(body) {
                    Some(items) => {
                        for (i, item) in items.iter().enumerate() {
                            if i >= limits.max_batch {
                                out.push(Envelope {
                                    query: None,
                                    operation_name: None,
                                    variable_strings: Vec::new(),
                                    variables: None,
                                    via: format!("batch[{i}]"),
                                    problem: Some((
                                        format!(
                                            "the batch holds more than {} operations",
                                            limits.max_batch
                                        ),
                                        view.body_span(),
                                    )),
                                    span: view.body_span(),
                                });
                                break;
                            }
                            out.push(json_envelope(body, body_start, item, format!("batch[{i}]")));
                        }
                    }
                    None => out.push(problem_envelope(view, "the JSON batch cannot be read")),
                }
            } else {
                match serde_json::from_str::<&RawValue>(body) {
                    Ok(raw) => out.push(json_envelope(body, body_start, raw, "JSON body".into())),
                    Err(_) => out.push(problem_envelope(view, "the JSON body cannot be read")),
                }
            }
        }
        BodyKind::Form => {
            if let Some(q) = view.form.iter().find(|p| p.key == "query") {
                let (name, vars) = name_and_vars_from_params(view, true);
                out.push(Envelope {
                    query: Some(q.value.clone()),
                    operation_name: name,
                    variable_strings: vars,
                    variables: variables_from_params(view),
                    via: "form body".into(),
                    problem: None,
                    span: q.span,
                });
            }
        }
        _ => {}
    }
    // A query string is read too, even beside a body: a server may take either.
    for q in view.query.iter().filter(|p| p.key == "query") {
        let (name, vars) = name_and_vars_from_params(view, false);
        out.push(Envelope {
            query: Some(q.value.clone()),
            operation_name: name,
            variable_strings: vars,
            variables: variables_from_params(view),
            via: "query string".into(),
            problem: None,
            span: q.span,
        });
    }
    out
}

fn problem_envelope(view: &RequestView<'_>, why: &str) -> Envelope {
    Envelope {
        query: None,
        operation_name: None,
        variable_strings: Vec::new(),
        variables: None,
        via: "body".into(),
        problem: Some((why.into(), view.body_span())),
        span: view.body_span(),
    }
}

fn name_and_vars_from_params(
    view: &RequestView<'_>,
    form_first: bool,
) -> (Option<String>, Vec<String>) {
    let find = |key: &str| {
        let (a, b) = if form_first {
            (&view.form, &view.query)
        } else {
            (&view.query, &view.form)
        };
        a.iter()
            .chain(b.iter())
            .find(|p| p.key == key)
            .map(|p| p.value.text.clone())
    };
    let name = find("operationname").filter(|n| !n.is_empty());
    let mut vars = Vec::new();
    if let Some(v) = find("variables")
        && let Ok(value) = serde_json::from_str::<serde_json::Value>(&v)
    {
        strings_of(&value, &mut vars, 0);
    }
    (name, vars)
}

fn json_envelope(body: &str, body_start: usize, raw: &RawValue, via: String) -> Envelope {
    let text = raw.get();
    let start = body_start + offset_in(body, text);
    let span = Span::new(start, start + text.len());
    let fail = |why: String| Envelope {
        query: None,
        operation_name: None,
        variable_strings: Vec::new(),
        variables: None,
        via: via.clone(),
        problem: Some((why, span)),
        span,
    };
    let Some(members) = Members::parse(text) else {
        return fail(format!("the {via} is not a JSON object"));
    };
    let queries: Vec<&RawValue> = members.all("query").collect();
    if queries.len() > 1 {
        return fail(format!(
            "the {via} has `query` {} times: servers disagree on which one runs",
            queries.len()
        ));
    }
    let query = match queries.first() {
        Some(q) if q.get().trim() == "null" => None,
        Some(q) => {
            let lit = q.get();
            let lit_start = body_start + offset_in(body, lit);
            match Located::json_string(lit, lit_start) {
                Some(l) => Some(l),
                None => return fail(format!("the `query` of the {via} is not a string")),
            }
        }
        None => None,
    };
    let names: Vec<&RawValue> = members.all("operationName").collect();
    if names.len() > 1 {
        return fail(format!("the {via} has `operationName` more than once"));
    }
    let operation_name = names
        .first()
        .and_then(|n| serde_json::from_str::<Option<String>>(n.get()).ok())
        .flatten()
        .filter(|n| !n.is_empty());
    let mut variable_strings = Vec::new();
    let mut variables = None;
    for v in members.all("variables") {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(v.get()) {
            // Some clients send the variables as a JSON string.
            if let Some(s) = value.as_str()
                && let Ok(inner) = serde_json::from_str::<serde_json::Value>(s)
            {
                strings_of(&inner, &mut variable_strings, 0);
                variables = Some(inner);
            } else {
                variables = Some(value.clone());
            }
            strings_of(&value, &mut variable_strings, 0);
        }
    }
    let persisted = members
        .all("extensions")
        .any(|e| e.get().contains("persistedQuery"));
    let problem = if query.is_none() && persisted {
        Some((
            format!(
                "the {via} names a persisted query by its hash: the operation it runs is not in the request"
            ),
            span,
        ))
    } else if query.is_none() {
        Some((format!("the {via} has no `query`"), span))
    } else {
        None
    };
    Envelope {
        query,
        operation_name,
        variable_strings,
        variables,
        via,
        problem,
        span,
    }
}

fn variables_from_params(view: &RequestView<'_>) -> Option<serde_json::Value> {
    view.query
        .iter()
        .chain(view.form.iter())
        .find(|p| p.key == "variables")
        .and_then(|p| serde_json::from_str(&p.value.text).ok())
}

fn strings_of(v: &serde_json::Value, out: &mut Vec<String>, depth: usize) {
    if out.len() >= 128 || depth > 16 {
        return;
    }
    match v {
        serde_json::Value::String(s) if s.len() <= 256 => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings_of(x, out, depth + 1)),
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                if out.len() < 128 {
                    out.push(k.clone());
                }
                strings_of(x, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// The root fields the envelope's selected operation(s) would execute.
pub(crate) fn read(envelope: &Envelope, limits: &Limits) -> Reading {
    if let Some((why, span)) = &envelope.problem {
        return Reading::Problem(why.clone(), *span);
    }
    let Some(query) = &envelope.query else {
        return Reading::Problem("no GraphQL document".into(), envelope.span);
    };
    if query.text.len() > limits.max_graphql_bytes {
        return Reading::Problem(
            format!(
                "the GraphQL document is {} bytes, over the {} bytes this classifier reads",
                query.text.len(),
                limits.max_graphql_bytes
            ),
            query.whole,
        );
    }
    let tree = apollo_parser::Parser::new(&query.text)
        .recursion_limit(limits.max_graphql_depth)
        .token_limit(limits.max_graphql_tokens)
        .parse();
    if let Some(err) = tree.errors().next() {
        let at = err.index().min(query.text.len());
        let end = (at + err.data().len()).min(query.text.len());
        return Reading::Problem(
            format!("the GraphQL document does not parse: {}", err.message()),
            if end > at {
                query.span(at, end)
            } else {
                query.whole
            },
        );
    }
    let doc = tree.document();
    let mut operations = Vec::new();
    let mut fragments: BTreeMap<String, cst::FragmentDefinition> = BTreeMap::new();
    for def in doc.definitions() {
        match def {
            cst::Definition::OperationDefinition(op) => operations.push(op),
            cst::Definition::FragmentDefinition(f) => {
                if let Some(name) = f.fragment_name().and_then(|n| n.name()) {
                    let name = name.text().to_string();
                    if fragments.contains_key(&name) {
                        return Reading::Problem(
                            format!("the fragment `{name}` is defined twice"),
                            query.whole,
                        );
                    }
                    fragments.insert(name, f);
                }
            }
            // Type-system definitions are not executable: a server refuses the document.
            _ => {}
        }
    }
    if operations.is_empty() {
        return Reading::Problem("the GraphQL document has no operation".into(), query.whole);
    }
    let names: Vec<Option<String>> = operations
        .iter()
        .map(|op| op.name().map(|n| n.text().to_string()))
        .collect();
    // The server runs only the operation `operationName` selects. When it selects none (or is
    // absent with several operations), every operation is judged: the strictest wins.
    let selected: Vec<usize> = match &envelope.operation_name {
        Some(wanted) => {
            let hits: Vec<usize> = (0..operations.len())
                .filter(|i| names[*i].as_deref() == Some(wanted.as_str()))
                .collect();
            if hits.len() == 1 {
                hits
            } else {
                (0..operations.len()).collect()
            }
        }
        None => (0..operations.len()).collect(),
    };
    let mut fields = Vec::new();
    for i in selected {
        let op = &operations[i];
        let kind = match op.operation_type() {
            Some(t) if t.mutation_token().is_some() => OperationKind::Mutation,
            Some(t) if t.subscription_token().is_some() => OperationKind::Subscription,
            _ => OperationKind::Query,
        };
        let Some(set) = op.selection_set() else {
            continue;
        };
        let mut walk = Walk {
            query,
            variables: envelope.variables.as_ref(),
            fragments: &fragments,
            limits,
            out: &mut fields,
            operation: kind,
            operation_name: names[i].clone(),
            via: vec![envelope.via.clone()],
            stack: Vec::new(),
        };
        if let Err(why) = walk.selection_set(&set) {
            return Reading::Problem(why, query.whole);
        }
    }
    Reading::Fields(fields)
}

struct Walk<'a> {
    query: &'a Located,
    variables: Option<&'a serde_json::Value>,
    fragments: &'a BTreeMap<String, cst::FragmentDefinition>,
    limits: &'a Limits,
    out: &'a mut Vec<RootField>,
    operation: OperationKind,
    operation_name: Option<String>,
    via: Vec<String>,
    /// Fragments being expanded, to stop cycles.
    stack: Vec<String>,
}

impl Walk<'_> {
    fn selection_set(&mut self, set: &cst::SelectionSet) -> Result<(), String> {
        if self.stack.len() > self.limits.max_fragment_depth {
            return Err(format!(
                "fragments nest deeper than {} levels",
                self.limits.max_fragment_depth
            ));
        }
        for selection in set.selections() {
            match selection {
                cst::Selection::Field(f) => {
                    if self.out.len() >= self.limits.max_root_fields {
                        return Err(format!(
                            "the request selects more than {} root fields",
                            self.limits.max_root_fields
                        ));
                    }
                    let Some(name) = f.name() else { continue };
                    let range = name.syntax().text_range();
                    let (s, e) = (usize::from(range.start()), usize::from(range.end()));
                    let mut string_args = Vec::new();
                    let mut args = serde_json::Map::new();
                    if let Some(list) = f.arguments() {
                        for arg in list.arguments() {
                            if let Some(v) = arg.value() {
                                string_literals(&v, &mut string_args, 0);
                                if let Some(n) = arg.name() {
                                    args.insert(
                                        n.text().to_string(),
                                        to_json(&v, self.variables, 0),
                                    );
                                }
                            }
                        }
                    }
                    self.out.push(RootField {
                        name: name.text().to_string(),
                        span: self.query.span(s, e),
                        operation: self.operation,
                        operation_name: self.operation_name.clone(),
                        via: self.via.clone(),
                        string_args,
                        args: serde_json::Value::Object(args),
                    });
                }
                cst::Selection::InlineFragment(inline) => {
                    if let Some(inner) = inline.selection_set() {
                        self.via.push("inline fragment".into());
                        self.stack.push(String::new());
                        let r = self.selection_set(&inner);
                        self.stack.pop();
                        self.via.pop();
                        r?;
                    }
                }
                cst::Selection::FragmentSpread(spread) => {
                    let Some(name) = spread
                        .fragment_name()
                        .and_then(|n| n.name())
                        .map(|n| n.text().to_string())
                    else {
                        continue;
                    };
                    if self.stack.contains(&name) {
                        // A cycle: servers reject the document; nothing more to find here.
                        continue;
                    }
                    let Some(def) = self.fragments.get(&name) else {
                        return Err(format!("the fragment `{name}` is spread but not defined"));
                    };
                    if let Some(inner) = def.selection_set() {
                        self.via.push(format!("fragment {name}"));
                        self.stack.push(name);
                        let r = self.selection_set(&inner);
                        self.stack.pop();
                        self.via.pop();
                        r?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// An argument value as JSON: enums as their names, variables as their values (or `"$name"`
/// when the request does not give them).
fn to_json(v: &cst::Value, vars: Option<&serde_json::Value>, depth: usize) -> serde_json::Value {
    use serde_json::Value as J;
    if depth > 16 {
        return J::Null;
    }
    match v {
        cst::Value::StringValue(s) => J::String(String::from(s)),
        cst::Value::EnumValue(e) => {
            J::String(e.name().map(|n| n.text().to_string()).unwrap_or_default())
        }
        cst::Value::BooleanValue(b) => J::Bool(b.true_token().is_some()),
        cst::Value::NullValue(_) => J::Null,
        cst::Value::IntValue(i) => {
            let t = i.syntax().text().to_string();
            t.parse::<i64>()
                .map_or(J::String(t), |n| J::Number(n.into()))
        }
        cst::Value::FloatValue(f) => {
            let t = f.syntax().text().to_string();
            t.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(J::String(t), J::Number)
        }
        cst::Value::ListValue(l) => {
            J::Array(l.values().map(|x| to_json(&x, vars, depth + 1)).collect())
        }
        cst::Value::ObjectValue(o) => J::Object(
            o.object_fields()
                .filter_map(|f| {
                    let name = f.name()?.text().to_string();
                    Some((name, to_json(&f.value()?, vars, depth + 1)))
                })
                .collect(),
        ),
        cst::Value::Variable(var) => {
            let name = var.name().map(|n| n.text().to_string()).unwrap_or_default();
            vars.and_then(|all| all.get(&name))
                .cloned()
                .unwrap_or_else(|| J::String(format!("${name}")))
        }
    }
}

fn string_literals(v: &cst::Value, out: &mut Vec<String>, depth: usize) {
    if depth > 8 || out.len() >= 64 {
        return;
    }
    match v {
        cst::Value::StringValue(s) => out.push(String::from(s)),
        cst::Value::EnumValue(e) => {
            if let Some(n) = e.name() {
                out.push(n.text().to_string());
            }
        }
        cst::Value::ListValue(l) => l.values().for_each(|x| string_literals(&x, out, depth + 1)),
        cst::Value::ObjectValue(o) => {
            for f in o.object_fields() {
                if let Some(x) = f.value() {
                    string_literals(&x, out, depth + 1);
                }
            }
        }
        _ => {}
    }
}
