//! The normalized view of one request: every method it may be executed as, its hosts, its path
//! decoded and cleaned, its parameters (query and form), what its body is, and the hints that
//! place it in an environment.
//!
//! Normalization is where evasions die: `%2F` in a path, `//`, trailing slashes, `;params`, dot
//! segments, case variants, method-override headers and `_method` parameters all end up in the
//! same shape. This module must never judge; it only describes, and it never parses a body past
//! the size bound.

use blastwall_core::Span;
use serde_json::Value;

use crate::Limits;
use crate::fields::{self, Leaf};
use crate::located::Located;
use crate::message::ParsedMessage;

/// Headers that make a server run a request as another method.
const METHOD_OVERRIDE_HEADERS: &[&str] = &[
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

/// One method the request may run as, and where that came from.
#[derive(Clone, Debug)]
pub(crate) struct MethodSource {
    pub method: String,
    pub span: Span,
    /// `None` for the request line, else what overrode it.
    pub via: Option<String>,
}

/// Parameters that make a server run a request as another method (Rails and Laravel's
/// `_method`, Google's `$method`, the override headers' names used as parameters).
const METHOD_OVERRIDE_PARAMS: &[&str] = &[
    "_method",
    "$method",
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

/// One query or form parameter.
#[derive(Clone, Debug)]
pub(crate) struct Param {
    /// Lowercase, decoded.
    pub key: String,
    /// Decoded, as sent: some servers read names case-sensitively (`dryRun`).
    pub raw_key: String,
    pub value: Located,
    pub span: Span,
}

/// What the body is, as far as the headers and a look at it tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Empty,
    Json,
    Form,
    GraphQl,
    Text,
    Xml,
    Multipart,
    /// Uploads the classifier does not read (octet-stream, images, archives).
    Opaque,
    Unknown(String),
}

/// Why the body cannot be judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BodyProblem {
    TooLarge(usize),
    Binary,
    InvalidJson(String),
    Encoded(String),
    ConflictingContentTypes,
}

#[derive(Debug)]
pub(crate) struct RequestView<'m> {
    pub msg: &'m str,
    pub parsed: ParsedMessage<'m>,
    pub methods: Vec<MethodSource>,
    /// Lowercase hosts the request may reach, each also as `host:port`.
    pub hosts: Vec<String>,
    /// The host for messages (first one).
    pub host: String,
    /// Path as decoded, for messages.
    pub path: String,
    /// Lowercase decoded segments, empty ones and dot segments removed.
    pub segments: Vec<String>,
    pub query: Vec<Param>,
    pub form: Vec<Param>,
    pub body_kind: BodyKind,
    pub body_problem: Option<BodyProblem>,
    pub json: Option<Value>,
    /// The form body nested by its dotted keys (see [`RequestView::document`]).
    form_document: Option<Value>,
    /// Every member of the body (JSON, form, XML) and of the query string, read when a rule
    /// first asks (see [`RequestView::leaves`]).
    leaves: std::cell::OnceCell<Vec<Leaf>>,
    /// Lowercase `key=value` pairs of query and form, then the compact JSON or text body.
    pub content: String,
    pub env_hints: Vec<String>,
}

/// Why the request line cannot be understood.
#[derive(Debug)]
pub(crate) struct UrlProblem(pub String);

