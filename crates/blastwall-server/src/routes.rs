//! The HTTP API: routes, authentication by bearer token, JSON bodies, and the background tasks
//! of `blastwall serve` (expiring requests, reloading the policy file).
//!
//! Every handler hands its work to a blocking thread (decisions and votes wait on SQLite's fsync)
//! and answers with JSON, errors included. This module must never decide anything itself: it
//! parses, authenticates and calls [`Daemon`].

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use blastwall_control::{Choice, Principal};
use serde::Serialize;
use serde::de::DeserializeOwned;

use base64::Engine as _;

use crate::api::{MAX_BODY_BYTES, NewPassword, TOTP_HEADER, VoteBody};
use crate::daemon::Daemon;
use crate::error::ApiError;

/// The OpenAPI 3.1 document of this API.
pub const OPENAPI: &str = include_str!("../openapi.json");

type Shared = State<Arc<Daemon>>;
type Body = Result<Bytes, BytesRejection>;
/// A path id; an unreadable one (not UTF-8) is answered like an unknown one, after the caller
/// is authenticated.
type Id = Result<Path<String>, PathRejection>;

fn id_of(id: Id) -> String {
    // An id that is not text names nothing; the lookup below reports it as unknown.
    id.map(|Path(id)| id).unwrap_or_default()
}

/// The API's routes over `daemon`.
pub fn router(daemon: Arc<Daemon>) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/v1/whoami", get(whoami))
        .route("/v1/decide", post(decide))
        .route("/v1/approvals", get(list_approvals))
        .route("/v1/approvals/{id}", get(show_approval))
        .route("/v1/approvals/{id}/approve", post(approve))
        .route("/v1/approvals/{id}/deny", post(deny))
        .route("/v1/callbacks/vote", post(callback_vote))
        .route("/v1/agents", get(list_agents).post(create_agent))
        .route("/v1/humans", get(list_humans).post(create_human))
        .route("/v1/humans/{id}/password", post(set_password))
        .route("/v1/humans/{id}/totp", post(enable_totp))
        .route("/v1/principals/{id}/revoke", post(revoke))
        .route("/v1/policy", get(policy))
        .route("/v1/policy/reload", post(reload_policy))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(daemon)
}

/// Serves the API on `listener` until `shutdown` completes, expiring requests and watching the
/// policy file in the background.
pub async fn serve(
    listener: tokio::net::TcpListener,
    daemon: Arc<Daemon>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let expiring = daemon.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(15));
        loop {
            tick.tick().await;
            let d = expiring.clone();
            let _ = tokio::task::spawn_blocking(move || d.expire_due()).await;
        }
    });
    if let Some(path) = daemon.settings().policy_file.clone() {
        let watching = daemon.clone();
        tokio::spawn(async move {
            let stamp = |p: &std::path::Path| {
                std::fs::metadata(p)
                    .ok()
                    .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()))
            };
            let mut seen = stamp(&path);
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                let now = stamp(&path);
                if now == seen {
                    continue;
                }
                seen = now;
                match watching.reload_policy() {
                    Ok(Some(report)) => tracing::info!(
                        file = %report.path.display(),
                        policies = report.policies,
                        added = ?report.added,
                        removed = ?report.removed,
                        "policy reloaded"
                    ),
                    Ok(None) => {}
                    Err(e) => tracing::error!(
                        "the policy file changed but does not load; the previous policy stays in force: {e}"
                    ),
                }
            }
        });
    }
    axum::serve(listener, router(daemon))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Runs `work` on a blocking thread; a panic there becomes a 500, never a dropped connection.
async fn blocking<T: Serialize + Send + 'static>(
    daemon: Arc<Daemon>,
    work: impl FnOnce(&Daemon) -> Result<T, ApiError> + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(move || work(&daemon)).await {
        Ok(Ok(value)) => axum::Json(value).into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "blastwall failed while handling this call (please report it); nothing was approved",
        )
        .into_response(),
    }
}

/// The caller, from `Authorization: Bearer <token>`, or, for a human with a password,
/// `Authorization: Basic <name:password>` with the TOTP code in `X-Blastwall-TOTP`.
fn caller(daemon: &Daemon, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthorized(
                "no credentials: send `Authorization: Bearer <token>` (agents use their agent token, humans their own) or a human's `Authorization: Basic` login",
            )
        })?
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not readable text"))?;
    // The scheme is case-insensitive (RFC 9110).
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("Bearer") {
        return daemon.authenticate(rest.trim());
    }
    let Some(basic) = scheme.eq_ignore_ascii_case("Basic").then_some(rest) else {
        return Err(ApiError::unauthorized(
            "the Authorization header must be `Bearer <token>` or `Basic <name:password>`",
        ));
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            ApiError::unauthorized("the Basic credentials are not base64 of `name:password`")
        })?;
    let (name, password) = decoded
        .split_once(':')
        .ok_or_else(|| ApiError::unauthorized("the Basic credentials are not `name:password`"))?;
    let totp = headers
        .get(TOTP_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    daemon.login(name, password, totp)
}

/// The JSON body, or a 4xx that says what is wrong with it.
fn json<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = body_text(body)?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(
            "invalid-json",
            format!("the request body is not valid here: {e}"),
        )
    })
}

/// The body's bytes, or a 4xx that says why they could not be read.
fn body_text(body: Body) -> Result<Bytes, ApiError> {
    body.map_err(|e| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                "body-too-large",
                format!(
                    "the request body is larger than {} KiB",
                    MAX_BODY_BYTES / 1024
                ),
            )
        } else {
            ApiError::new(
                status,
                "unreadable-body",
                format!("the request body could not be read: {e}"),
            )
        }
    })
}

