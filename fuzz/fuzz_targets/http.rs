//! Fuzz target for the HTTP classifier: arbitrary bytes, read as lossy UTF-8 HTTP/1.1 message text,
//! through the whole in-process path (`Engine::check_text`: parse, classify, decide). The
//! invariants are in `common.rs`.

#![no_main]

use blastwall_core::Language;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::check(Language::Http, data));
