//! Rule packs as data.
//!
//! The code of blastwall knows *mechanisms*: how to unwrap `sudo`, how to decode `base64 -d | sh`,
//! how to resolve a path. The packs know *which* programs, operations and targets matter and what
//! to decide about them. Packs are TOML, embedded in the binary ([`embedded`]) and extendable or
//! overridable by the user's own pack files ([`RuleSet::add_pack`]): a user rule with the id of an
//! embedded rule replaces it. The embedded packs are parsed and checked when the crate is built
//! (`build.rs`, with the model in `model.rs`) and stored in a compact binary form, so that a
//! process judging one command does not parse TOML to start.
//!
//! This crate parses and matches; it reads no files itself (the caller passes the text).

mod invocation;
mod model;
mod pack;
mod paths;

pub use invocation::{Arg, Invocation};
pub use model::{
    CodeCall, InterpreterSpec, PackError, PackFile, PackMeta, ProgramSpec, Rule, ShellSpec,
    TargetMode, WrapperMode, WrapperSpec,
};
pub use pack::{RuleMatch, RuleSet, embedded, positionals};
pub use paths::{PathClass, PathLists, normalize_path};