impl<'m> RequestView<'m> {
    pub fn build(
        msg: &'m str,
        parsed: ParsedMessage<'m>,
        limits: &Limits,
    ) -> Result<RequestView<'m>, UrlProblem> {
        let url = parse_url(&parsed)?;
        let mut hosts = Vec::new();
        let mut add_host = |h: &str, port: Option<u16>| {
            let h = h.trim_end_matches('.').to_ascii_lowercase();
            if h.is_empty() {
                return;
            }
            if let Some(p) = port {
                let with_port = format!("{h}:{p}");
                if !hosts.contains(&with_port) {
                    hosts.push(with_port);
                }
            }
            if !hosts.contains(&h) {
                hosts.push(h);
            }
        };
        let url_host = url
            .host_str()
            .unwrap_or("")
            .trim_matches(['[', ']'])
            .to_owned();
        add_host(&url_host, url.port_or_known_default());
        for h in parsed
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("host"))
        {
            let (name, port) = split_host_port(h.value.trim());
            add_host(name, port);
        }
        let host = hosts
            .iter()
            .find(|h| !h.contains(':'))
            .cloned()
            .unwrap_or_default();

        let (path, segments) = normalize_path(url.path(), limits);

        let target_start = parsed.target_span.start;
        // A fragment is never sent: a `?` inside it starts no query.
        let sent = parsed.target.split('#').next().unwrap_or("");
        let query = match sent.find('?') {
            Some(q) => params(&sent[q + 1..], target_start + q + 1, limits),
            None => Vec::new(),
        };

        let mut view = RequestView {
            msg,
            methods: Vec::new(),
            hosts,
            host,
            path,
            segments,
            query,
            form: Vec::new(),
            body_kind: BodyKind::Empty,
            body_problem: None,
            json: None,
            form_document: None,
            leaves: std::cell::OnceCell::new(),
            content: String::new(),
            env_hints: Vec::new(),
            parsed,
        };
        view.read_body(limits);
        view.collect_methods();
        view.build_content(limits);
        view.nest_form();
        view.collect_hints(limits);
        Ok(view)
    }

    fn read_body(&mut self, limits: &Limits) {
        let body = self.parsed.body;
        let types: Vec<String> = self
            .parsed
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("content-type"))
            .map(|h| media_type(h.value))
            .collect();
        if types.windows(2).any(|w| w[0] != w[1]) {
            self.body_problem = Some(BodyProblem::ConflictingContentTypes);
        }
        if body.trim().is_empty() {
            self.body_kind = BodyKind::Empty;
            return;
        }
        if body.len() > limits.max_body {
            self.body_problem = Some(BodyProblem::TooLarge(body.len()));
            self.body_kind = BodyKind::Opaque;
            return;
        }
        if let Some(enc) = self
            .parsed
            .header("content-encoding")
            .map(|h| h.value.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty() && e != "identity")
        {
            self.body_problem = Some(BodyProblem::Encoded(enc));
            self.body_kind = BodyKind::Opaque;
            return;
        }
        if looks_binary(body) {
            self.body_problem = Some(BodyProblem::Binary);
            self.body_kind = BodyKind::Opaque;
            return;
        }
        self.body_kind = match types.first().map(String::as_str) {
            Some(t) if t == "application/json" || t.ends_with("+json") || t == "text/json" => {
                BodyKind::Json
            }
            // `curl -d '{"value":"off"}'` declares a form, yet most JSON APIs read the body
            // as JSON whatever its type says: judge what the server will see.
            Some("application/x-www-form-urlencoded") if looks_json(body) => BodyKind::Json,
            Some("application/x-www-form-urlencoded") => BodyKind::Form,
            Some("application/graphql") | Some("application/graphql+json") => {
                if body.trim_start().starts_with('{') && t_is_json_body(body) {
                    BodyKind::Json
                } else {
                    BodyKind::GraphQl
                }
            }
            Some(t) if t.starts_with("text/") && t != "text/xml" => {
                if looks_json(body) {
                    BodyKind::Json
                } else {
                    BodyKind::Text
                }
            }
            Some(t) if t.ends_with("/xml") || t.ends_with("+xml") => BodyKind::Xml,
            Some(t) if t.starts_with("multipart/") => BodyKind::Multipart,
            Some(t)
                if t == "application/octet-stream"
                    || t.starts_with("image/")
                    || t.starts_with("audio/")
                    || t.starts_with("video/")
                    || t == "application/zip"
                    || t == "application/gzip"
                    || t == "application/pdf" =>
            {
                BodyKind::Opaque
            }
            Some(t) if t == "application/x-amz-json-1.0" || t == "application/x-amz-json-1.1" => {
                BodyKind::Json
            }
            Some(t) => BodyKind::Unknown(t.to_owned()),
            None if looks_json(body) => BodyKind::Json,
            None if looks_form(body) => BodyKind::Form,
            // A short line of text (a value written to a key-value store) or SQL (what database
            // HTTP interfaces take without a type) is text; anything else stays unknown.
            None if looks_plain_value(body) || crate::sql::looks_like_sql(body) => BodyKind::Text,
            None => BodyKind::Unknown("none given".into()),
        };
        match self.body_kind {
            BodyKind::Json => match serde_json::from_str::<Value>(body) {
                Ok(v) => self.json = Some(v),
                Err(e) => self.body_problem = Some(BodyProblem::InvalidJson(e.to_string())),
            },
            BodyKind::Form => self.form = params(body, self.parsed.body_start, limits),
            _ => {}
        }
    }

    fn collect_methods(&mut self) {
        let mut out = vec![MethodSource {
            method: self.parsed.method.to_ascii_uppercase(),
            span: self.parsed.request_line,
            via: None,
        }];
        for h in &self.parsed.headers {
            let name = h.name.to_ascii_lowercase();
            if METHOD_OVERRIDE_HEADERS.contains(&name.as_str()) {
                for m in h.value.split(',') {
                    let m = m.trim();
                    if !m.is_empty() {
                        out.push(MethodSource {
                            method: m.to_ascii_uppercase(),
                            span: h.span,
                            via: Some(format!("{} header", h.name)),
                        });
                    }
                }
            }
        }
        for p in self.query.iter().chain(self.form.iter()) {
            if METHOD_OVERRIDE_PARAMS.contains(&p.key.as_str()) {
                let m = p.value.text.trim();
                if !m.is_empty() {
                    out.push(MethodSource {
                        method: m.to_ascii_uppercase(),
                        span: p.span,
                        via: Some(format!("`{}` parameter", p.key)),
                    });
                }
            }
        }
        if let Some(Value::Object(o)) = &self.json {
            for (k, v) in o {
                if k.eq_ignore_ascii_case("_method")
                    && let Some(m) = v.as_str()
                {
                    out.push(MethodSource {
                        method: m.trim().to_ascii_uppercase(),
                        span: self.body_span(),
                        via: Some("`_method` in the JSON body".into()),
                    });
                }
            }
        }
        self.methods = out;
    }

    fn build_content(&mut self, limits: &Limits) {
        let mut c = String::new();
        for p in self.query.iter().chain(self.form.iter()) {
            c.push_str(&p.key);
            c.push('=');
            c.push_str(&p.value.text.to_ascii_lowercase());
            c.push('&');
        }
        c.push('\n');
        match (&self.json, &self.body_kind) {
            (Some(v), _) => c.push_str(&v.to_string().to_ascii_lowercase()),
            (None, BodyKind::Text | BodyKind::Xml | BodyKind::GraphQl) => {
                c.push_str(&self.parsed.body.to_ascii_lowercase())
            }
            _ => {}
        }
        c.truncate(floor_char_boundary(&c, limits.max_body * 2));
        self.content = c;
    }

    fn nest_form(&mut self) {
        if self.json.is_none() && self.body_kind == BodyKind::Form {
            self.form_document = Some(fields::nest_params(
                self.form
                    .iter()
                    .map(|p| (p.key.as_str(), p.value.text.as_str())),
            ));
        }
    }

    /// Every member of the body (JSON, form, XML) and of the query string.
    pub fn leaves(&self) -> &[Leaf] {
        self.leaves.get_or_init(|| self.collect_leaves())
    }

    fn collect_leaves(&self) -> Vec<Leaf> {
        let mut leaves = Vec::new();
        if let Some(doc) = self.document() {
            fields::json_leaves(doc, "", &mut leaves);
        }
        if self.body_kind == BodyKind::Xml {
            fields::xml_leaves(self.parsed.body, &mut leaves);
        }
        if !self.query.is_empty() {
            let q = fields::nest_params(
                self.query
                    .iter()
                    .map(|p| (p.key.as_str(), p.value.text.as_str())),
            );
            fields::json_leaves(&q, "", &mut leaves);
        }
        leaves
    }

    fn collect_hints(&mut self, limits: &Limits) {
        let mut hints: Vec<String> = self.hosts.clone();
        hints.push(self.path.clone());
        for p in self.query.iter().chain(self.form.iter()) {
            hints.push(p.value.text.clone());
        }
        if let Some(v) = &self.json {
            collect_strings(v, &mut hints, limits.max_hints, 0);
        }
        for h in &self.parsed.headers {
            let n = h.name.to_ascii_lowercase();
            if n.contains("environment") || n == "x-env" {
                hints.push(h.value.to_owned());
            }
        }
        hints.truncate(limits.max_hints);
        self.env_hints = hints;
    }

    /// The body as a document: the JSON body, or the form body nested by its dotted keys.
    pub fn document(&self) -> Option<&Value> {
        self.json.as_ref().or(self.form_document.as_ref())
    }

    /// The span of the body, or of the request line when the body is empty.
    pub fn body_span(&self) -> Span {
        if self.parsed.body.is_empty() {
            self.parsed.request_line
        } else {
            Span::new(self.parsed.body_start, self.msg.len())
        }
    }

    /// Can this request change anything on the server (any of its methods)?
    pub fn can_write(&self) -> bool {
        self.methods
            .iter()
            .any(|m| !matches!(m.method.as_str(), "GET" | "HEAD" | "OPTIONS" | "LIST"))
    }

    pub fn param(&self, key: &str) -> Option<&Param> {
        self.query
            .iter()
            .chain(self.form.iter())
            .find(|p| p.key == key)
    }

    pub fn header_value(&self, name: &str) -> Option<(&str, Span)> {
        self.parsed.header(name).map(|h| (h.value, h.value_span))
    }

    /// `METHOD https://host/path` for operation names and reasons.
    pub fn describe(&self, method: &str) -> String {
        format!("{method} {}{}", self.host, self.path)
    }
}

