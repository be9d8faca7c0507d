//! The `blastwall` command's own modules: the audit recorder, the demo, `explain` and the hook
//! door. The engine they all judge with is `blastwall-engine`, re-exported here.

pub mod audit;
pub mod client;
pub mod demo;
pub mod explain;
pub mod hook;
pub mod remote;

pub use blastwall_engine::{ActionReport, Engine, Report, Request, RequestError, exit_code};
