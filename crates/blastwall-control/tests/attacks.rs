//! Every attack on the approval wall is refused, and the refusal is recorded.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use blastwall_control::{
    Choice, ControlError, EventKind, Principal, Role, State, signed_json, verify_signature,
};
use common::*;

fn rejected(events: &[blastwall_control::AuditEvent], attempt: &str, code: &str) -> bool {
    rejections(events)
        .iter()
        .any(|(a, c)| a == attempt && c == code)
}

#[test]
fn approval_of_a_different_digest_finds_nothing() {
    let w = memory();
    let approved = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(approved.clone(), options(&approved))
        .unwrap();
    w.control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap();
    w.events();

    // One byte more in the input, another session, another agent: each is another action.
    let mut changed = vec![w.subject("rm -rf /srv/data "), w.subject("rm -rf /srv/dat")];
    let mut other_session = w.subject("rm -rf /srv/data");
    other_session.session = Some("s2".into());
    changed.push(other_session);
    changed.push(subject_for(
        "agt_someoneelse00000000000",
        "rm -rf /srv/data",
    ));
    for subject in &changed {
        let err = w
            .control
            .redeem(
                &subject.digest(),
                &subject.agent,
                subject.session.as_deref(),
            )
            .unwrap_err();
        assert!(matches!(err, ControlError::NoApproval { .. }), "{err}");
    }
    // The approved digest presented by another agent or session finds nothing either.
    let err = w
        .control
        .redeem(&approved.digest(), "agt_someoneelse00000000000", Some("s1"))
        .unwrap_err();
    assert!(matches!(err, ControlError::NoApproval { .. }), "{err}");
    let events = w.events();
    assert_eq!(
        rejections(&events)
            .iter()
            .filter(|(a, c)| a == "redeem" && c == "no-approval")
            .count(),
        changed.len() + 1
    );

    // The approved action itself is still approved.
    w.control
        .redeem(&approved.digest(), w.agent.id(), Some("s1"))
        .unwrap();
}

#[test]
fn a_replayed_approval_passes_nothing() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject))
        .unwrap();
    w.control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap();
    let approval = w
        .control
        .redeem(&subject.digest(), w.agent.id(), Some("s1"))
        .unwrap();
    assert_eq!(approval.request_id, request.id);
    assert_eq!(approval.approvers, vec!["alice".to_owned()]);
    w.events();

    let err = w
        .control
        .redeem(&subject.digest(), w.agent.id(), Some("s1"))
        .unwrap_err();
    assert!(matches!(err, ControlError::NoApproval { .. }), "{err}");
    assert!(rejected(&w.events(), "redeem", "no-approval"));

    // A used request takes no more votes either.
    let err = w
        .control
        .vote(&request.id, &w.bob, Choice::Approve, Some("/srv/data"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ControlError::NotOpen {
                state: State::Used,
                ..
            }
        ),
        "{err}"
    );
    assert!(rejected(&w.events(), "vote", "not-open"));
}

#[test]
fn an_expired_approval_passes_nothing() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject))
        .unwrap();
    assert_eq!(request.expires_ms, T0 + 15 * 60 * 1000);
    w.control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap();
    w.events();

    w.advance(Duration::from_secs(15 * 60));
    let err = w
        .control
        .redeem(&subject.digest(), w.agent.id(), Some("s1"))
        .unwrap_err();
    assert!(matches!(err, ControlError::Expired { .. }), "{err}");
    let events = w.events();
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::Expired { request: id, was: State::Approved } if *id == request.id
    )));
    assert!(rejected(&events, "redeem", "expired"));
    let stored = w.control.request(&w.admin, &request.id).unwrap();
    assert_eq!(stored.state, State::Expired);

    // Once expired, a second attempt finds nothing at all.
    let err = w
        .control
        .redeem(&subject.digest(), w.agent.id(), Some("s1"))
        .unwrap_err();
    assert!(matches!(err, ControlError::NoApproval { .. }), "{err}");
}

