//! The HTTP classifier: one HTTP request, as a proxy sees it, in; one [`Action`] per thing it
//! would do out.
//!
//! A request is judged by what the server would execute: its method (and every method-override
//! header or `_method`/`$method` parameter, the strictest winning), its host and decoded path, its
//! AWS operations (`X-Amz-Target`, every `Action=` in the query and the body, the strictest
//! winning), every root field of every GraphQL operation it selects (through aliases, fragments,
//! batches, `\u` escapes, query strings and form bodies), the Redis commands (those a Lua script
//! calls, and bulk deletes) and the SQL it carries in bodies, query strings and plain-text bodies
//! (with the parameters sent beside it bound, handed to the registry's SQL classifier), and what
//! its body sets, member by
//! member: public flags, grants, protections turned off, world-open network rules, filters that
//! select every record, batches of deletes, CIDR ranges that together cover every address. Rule
//! packs (TOML, embedded) say what matters for each provider and which dry runs each API really
//! honours (exact name and value); this crate only knows the mechanisms.
//!
//! Input contract: the `&str` handed to [`Classifier::classify`] is an HTTP/1.1 request message
//! in text form (`METHOD SP absolute-URL SP HTTP/1.1`, header lines, a blank line, the body),
//! with CRLF or LF line ends. [`HttpRequest::to_message`] writes that form.
//!
//! Fail closed: a message that cannot be read, a body that is too large, binary, compressed,
//! invalid JSON or of an unknown type on a request that can write, a GraphQL document that does
//! not parse, and SQL with no SQL classifier registered all become `ask`. This crate never sends
//! a request, never does I/O and never panics past its boundary.
//!
//! Dependencies: `apollo-parser` (a maintained, spec-complete GraphQL parser with byte ranges,
//! error recovery and recursion/token limits; `graphql-parser` has only line/column positions and
//! no limits), `url` (WHATWG URL parsing as servers do it), `httparse` (the request line and
//! headers, as hyper reads them), `form_urlencoded` and `percent-encoding` (query strings and form
//! bodies), `serde_json` with `raw_value` (bodies, with the offsets of the strings inside them).

mod fields;
mod graphql;
mod judge;
mod located;
mod message;
mod packs;
mod sql;
mod view;

use std::sync::Arc;

use blastwall_core::{
    Action, BlastRadius, Classifier, Context, Decision, Effect, Finding, Language, Registry,
    Resource, Scope, Span,
};

pub use message::{HttpError, HttpRequest};
pub use packs::{EMBEDDED_PACKS, HttpRules, PackError};

/// Bounds on the work one request may cause; past them the classifier says `ask`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bodies longer than this are not parsed.
    pub max_body: usize,
    /// Query or form parameters read.
    pub max_params: usize,
    /// Path segments kept.
    pub max_segments: usize,
    /// Environment hints collected.
    pub max_hints: usize,
    /// Operations in a batched GraphQL request.
    pub max_batch: usize,
    /// Bytes of one GraphQL document.
    pub max_graphql_bytes: usize,
    /// Nesting depth the GraphQL parser accepts.
    pub max_graphql_depth: usize,
    /// Tokens the GraphQL parser reads.
    pub max_graphql_tokens: usize,
    /// Root fields across all operations of a request.
    pub max_root_fields: usize,
    /// Fragment spreads inside fragment spreads.
    pub max_fragment_depth: usize,
    /// SQL statements handed to the SQL classifier.
    pub max_sql_strings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 1024 * 1024,
            max_params: 256,
            max_segments: 64,
            max_hints: 256,
            max_batch: 32,
            max_graphql_bytes: 256 * 1024,
            max_graphql_depth: 64,
            max_graphql_tokens: 50_000,
            max_root_fields: 256,
            max_fragment_depth: 16,
            max_sql_strings: 16,
        }
    }
}

/// The HTTP classifier, holding the rule packs it judges with.
#[derive(Clone, Debug)]
pub struct HttpClassifier {
    rules: Arc<HttpRules>,
    limits: Limits,
}

impl Default for HttpClassifier {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpClassifier {
    /// The classifier with the embedded packs.
    pub fn new() -> Self {
        // The embedded packs are data compiled into this crate and loaded by its tests: they
        // cannot fail here unless the build itself is broken.
        let rules = HttpRules::embedded().expect("the embedded HTTP rule packs are valid");
        HttpClassifier::with_rules(Arc::new(rules))
    }

    pub fn with_rules(rules: Arc<HttpRules>) -> Self {
        HttpClassifier {
            rules,
            limits: Limits::default(),
        }
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    pub fn rules(&self) -> &HttpRules {
        &self.rules
    }

    /// Classifies a typed request; spans point into [`HttpRequest::to_message`].
    pub fn classify_request(
        &self,
        request: &HttpRequest,
        ctx: &Context,
        registry: &Registry,
    ) -> Vec<Action> {
        self.classify(&request.to_message(), ctx, registry)
    }
}

impl Classifier for HttpClassifier {
    fn language(&self) -> Language {
        Language::Http
    }

    fn classify(&self, input: &str, ctx: &Context, registry: &Registry) -> Vec<Action> {
        // Defence in depth: nothing below is expected to panic, but a panic must still fail
        // closed instead of taking the door down.
        let run = std::panic::AssertUnwindSafe(|| {
            judge::classify(&self.rules, &self.limits, input, ctx, registry)
        });
        std::panic::catch_unwind(run).unwrap_or_else(|_| vec![internal_error(input, ctx)])
    }
}

fn internal_error(input: &str, ctx: &Context) -> Action {
    let span = Span::new(0, input.len());
    Action {
        principal: ctx.principal.clone(),
        environment: ctx.environments.resolve(std::iter::empty()).0,
        door: ctx.door.clone(),
        language: Language::Http,
        operation: "unknown".into(),
        resource: Resource {
            kind: "http-request".into(),
            name: "unknown".into(),
        },
        effect: Effect::Write,
        blast_radius: BlastRadius::new(Scope::Unknown, "cannot be estimated"),
        raw: input.chars().take(512).collect(),
        span,
        depth: 0,
        via: Vec::new(),
        finding: Finding {
            rule: "http.internal-error".into(),
            decision: Decision::Ask,
            reason: "blastwall failed while reading this HTTP request (please report it); a human should check it".into(),
            span,
        },
    }
}
