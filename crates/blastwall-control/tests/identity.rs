//! Identities: tokens shown once and stored hashed, password and TOTP logins, revocation.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use blastwall_control::{ControlError, Principal, Role, SqliteStore, Store, totp_code};
use common::*;

#[test]
fn tokens_authenticate_their_principal_and_nothing_else() {
    let w = memory();
    assert!(
        matches!(&w.agent, Principal::Agent(a) if a.name == "coder" && a.environments == ["prod"])
    );
    assert!(matches!(&w.alice, Principal::Human(h) if h.roles == BTreeSet::from([Role::Approver])));
    assert!(matches!(&w.admin, Principal::Human(h) if h.has_role(Role::Admin)));

    let mut wrong = w.agent_token.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    let id_only = w.agent.id().to_owned();
    let human_id_agent_secret = format!(
        "{}.{}",
        w.alice.id(),
        w.agent_token.split_once('.').unwrap().1
    );
    for bad in [
        wrong.as_str(),
        "",
        ".",
        id_only.as_str(),
        "agt_000000000000000000000000.00",
        human_id_agent_secret.as_str(),
    ] {
        let err = w.control.authenticate(bad).unwrap_err();
        assert!(matches!(err, ControlError::InvalidToken), "{bad:?}: {err}");
    }
    assert_eq!(rejections(&w.events()).len(), 6);
}

#[test]
fn tokens_are_stored_only_as_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("control.db");
    let w = world(SqliteStore::open(&path).unwrap());
    let stored = w.control.store().agent(w.agent.id()).unwrap().unwrap();
    let secret = w.agent_token.split_once('.').unwrap().1.to_owned();
    assert_ne!(stored.token_hash.to_vec(), secret.as_bytes().to_vec());
    drop(w);
    let mut bytes = std::fs::read(&path).unwrap();
    for suffix in ["-wal", "-shm"] {
        if let Ok(more) = std::fs::read(dir.path().join(format!("control.db{suffix}"))) {
            bytes.extend(more);
        }
    }
    assert!(
        !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the token's secret is in the database file"
    );
}

#[test]
fn bootstrap_works_once() {
    let w = memory();
    let err = w.control.bootstrap_admin("second").unwrap_err();
    assert!(matches!(err, ControlError::AlreadyBootstrapped), "{err}");
    assert_eq!(
        rejections(&w.events()),
        vec![("admin".into(), "already-bootstrapped".into())]
    );
}

#[test]
fn names_are_checked_and_unique() {
    let w = memory();
    for bad in ["", "a b", "x;rm", &"a".repeat(65)] {
        let err = w
            .control
            .create_agent(&w.admin, bad, vec!["dev".into()], vec![])
            .unwrap_err();
        assert!(
            matches!(err, ControlError::InvalidName { .. }),
            "{bad:?}: {err}"
        );
    }
    let err = w
        .control
        .create_agent(&w.admin, "coder", vec!["dev".into()], vec![])
        .unwrap_err();
    assert!(matches!(err, ControlError::Exists { .. }), "{err}");
    let err = w
        .control
        .create_human(&w.admin, "alice", BTreeSet::new())
        .unwrap_err();
    assert!(matches!(err, ControlError::Exists { .. }), "{err}");
    // An approver is not an admin.
    let err = w
        .control
        .create_agent(&w.alice, "other", vec!["dev".into()], vec![])
        .unwrap_err();
    assert!(matches!(err, ControlError::MissingRole { .. }), "{err}");
}

#[test]
fn revoked_tokens_stop_working() {
    let w = memory();
    w.control.revoke(&w.admin, w.agent.id()).unwrap();
    let err = w.control.authenticate(&w.agent_token).unwrap_err();
    assert!(
        matches!(err, ControlError::Revoked { kind: "agent", .. }),
        "{err}"
    );
    let events = w.events();
    assert!(has(&events, "identity.revoked"));
    assert!(has(&events, "control.rejected.authenticate"));
    let err = w.control.revoke(&w.admin, w.agent.id()).unwrap_err();
    assert!(matches!(err, ControlError::NoSuchPrincipal { .. }), "{err}");
}

#[test]
fn password_and_totp_login() {
    let w = memory();
    let alice_id = w.alice.id().to_owned();
    let err = w
        .control
        .set_password(&w.alice, &alice_id, "short")
        .unwrap_err();
    assert!(matches!(err, ControlError::WeakPassword), "{err}");
    w.control
        .set_password(&w.alice, &alice_id, "correct horse battery")
        .unwrap();
    // Bob may not set alice's password; the admin may.
    let err = w
        .control
        .set_password(&w.bob, &alice_id, "bob's choice of password")
        .unwrap_err();
    assert!(matches!(err, ControlError::MissingRole { .. }), "{err}");

    let who = w
        .control
        .login("alice", "correct horse battery", None)
        .unwrap();
    assert_eq!(who.id(), alice_id);
    assert!(matches!(
        w.control.login("alice", "wrong horse battery", None),
        Err(ControlError::LoginFailed)
    ));
    assert!(matches!(
        w.control.login("nobody", "correct horse battery", None),
        Err(ControlError::LoginFailed)
    ));

    let enrollment = w.control.enable_totp(&w.alice, &alice_id).unwrap();
    assert!(
        enrollment
            .uri
            .starts_with("otpauth://totp/blastwall:alice?secret=")
    );
    assert!(matches!(
        w.control.login("alice", "correct horse battery", None),
        Err(ControlError::LoginFailed)
    ));
    let code = totp_code(&enrollment.secret_base32, T0).unwrap();
    assert_eq!(code.len(), 6);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert!(matches!(
        w.control
            .login("alice", "correct horse battery", Some(wrong)),
        Err(ControlError::LoginFailed)
    ));
    w.control
        .login("alice", "correct horse battery", Some(&code))
        .unwrap();
    // A code is good once.
    assert!(matches!(
        w.control
            .login("alice", "correct horse battery", Some(&code)),
        Err(ControlError::LoginFailed)
    ));
    // The next time step's code works, clock drift of one step is tolerated, older is not.
    w.advance(Duration::from_secs(30));
    let next = totp_code(&enrollment.secret_base32, T0 + 30_000).unwrap();
    w.control
        .login("alice", "correct horse battery", Some(&next))
        .unwrap();
    w.advance(Duration::from_secs(300));
    let stale = totp_code(&enrollment.secret_base32, T0 + 60_000).unwrap();
    let now = totp_code(&enrollment.secret_base32, T0 + 330_000).unwrap();
    if stale != now {
        assert!(
            w.control
                .login("alice", "correct horse battery", Some(&stale))
                .is_err()
        );
    }
    assert!(has(&w.events(), "identity.credential-changed"));
}

#[test]
fn rfc_6238_test_vector() {
    // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", T = 59 s → 94287082 (8 digits);
    // with 6 digits the code is its last six: 287082.
    let secret_base32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_eq!(totp_code(secret_base32, 59_000).as_deref(), Some("287082"));
    assert_eq!(
        totp_code(secret_base32, 1_111_111_109_000).as_deref(),
        Some("081804")
    );
}