#[test]
fn voting_on_an_expired_request_is_refused() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(
            subject.clone(),
            options(&subject).ttl(Duration::from_secs(60)),
        )
        .unwrap();
    assert_eq!(request.expires_ms, T0 + 60_000);
    w.advance(Duration::from_secs(61));
    let err = w
        .control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap_err();
    assert!(matches!(err, ControlError::Expired { .. }), "{err}");
    let events = w.events();
    assert!(has(&events, "approval.expired"));
    assert!(rejected(&events, "vote", "expired"));
    // The expiry is stored, not only reported.
    let err = w
        .control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ControlError::NotOpen {
                state: State::Expired,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn the_requesting_agent_cannot_approve_its_own_request() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject))
        .unwrap();
    w.events();

    // The agent presents its own token, and even types the confirmation right.
    let me = w.control.authenticate(&w.agent_token).unwrap();
    assert!(matches!(me, Principal::Agent(_)));
    for choice in [Choice::Approve, Choice::Deny] {
        let err = w
            .control
            .vote(&request.id, &me, choice, Some("/srv/data"))
            .unwrap_err();
        assert!(matches!(err, ControlError::AgentForbidden { .. }), "{err}");
    }
    let events = w.events();
    let refusals: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Rejected {
                attempt,
                actor,
                actor_kind,
                code,
                ..
            } => Some((
                attempt.as_str(),
                actor.clone(),
                actor_kind.clone(),
                code.clone(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(refusals.len(), 2);
    for (attempt, actor, kind, code) in refusals {
        assert_eq!(attempt, "vote");
        assert_eq!(actor.as_deref(), Some(w.agent.id()));
        assert_eq!(kind.as_deref(), Some("agent"));
        assert_eq!(code, "agent-forbidden");
    }
    let stored = w.control.request(&w.admin, &request.id).unwrap();
    assert_eq!(stored.state, State::Pending);
    assert!(stored.votes.is_empty());
    let err = w
        .control
        .redeem(&subject.digest(), w.agent.id(), Some("s1"))
        .unwrap_err();
    assert!(matches!(err, ControlError::StillPending { .. }), "{err}");
}

#[test]
fn every_approval_and_admin_operation_refuses_an_agent_token() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject))
        .unwrap();
    w.events();
    let agent = w.control.authenticate(&w.agent_token).unwrap();
    let c = &w.control;

    let attempts: Vec<(&str, ControlError)> = vec![
        (
            "vote",
            c.vote(&request.id, &agent, Choice::Approve, Some("/srv/data"))
                .unwrap_err(),
        ),
        (
            "admin",
            c.create_agent(&agent, "twin", vec!["prod".into()], vec![])
                .unwrap_err(),
        ),
        (
            "admin",
            c.create_human(&agent, "mallory", BTreeSet::from([Role::Admin]))
                .unwrap_err(),
        ),
        ("admin", c.revoke(&agent, w.alice.id()).unwrap_err()),
        ("admin", c.agents(&agent).unwrap_err()),
        ("admin", c.humans(&agent).unwrap_err()),
        (
            "admin",
            c.set_password(&agent, w.alice.id(), "correct horse battery")
                .unwrap_err(),
        ),
        ("admin", c.enable_totp(&agent, w.alice.id()).unwrap_err()),
        ("read", c.requests(&agent, None).unwrap_err()),
    ];
    for (_, err) in &attempts {
        assert!(matches!(err, ControlError::AgentForbidden { .. }), "{err}");
        assert!(
            err.to_string().contains("agents can never approve"),
            "{err}"
        );
    }
    let refused = rejections(&w.events());
    let want: Vec<(String, String)> = attempts
        .iter()
        .map(|(a, _)| ((*a).to_owned(), "agent-forbidden".to_owned()))
        .collect();
    assert_eq!(refused, want);

    // Nothing changed: no new identity, alice not revoked, the request untouched.
    assert_eq!(c.agents(&w.admin).unwrap().len(), 1);
    assert_eq!(c.humans(&w.admin).unwrap().len(), 3);
    assert!(
        c.humans(&w.admin)
            .unwrap()
            .iter()
            .all(|h| h.revoked_ms.is_none())
    );
    assert!(c.request(&w.admin, &request.id).unwrap().votes.is_empty());
    // The agent can still see its own request, and only its own.
    assert_eq!(c.request(&agent, &request.id).unwrap().id, request.id);
}

