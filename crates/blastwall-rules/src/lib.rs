//! Rule packs as data.
//!
//! The code of blastwall knows *mechanisms*: how to unwrap `sudo`, how to decode `base64 -d | sh`,
//! how to resolve a path. The packs know *which* programs, operations and targets matter and what
//! to decide about them. Packs are TOML, embedded in the binary ([`embedded`]) and extendable or
//! overridable by the user's own pack files ([`RuleSet::add_pack`]): a user rule with the id of an
//! embedded rule replaces it.
//!
//! This crate parses and matches; it reads no files itself (the caller passes the text).

mod invocation;
mod pack;
mod paths;

pub use invocation::{Arg, Invocation};
pub use pack::{
    CodeCall, InterpreterSpec, PackError, PackFile, PackMeta, ProgramSpec, Rule, RuleMatch,
    RuleSet, ShellSpec, TargetMode, WrapperMode, WrapperSpec, embedded, positionals,
};
pub use paths::{PathClass, PathLists, normalize_path};
