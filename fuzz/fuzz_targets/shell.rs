//! Fuzz target for the shell classifier: arbitrary bytes, read as lossy UTF-8 bash source, through
//! the whole in-process path (`Engine::check_text`: parse, classify, decide). The invariants are in
//! `common.rs`.

#![no_main]

use blastwall_core::Language;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::check(Language::Shell, data));
