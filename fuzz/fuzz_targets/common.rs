//! What every fuzz target shares: one engine for the process, the panic policy, and the
//! invariants checked on each input.
//!
//! The invariants are that no input, however malformed, makes the engine panic, and that an
//! `allow` verdict is never reached while one of its actions was judged stricter.

use std::sync::OnceLock;

use blastwall::Engine;
use blastwall_core::{Decision, Language};

static ENGINE: OnceLock<Engine> = OnceLock::new();

/// The engine catches panics inside the bash parser (and answers `ask`); libFuzzer's hook would
/// abort on them anyway. Keep aborting on every other panic: those are bugs of ours.
fn init() -> Engine {
    std::panic::set_hook(Box::new(|info| {
        let in_parser = info
            .location()
            .is_some_and(|l| l.file().contains("brush-parser"));
        if !in_parser {
            eprintln!("{info}");
            std::process::abort();
        }
    }));
    Engine::embedded()
}

/// Judges `data`, read as lossy UTF-8 input of `language`, and checks the invariants.
pub fn check(language: Language, data: &[u8]) {
    let engine = ENGINE.get_or_init(init);
    let input = String::from_utf8_lossy(data);
    let verdict = engine.check_text(language, &input);
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
}