fn t_is_json_body(body: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(body).is_ok()
}

fn parse_url(parsed: &ParsedMessage<'_>) -> Result<url::Url, UrlProblem> {
    let target = parsed.target;
    if let Ok(u) = url::Url::parse(target) {
        if u.has_host() {
            return Ok(u);
        }
        return Err(UrlProblem(format!(
            "the request target `{}` has no host",
            truncate(target, 120)
        )));
    }
    // Origin form (`/path?q`) with a Host header, as some doors forward it.
    if target.starts_with('/')
        && let Some(h) = parsed.header("host")
        && let Ok(u) = url::Url::parse(&format!("http://{}{}", h.value.trim(), target))
    {
        return Ok(u);
    }
    Err(UrlProblem(format!(
        "the request target `{}` is not an absolute URL",
        truncate(target, 120)
    )))
}

fn split_host_port(v: &str) -> (&str, Option<u16>) {
    if let Some(rest) = v.strip_prefix('[') {
        let (h, after) = rest.split_once(']').unwrap_or((rest, ""));
        return (h, after.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match v.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => (h, p.parse().ok()),
        _ => (v, None),
    }
}

/// Decodes percent escapes (repeatedly: `%252F` is a `/` to a server that decodes twice), splits
/// on the slashes that appear, drops empty, `.` and `;param` parts and resolves `..`.
fn normalize_path(raw: &str, limits: &Limits) -> (String, Vec<String>) {
    let mut decoded = raw.to_owned();
    for _ in 0..3 {
        if !decoded.contains('%') {
            break;
        }
        let next = percent_encoding::percent_decode_str(&decoded)
            .decode_utf8_lossy()
            .into_owned();
        if next == decoded {
            break;
        }
        decoded = next;
    }
    let decoded = decoded.replace('\\', "/");
    let mut segments: Vec<String> = Vec::new();
    for seg in decoded.split('/') {
        let seg = seg.split(';').next().unwrap_or("").trim();
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s.to_ascii_lowercase()),
        }
        if segments.len() > limits.max_segments {
            break;
        }
    }
    let path = format!("/{}", segments.join("/"));
    (path, segments)
}

