//! The decision core of blastwall.
//!
//! Every front door (the `check` CLI, agent hooks, the Postgres and HTTP proxies) turns what an
//! agent tries into one or more normalized [`Action`]s through a [`Classifier`], and hands them to
//! [`decide`], which applies the [`Policy`] (rule overrides and per-environment floors) and returns
//! one [`Verdict`]: allow, ask (human approval required) or deny, with the rule and the byte span of
//! the input that caused it.
//!
//! This crate must never do I/O, spawn threads or depend on an async runtime: it is shared by every
//! door and sits on the hot path of each of them. Reading files, sockets and configuration is the
//! caller's job.

mod action;
mod classify;
mod decide;
mod environment;
pub mod glob;

pub use action::{
    Action, BlastRadius, Door, Effect, Finding, Language, Principal, Resource, Scope, Span,
};
pub use classify::{Classifier, Context, Registry};
pub use decide::{Decision, Judged, Policy, SettledBy, Verdict, decide};
pub use environment::{EnvPattern, Environment, Environments, Floors};
