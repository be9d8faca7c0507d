//! The approval wall as a door uses it: ask → approve → the identical action passes once → asks
//! again.

mod common;

use std::time::Duration;

use blastwall_control::{
    Choice, ControlError, EventKind, Gate, MemoryStore, SqliteStore, State, Store, slack_message,
};
use common::*;

fn happy_path<S: Store>(w: World<S>) {
    let subject = w.subject("rm -rf /srv/data");

    // The agent's action is held, and a request opens.
    let Gate::Wait(request) = w.control.gate(subject.clone(), options(&subject)).unwrap() else {
        panic!("a first ask must wait");
    };
    assert_eq!(request.state, State::Pending);
    assert_eq!(request.digest, subject.digest());
    assert!(request.id.starts_with("apr_"));
    let events = w.events();
    assert!(matches!(
        &events[..],
        [e] if matches!(&e.kind, EventKind::RequestCreated { request: id, confirmation_required: true, quorum: 1, .. } if *id == request.id)
    ));

    // Retrying before anyone voted waits on the same request.
    let Gate::Wait(again) = w.control.gate(subject.clone(), options(&subject)).unwrap() else {
        panic!("a retry before the vote must wait");
    };
    assert_eq!(again.id, request.id);
    assert!(w.events().is_empty());

    // The human sees the command, and runs it with the typed confirmation.
    let slack = slack_message(&request);
    let text = slack.to_string();
    assert!(
        text.contains(&format!(
            "blastwall approvals approve {} --confirm /srv/data",
            request.id
        )),
        "{text}"
    );
    let approved = w
        .control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap();
    assert_eq!(approved.state, State::Approved);
    assert!(w.events().iter().any(|e| matches!(
        &e.kind,
        EventKind::VoteCast {
            choice: Choice::Approve,
            state: State::Approved,
            approvals: 1,
            ..
        }
    )));

    // The identical action passes, once.
    let Gate::Pass(approval) = w.control.gate(subject.clone(), options(&subject)).unwrap() else {
        panic!("the approved action must pass");
    };
    assert_eq!(approval.request_id, request.id);
    assert_eq!(approval.approvers, vec!["alice".to_owned()]);
    assert!(has(&w.events(), "approval.used"));
    assert_eq!(
        w.control.request(&w.admin, &request.id).unwrap().state,
        State::Used
    );

    // The same action again asks again, on a new request.
    let Gate::Wait(next) = w.control.gate(subject.clone(), options(&subject)).unwrap() else {
        panic!("the same action after its one use must ask again");
    };
    assert_ne!(next.id, request.id);
    assert!(has(&w.events(), "approval.requested"));
}

#[test]
fn happy_path_in_memory() {
    happy_path(memory());
}

#[test]
fn happy_path_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    happy_path(world(
        SqliteStore::open(dir.path().join("control.db")).unwrap(),
    ));
}

#[test]
fn a_single_deny_denies_and_the_action_stays_refused_until_expiry() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject).quorum(2))
        .unwrap();
    w.control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap();
    // Denying needs no typed confirmation.
    let denied = w
        .control
        .vote(&request.id, &w.bob, Choice::Deny, None)
        .unwrap();
    assert_eq!(denied.state, State::Denied);

    let err = w
        .control
        .vote(&request.id, &w.admin, Choice::Approve, Some("/srv/data"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ControlError::NotOpen {
                state: State::Denied,
                ..
            }
        ),
        "{err}"
    );
    let err = w
        .control
        .redeem(&subject.digest(), w.agent.id(), Some("s1"))
        .unwrap_err();
    assert!(matches!(err, ControlError::RequestDenied { .. }), "{err}");
    assert!(matches!(
        w.control.gate(subject.clone(), options(&subject)).unwrap(),
        Gate::Refused(r) if r.id == request.id
    ));

    // After the denied request's lifetime, the agent may ask anew.
    w.advance(Duration::from_secs(15 * 60));
    assert!(matches!(
        w.control.gate(subject.clone(), options(&subject)).unwrap(),
        Gate::Wait(r) if r.id != request.id
    ));
}

#[test]
fn a_deny_withdraws_an_approval_not_yet_used() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject))
        .unwrap();
    w.control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap();
    let err = w
        .control
        .vote(&request.id, &w.bob, Choice::Approve, Some("/srv/data"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ControlError::NotOpen {
                state: State::Approved,
                ..
            }
        ),
        "{err}"
    );
    let vetoed = w
        .control
        .vote(&request.id, &w.bob, Choice::Deny, None)
        .unwrap();
    assert_eq!(vetoed.state, State::Denied);
    assert!(
        w.control
            .redeem(&subject.digest(), w.agent.id(), Some("s1"))
            .is_err()
    );
}

#[test]
fn expire_due_sweeps_and_reports() {
    let w = memory();
    let a = w.subject("rm -rf /srv/a");
    let b = w.subject("rm -rf /srv/b");
    let ra = w
        .control
        .request_approval(a.clone(), options(&a).ttl(Duration::from_secs(60)))
        .unwrap();
    let rb = w.control.request_approval(b.clone(), options(&b)).unwrap();
    w.events();
    w.advance(Duration::from_secs(60));
    let swept = w.control.expire_due().unwrap();
    assert_eq!(swept.len(), 1);
    assert_eq!(swept[0].id, ra.id);
    assert!(has(&w.events(), "approval.expired"));
    let pending = w.control.requests(&w.alice, Some(State::Pending)).unwrap();
    assert_eq!(
        pending.iter().map(|r| &r.id).collect::<Vec<_>>(),
        vec![&rb.id]
    );
}

#[test]
fn policy_sets_quorum_confirmation_and_lifetime() {
    let w = memory();
    let mut read = w.subject("cat /srv/data/x");
    read.effect = blastwall_core::Effect::Write;
    let opts = options(&read);
    assert_eq!(opts.confirmation, None);
    assert_eq!(opts.quorum, 1);
    let request = w.control.request_approval(read.clone(), opts).unwrap();
    // No confirmation needed: a plain approve suffices.
    assert_eq!(
        w.control
            .vote(&request.id, &w.alice, Choice::Approve, None)
            .unwrap()
            .state,
        State::Approved
    );

    for quorum in [0, 17] {
        let s = w.subject(&format!("rm -rf /q{quorum}"));
        let err = w
            .control
            .request_approval(s.clone(), options(&s).quorum(quorum))
            .unwrap_err();
        assert!(matches!(err, ControlError::BadQuorum { .. }), "{err}");
    }

    let control = blastwall_control::Control::new(
        MemoryStore::new(),
        blastwall_control::ManualClock::new(T0),
        blastwall_control::MemorySink::new(),
    )
    .with_settings(blastwall_control::Settings {
        default_ttl: Duration::from_secs(300),
    });
    let s = subject_for("agt_x", "rm -rf /x");
    assert_eq!(
        control
            .request_approval(s.clone(), options(&s))
            .unwrap()
            .expires_ms,
        T0 + 300_000
    );
}
