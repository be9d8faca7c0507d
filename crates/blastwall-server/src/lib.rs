//! `blastwall serve`: the control plane every front door asks "may this agent do this, here?".
//!
//! - [`Daemon`] holds the engine (classifiers and local rules), the Cedar policy in force, the
//!   identities and approval wall (`blastwall-control` over SQLite) and the audit log, and makes
//!   each decision ([`Daemon::decide`]; the steps are in the [`daemon`] module).
//! - [`routes`] is the HTTP API (axum) over it, described by the OpenAPI document served at
//!   `/openapi.json` ([`OPENAPI`]).
//! - [`api`] holds the JSON types both the daemon and its clients use.
//! - [`sink`] turns control-plane events into audit records; [`notify`] announces new approval
//!   requests by webhook.
//!
//! This crate must never decide by itself what the core, the policy or the approval wall decide,
//! and must never answer a failure with anything an agent could read as "go ahead".

pub mod api;
pub mod daemon;
mod error;
pub mod notify;
pub mod routes;
pub mod sink;

pub use daemon::{Daemon, Settings};
pub use error::ApiError;
pub use notify::Webhook;
pub use routes::{OPENAPI, router, serve};
pub use sink::AuditTrail;
