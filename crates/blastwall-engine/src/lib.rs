//! The engine every door of blastwall judges with: wires the classifiers, the rule packs and the
//! configuration to the decision core, and defines the JSON an action is given in ([`Request`])
//! and the JSON a decision is reported in ([`Report`]).
//!
//! Every front door (`check`, `check --batch`, `explain`, the agent hooks, the control plane's
//! `/v1/decide`) goes through [`Engine::check`], so the same input gets the same decision
//! whichever door it came through. This crate does no I/O of its own: configuration files are
//! read by `blastwall-config` before an engine is built from them.

use std::collections::BTreeMap;
use std::sync::Arc;

use blastwall_core::{
    Classifier, Context, Decision, Door, Effect, Language, Policy, Principal, Registry, Span,
    Verdict, decide,
};
use blastwall_http::{HttpClassifier, HttpRequest};
use blastwall_rules::RuleSet;
use blastwall_shell::ShellClassifier;
use blastwall_sql::SqlClassifier;
use serde::{Deserialize, Serialize};

/// One action as `check` reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// `shell`, `sql` or `http`.
    pub tool: String,
    /// The shell command, for `tool = "shell"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// The SQL text, for `tool = "sql"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// The SQL dialect: `postgres` (the default), `mysql` or `sqlite`. The SQL classifier reads
    /// every one the same way (PostgreSQL's parser first, then MySQL's and SQLite's syntax), so a
    /// statement gets the same decision whichever dialect is named, as it does from `sqlite3` or
    /// `mysql` on the command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialect: Option<String>,
    /// The HTTP method, for `tool = "http"` (default `GET`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The absolute URL, for `tool = "http"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Request headers, for `tool = "http"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The request body, for `tool = "http"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

impl Request {
    fn new(tool: &str) -> Request {
        Request {
            tool: tool.into(),
            command: None,
            sql: None,
            dialect: None,
            method: None,
            url: None,
            headers: BTreeMap::new(),
            body: None,
            cwd: None,
            env: BTreeMap::new(),
            agent: None,
            session: None,
        }
    }

    /// A shell command with no other context.
    pub fn shell(command: &str) -> Request {
        Request {
            command: Some(command.into()),
            ..Request::new("shell")
        }
    }

    /// An HTTP request given as `METHOD URL` or as a whole HTTP/1.1 message.
    pub fn http_message(text: &str) -> Result<Request, blastwall_http::HttpError> {
        let first = text.lines().next().unwrap_or("");
        let message = if first.split_whitespace().count() == 2 {
            format!(
                "{} HTTP/1.1\r\n{}",
                first.trim(),
                &text[first.len()..].trim_start_matches(['\r', '\n'])
            )
        } else {
            text.to_owned()
        };
        let message = if message.contains("\r\n\r\n") || message.contains("\n\n") {
            message
        } else {
            format!("{}\r\n\r\n", message.trim_end())
        };
        let parsed = HttpRequest::parse_message(&message)?;
        Ok(Request {
            method: Some(parsed.method),
            url: Some(parsed.url),
            headers: parsed.headers.into_iter().collect(),
            body: Some(parsed.body),
            ..Request::new("http")
        })
    }

    /// A SQL text with no other context.
    pub fn sql(sql: &str) -> Request {
        Request {
            sql: Some(sql.into()),
            ..Request::new("sql")
        }
    }
}

/// Why a request could not be judged at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    #[error("unknown tool `{0}`: blastwall judges `shell`, `sql` and `http` actions")]
    UnknownTool(String),
    #[error("unknown SQL dialect `{0}`: blastwall reads `postgres`, `mysql` and `sqlite`")]
    UnknownDialect(String),
    #[error("a `{0}` action needs the field `{1}`")]
    MissingField(&'static str, &'static str),
}

/// What `check` prints for one action.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub decision: Decision,
    pub effect: Effect,
    pub rule: String,
    pub reason: String,
    pub span: Span,
    /// The input text the span covers.
    pub matched: String,
    pub environment: String,
    /// Every command found, in order, with its own decision.
    pub actions: Vec<ActionReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionReport {
    pub decision: Decision,
    pub effect: Effect,
    pub rule: String,
    pub operation: String,
    pub span: Span,
    pub environment: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
}

impl Report {
    pub fn new(verdict: &Verdict, input: &str) -> Report {
        Report {
            decision: verdict.decision,
            effect: verdict.effect,
            rule: verdict.rule.clone(),
            reason: verdict.reason.clone(),
            span: verdict.span,
            matched: verdict.span.slice(input).to_owned(),
            environment: verdict.environment.0.clone(),
            actions: verdict
                .actions
                .iter()
                .map(|j| ActionReport {
                    decision: j.decision,
                    effect: j.action.effect,
                    rule: j.action.finding.rule.clone(),
                    operation: j.action.operation.clone(),
                    span: j.action.finding.span,
                    environment: j.action.environment.0.clone(),
                    via: j.action.via.clone(),
                })
                .collect(),
        }
    }
}

/// The exit code of a decision: 0 allow, 2 deny, 3 ask.
pub fn exit_code(d: Decision) -> i32 {
    match d {
        Decision::Allow => 0,
        Decision::Deny => 2,
        Decision::Ask => 3,
    }
}