fn params(raw: &str, start: usize, limits: &Limits) -> Vec<Param> {
    let mut out = Vec::new();
    let mut offset = 0;
    for pair in raw.split('&') {
        let pair_start = start + offset;
        offset += pair.len() + 1;
        if pair.is_empty() {
            continue;
        }
        if out.len() >= limits.max_params {
            break;
        }
        let (k, v, v_off) = match pair.split_once('=') {
            Some((k, v)) => (k, v, k.len() + 1),
            None => (pair, "", pair.len()),
        };
        let raw_key = Located::percent_encoded(k, pair_start, true).text;
        out.push(Param {
            key: raw_key.to_ascii_lowercase(),
            raw_key,
            value: Located::percent_encoded(v, pair_start + v_off, true),
            span: Span::new(pair_start, pair_start + pair.len()),
        });
    }
    out
}

fn media_type(v: &str) -> String {
    v.split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn looks_json(body: &str) -> bool {
    let t = body.trim_start();
    t.starts_with('{') || t.starts_with('[')
}

/// One short line of printable text: a value, not a document.
fn looks_plain_value(body: &str) -> bool {
    let t = body.trim();
    t.len() <= 256 && !t.contains(['\n', '\r', '{', '[', '<']) && !t.chars().any(char::is_control)
}

fn looks_form(body: &str) -> bool {
    let t = body.trim();
    t.contains('=') && !t.contains(char::is_whitespace)
}

/// NUL bytes, replacement characters (bytes that were not UTF-8) or a high share of control
/// characters: not text a classifier can read.
fn looks_binary(body: &str) -> bool {
    if body.contains('\0') || body.contains('\u{FFFD}') {
        return true;
    }
    let sample: Vec<char> = body.chars().take(4096).collect();
    let control = sample
        .iter()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .count();
    control * 10 > sample.len()
}

fn collect_strings(v: &Value, out: &mut Vec<String>, max: usize, depth: usize) {
    if out.len() >= max || depth > 16 {
        return;
    }
    match v {
        Value::String(s) if s.len() <= 256 => out.push(s.clone()),
        Value::Array(a) => a
            .iter()
            .for_each(|x| collect_strings(x, out, max, depth + 1)),
        Value::Object(o) => o
            .values()
            .for_each(|x| collect_strings(x, out, max, depth + 1)),
        _ => {}
    }
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    format!("{}…", &s[..floor_char_boundary(s, max)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized() {
        let l = Limits::default();
        let (p, s) = normalize_path("/v1//Apps/%2Fprod%252Fx/./y/../", &l);
        assert_eq!(p, "/v1/apps/prod/x");
        assert_eq!(s, ["v1", "apps", "prod", "x"]);
        let (p, _) = normalize_path("/api/todos/42;jsessionid=1/", &l);
        assert_eq!(p, "/api/todos/42");
    }
}