#[test]
fn a_quorum_of_two_is_not_met_by_one_human_twice() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject).quorum(2))
        .unwrap();
    let after_first = w
        .control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap();
    assert_eq!(after_first.state, State::Pending);
    w.events();

    let err = w
        .control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ControlError::AlreadyVoted {
                approvals: 1,
                quorum: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("2 different humans"), "{err}");
    assert!(rejected(&w.events(), "vote", "already-voted"));

    // Re-authenticating does not make alice someone else.
    let stored = w.control.request(&w.admin, &request.id).unwrap();
    assert_eq!(stored.state, State::Pending);
    assert_eq!(stored.approvals(), 1);
    let err = w
        .control
        .redeem(&subject.digest(), w.agent.id(), Some("s1"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ControlError::StillPending {
                approvals: 1,
                quorum: 2,
                ..
            }
        ),
        "{err}"
    );

    // A second human completes the quorum.
    let done = w
        .control
        .vote(&request.id, &w.bob, Choice::Approve, Some("/srv/data"))
        .unwrap();
    assert_eq!(done.state, State::Approved);
    let approval = w
        .control
        .redeem(&subject.digest(), w.agent.id(), Some("s1"))
        .unwrap();
    assert_eq!(
        approval.approvers,
        vec!["alice".to_owned(), "bob".to_owned()]
    );
}

#[test]
fn a_wrong_or_missing_typed_confirmation_is_refused() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject))
        .unwrap();
    assert_eq!(request.confirmation.as_deref(), Some("/srv/data"));
    w.events();

    for typed in ["/srv/dat", "/srv/data/", " /srv/data", "/SRV/DATA", ""] {
        let err = w
            .control
            .vote(&request.id, &w.alice, Choice::Approve, Some(typed))
            .unwrap_err();
        assert!(
            matches!(err, ControlError::ConfirmationMismatch { .. }),
            "{typed:?}: {err}"
        );
    }
    let err = w
        .control
        .vote(&request.id, &w.alice, Choice::Approve, None)
        .unwrap_err();
    assert!(
        matches!(err, ControlError::ConfirmationRequired { .. }),
        "{err}"
    );
    let refused = rejections(&w.events());
    assert_eq!(refused.len(), 6);
    assert!(
        refused[..5]
            .iter()
            .all(|(a, c)| a == "vote" && c == "confirmation-mismatch")
    );
    assert_eq!(refused[5].1, "confirmation-required");

    // Nothing was counted: alice can still vote, correctly.
    assert!(
        w.control
            .request(&w.admin, &request.id)
            .unwrap()
            .votes
            .is_empty()
    );
    let done = w
        .control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap();
    assert_eq!(done.state, State::Approved);
}

#[test]
fn a_tampered_webhook_callback_is_refused() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject))
        .unwrap();
    w.events();
    let secret = b"webhook-secret-of-the-operator";
    let (body, header) = signed_json(&request, secret);
    w.control.check_callback(&body, &header, secret).unwrap();
    assert!(verify_signature(&body, &header, secret).is_ok());

    let mut tampered = body.clone();
    let at = tampered.iter().position(|&b| b == b'/').unwrap();
    tampered[at] = b'\\';
    let forged = blastwall_control::webhook::sign(&body, b"guessed-secret");
    let cases: Vec<(Vec<u8>, String)> = vec![
        (tampered, header.clone()),
        (body.clone(), forged),
        (body.clone(), header.replace("sha256=", "sha1=")),
        (body.clone(), format!("{}00", &header)),
        (body.clone(), String::new()),
    ];
    for (b, h) in &cases {
        let err = w.control.check_callback(b, h, secret).unwrap_err();
        assert!(matches!(err, ControlError::BadSignature { .. }), "{err}");
    }
    let refused = rejections(&w.events());
    assert_eq!(refused.len(), cases.len());
    assert!(
        refused
            .iter()
            .all(|(a, c)| a == "callback" && c == "bad-signature")
    );
}

#[test]
fn humans_without_a_voting_role_and_revoked_humans_cannot_vote() {
    let w = memory();
    let (_, viewer_token) = w
        .control
        .create_human(&w.admin, "viewer", BTreeSet::new())
        .unwrap();
    let viewer = w.control.authenticate(&viewer_token).unwrap();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject))
        .unwrap();
    let err = w
        .control
        .vote(&request.id, &viewer, Choice::Approve, Some("/srv/data"))
        .unwrap_err();
    assert!(matches!(err, ControlError::MissingRole { .. }), "{err}");

    // Revocation takes effect even for a principal authenticated before it.
    w.control.revoke(&w.admin, w.bob.id()).unwrap();
    let err = w
        .control
        .vote(&request.id, &w.bob, Choice::Approve, Some("/srv/data"))
        .unwrap_err();
    assert!(matches!(err, ControlError::Revoked { .. }), "{err}");
    let refused = rejections(&w.events());
    assert!(refused.contains(&("vote".into(), "missing-role".into())));
    assert!(refused.contains(&("vote".into(), "revoked".into())));
}