async fn health(State(d): Shared) -> Response {
    blocking(d, |d| Ok(d.health())).await
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn whoami(State(d): Shared, headers: HeaderMap) -> Response {
    blocking(d, move |d| Ok(d.whoami(&caller(d, &headers)?))).await
}

async fn decide(State(d): Shared, headers: HeaderMap, body: Body) -> Response {
    blocking(d, move |d| {
        let who = caller(d, &headers)?;
        d.decide(&who, json(body)?)
    })
    .await
}

/// `GET /v1/approvals?state=…`.
#[derive(serde::Deserialize)]
struct ListQuery {
    state: Option<String>,
}

async fn list_approvals(
    State(d): Shared,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    blocking(d, move |d| {
        let who = caller(d, &headers)?;
        let Query(query) = query.map_err(|e| {
            ApiError::bad_request(
                "invalid-query",
                format!("the query string is not valid: {e}"),
            )
        })?;
        d.approvals(&who, query.state.as_deref())
    })
    .await
}

async fn show_approval(State(d): Shared, headers: HeaderMap, id: Id) -> Response {
    let id = id_of(id);
    blocking(d, move |d| d.approval(&caller(d, &headers)?, &id)).await
}

async fn approve(State(d): Shared, headers: HeaderMap, id: Id, body: Body) -> Response {
    let id = id_of(id);
    vote(d, headers, id, body, Choice::Approve).await
}

async fn deny(State(d): Shared, headers: HeaderMap, id: Id, body: Body) -> Response {
    let id = id_of(id);
    vote(d, headers, id, body, Choice::Deny).await
}

async fn vote(
    d: Arc<Daemon>,
    headers: HeaderMap,
    id: String,
    body: Body,
    choice: Choice,
) -> Response {
    blocking(d, move |d| {
        let who = caller(d, &headers)?;
        let bytes = body_text(body)?;
        let vote: VoteBody = if bytes.iter().all(u8::is_ascii_whitespace) {
            VoteBody::default()
        } else {
            json(Ok(bytes))?
        };
        d.vote(&who, &id, choice, vote.confirm.as_deref())
    })
    .await
}

async fn callback_vote(State(d): Shared, headers: HeaderMap, body: Body) -> Response {
    blocking(d, move |d| {
        let bytes = body_text(body)?;
        let signature = headers
            .get(blastwall_control::SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        d.callback_vote(&bytes, signature.as_deref())
    })
    .await
}

async fn list_agents(State(d): Shared, headers: HeaderMap) -> Response {
    blocking(d, move |d| d.agents(&caller(d, &headers)?)).await
}

async fn create_agent(State(d): Shared, headers: HeaderMap, body: Body) -> Response {
    blocking(d, move |d| {
        let who = caller(d, &headers)?;
        d.require_admin(&who, "create agents")?;
        d.create_agent(&who, json(body)?)
    })
    .await
}

async fn list_humans(State(d): Shared, headers: HeaderMap) -> Response {
    blocking(d, move |d| d.humans(&caller(d, &headers)?)).await
}

async fn create_human(State(d): Shared, headers: HeaderMap, body: Body) -> Response {
    blocking(d, move |d| {
        let who = caller(d, &headers)?;
        d.require_admin(&who, "create humans")?;
        d.create_human(&who, json(body)?)
    })
    .await
}

async fn set_password(State(d): Shared, headers: HeaderMap, id: Id, body: Body) -> Response {
    let id = id_of(id);
    blocking(d, move |d| {
        let who = caller(d, &headers)?;
        let new: NewPassword = json(body)?;
        d.set_password(&who, &id, &new.password)?;
        Ok(serde_json::json!({ "human": id, "password": "set" }))
    })
    .await
}

async fn enable_totp(State(d): Shared, headers: HeaderMap, id: Id) -> Response {
    let id = id_of(id);
    blocking(d, move |d| {
        let who = caller(d, &headers)?;
        d.enable_totp(&who, &id)
    })
    .await
}

async fn revoke(State(d): Shared, headers: HeaderMap, id: Id) -> Response {
    let id = id_of(id);
    blocking(d, move |d| {
        let who = caller(d, &headers)?;
        d.revoke(&who, &id)?;
        Ok(serde_json::json!({ "revoked": id }))
    })
    .await
}

async fn policy(State(d): Shared, headers: HeaderMap) -> Response {
    blocking(d, move |d| {
        caller(d, &headers)?;
        let (file, ids) = d.policy_ids();
        Ok(serde_json::json!({ "file": file, "policies": ids }))
    })
    .await
}

async fn reload_policy(State(d): Shared, headers: HeaderMap) -> Response {
    blocking(d, move |d| {
        let who = caller(d, &headers)?;
        d.require_admin(&who, "reload the policy")?;
        match d.reload_policy() {
            Ok(Some(report)) => Ok(serde_json::json!({
                "file": report.path.display().to_string(),
                "policies": report.policies,
                "changed": report.changed,
                "added": report.added,
                "removed": report.removed,
            })),
            Ok(None) => Err(ApiError::new(
                StatusCode::CONFLICT,
                "no-policy-file",
                "the daemon runs the embedded default policy; start it with --policy FILE to reload one",
            )),
            Err(e) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-policy",
                format!("the policy file does not load, so the previous policy stays in force: {e}"),
            )),
        }
    })
    .await
}

async fn not_found() -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no-such-route",
        "no such API route; the API is described at /openapi.json",
    )
    .into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "this route does not take that method; the API is described at /openapi.json",
    )
    .into_response()
}
