//! Fuzz target for the HTTP classifier: arbitrary bytes, read as lossy UTF-8 HTTP/1.1 message
//! text (request line, headers, body), go through the whole in-process path
//! (`Engine::check_text`: parse, classify, decide).
//!
//! The invariants are that no input, however malformed, makes the engine panic, and that an
//! `allow` verdict is never reached while one of its actions was judged stricter.

#![no_main]

use std::sync::OnceLock;

use blastwall::Engine;
use blastwall_core::{Decision, Language};
use libfuzzer_sys::fuzz_target;

static ENGINE: OnceLock<Engine> = OnceLock::new();

/// The engine catches panics inside the bash parser (and answers `ask`); libFuzzer's hook would
/// abort on them anyway. Keep aborting on every other panic: those are bugs of ours.
fn init() -> Engine {
    std::panic::set_hook(Box::new(|info| {
        let in_parser = info.location().is_some_and(|l| l.file().contains("brush-parser"));
        if !in_parser {
            eprintln!("{info}");
            std::process::abort();
        }
    }));
    Engine::embedded()
}

fuzz_target!(|data: &[u8]| {
    let engine = ENGINE.get_or_init(init);
    let command = String::from_utf8_lossy(data);
    let verdict = engine.check_text(Language::Http, &command);
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