/// A classifier built the first time it is needed: a hook process that judges one shell command
/// should not pay for loading the HTTP provider packs.
struct OnFirstUse<C> {
    language: Language,
    build: fn() -> C,
    built: std::sync::OnceLock<C>,
}

impl<C> OnFirstUse<C> {
    fn new(language: Language, build: fn() -> C) -> Self {
        OnFirstUse {
            language,
            build,
            built: std::sync::OnceLock::new(),
        }
    }
}

impl<C: Classifier> Classifier for OnFirstUse<C> {
    fn language(&self) -> Language {
        self.language
    }

    fn classify(
        &self,
        input: &str,
        ctx: &Context,
        registry: &Registry,
    ) -> Vec<blastwall_core::Action> {
        self.built
            .get_or_init(self.build)
            .classify(input, ctx, registry)
    }
}

/// The classifiers, rules and policy of one configuration.
pub struct Engine {
    registry: Registry,
    policy: Policy,
    rules: Arc<RuleSet>,
}

impl Engine {
    pub fn new(rules: RuleSet, policy: Policy) -> Engine {
        let rules = Arc::new(rules);
        let registry = Registry::new()
            .with(Box::new(ShellClassifier::new(rules.clone())))
            .with(Box::new(SqlClassifier::new()))
            .with(Box::new(OnFirstUse::new(
                Language::Http,
                HttpClassifier::new,
            )));
        Engine {
            registry,
            policy,
            rules,
        }
    }

    /// The embedded rule packs and default policy, no configuration files.
    pub fn embedded() -> Engine {
        let rules = blastwall_rules::embedded()
            .expect("the embedded rule packs are checked by the test suite");
        Engine::new(rules, Policy::default())
    }

    pub fn from_loaded(loaded: blastwall_config::Loaded) -> Engine {
        Engine::new(loaded.rules, loaded.policy)
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Classifies and decides one request.
    pub fn check(&self, req: &Request, door: Door) -> Result<(Verdict, String), RequestError> {
        let (language, input) = match req.tool.as_str() {
            "shell" | "bash" | "sh" => (
                Language::Shell,
                req.command
                    .clone()
                    .ok_or(RequestError::MissingField("shell", "command"))?,
            ),
            "sql" => {
                match req.dialect.as_deref() {
                    None
                    | Some(
                        "postgres" | "postgresql" | "mysql" | "mariadb" | "sqlite" | "sqlite3",
                    ) => {}
                    Some(other) => return Err(RequestError::UnknownDialect(other.to_owned())),
                }
                (
                    Language::Sql,
                    req.sql
                        .clone()
                        .ok_or(RequestError::MissingField("sql", "sql"))?,
                )
            }
            "http" => {
                let url = req
                    .url
                    .clone()
                    .ok_or(RequestError::MissingField("http", "url"))?;
                let request = HttpRequest {
                    method: req.method.clone().unwrap_or_else(|| "GET".into()),
                    url,
                    headers: req
                        .headers
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    body: req.body.clone().unwrap_or_default(),
                };
                (Language::Http, request.to_message())
            }
            other => return Err(RequestError::UnknownTool(other.to_owned())),
        };
        let ctx = Context {
            principal: Principal {
                agent: req.agent.clone(),
                session: req.session.clone(),
            },
            door,
            cwd: req.cwd.clone(),
            vars: req.env.clone(),
            environments: self.policy.environments.clone(),
        };
        Ok((self.decide_input(language, &input, &ctx), input))
    }

    /// Classifies and decides raw input of one language.
    pub fn decide_input(&self, language: Language, input: &str, ctx: &Context) -> Verdict {
        let actions = self
            .registry
            .classify(language, input, ctx)
            .unwrap_or_default();
        decide(actions, &self.policy)
    }

    /// Shortcut for a shell command with the default context.
    pub fn check_shell(&self, command: &str) -> Verdict {
        self.check_text(Language::Shell, command)
    }

    /// Shortcut for input of any language (SQL text, an HTTP message) with the default context.
    pub fn check_text(&self, language: Language, input: &str) -> Verdict {
        let ctx = Context {
            environments: self.policy.environments.clone(),
            ..Context::default()
        };
        self.decide_input(language, input, &ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_dialect(sql: &str, dialect: &str) -> Request {
        Request {
            dialect: Some(dialect.into()),
            ..Request::sql(sql)
        }
    }

    #[test]
    fn sqlite_is_a_dialect_judged_like_the_others() {
        let engine = Engine::embedded();
        let decision = |req: &Request| engine.check(req, Door::Check).map(|(v, _)| v.decision);
        assert_eq!(
            decision(&with_dialect("PRAGMA table_info(users);", "sqlite")),
            Ok(Decision::Allow)
        );
        assert_ne!(
            decision(&with_dialect("PRAGMA writable_schema = ON;", "sqlite")),
            Ok(Decision::Allow)
        );
        // The same text gets the same decision whichever dialect is named.
        let sql = "DELETE FROM messages;";
        assert_eq!(
            decision(&with_dialect(sql, "sqlite")),
            decision(&with_dialect(sql, "postgres"))
        );
        assert_eq!(
            decision(&with_dialect("SELECT 1", "oracle")),
            Err(RequestError::UnknownDialect("oracle".into()))
        );
    }
}
