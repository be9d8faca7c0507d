//! Fuzz target for the shell classifier: arbitrary bytes, read as lossy UTF-8, go through
//! the whole in-process path (`Engine::check_shell`: parse, classify, decide).
//!
//! The invariants are that no input, however malformed, makes the engine panic, and that an
//! `allow` verdict is never reached while one of its actions was judged stricter.

#![no_main]

use std::sync::OnceLock;

use blastwall::Engine;
use blastwall_core::Decision;
use libfuzzer_sys::fuzz_target;

static ENGINE: OnceLock<Engine> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let engine = ENGINE.get_or_init(Engine::embedded);
    let command = String::from_utf8_lossy(data);
    let verdict = engine.check_shell(&command);
    if verdict.decision == Decision::Allow {
        for judged in &verdict.actions {
            assert_eq!(
                judged.decision,
                Decision::Allow,
                "verdict is allow but an action is {:?}: {:?}",
                judged.decision,
                judged.action
            );
        }
    }
});
