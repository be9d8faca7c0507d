//! The SQLite store: durable across restarts, and one approval wins one race.

mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use blastwall_control::{
    Choice, Control, ControlError, Gate, ManualClock, MemorySink, MemoryStore, SqliteStore, State,
    Store,
};
use common::*;

#[test]
fn a_restart_keeps_pending_requests_identities_and_votes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/control.db");
    let (request, agent_token, agent_id, subject) = {
        let w = world(SqliteStore::open(&path).unwrap());
        let subject = w.subject("DROP TABLE users");
        let request = w
            .control
            .request_approval(subject.clone(), options(&subject).quorum(2))
            .unwrap();
        w.control
            .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
            .unwrap();
        (
            request,
            w.agent_token.clone(),
            w.agent.id().to_owned(),
            subject,
        )
    };

    let sink = Arc::new(MemorySink::new());
    let control = Control::new(
        SqliteStore::open(&path).unwrap(),
        ManualClock::new(T0 + 1000),
        sink.clone(),
    );
    let agent = control.authenticate(&agent_token).unwrap();
    assert_eq!(agent.id(), agent_id);
    let pending = control.store().requests(Some(State::Pending)).unwrap();
    assert_eq!(pending.len(), 1);
    let stored = &pending[0];
    assert_eq!(stored.id, request.id);
    assert_eq!(stored.subject, subject);
    assert_eq!(stored.digest, subject.digest());
    assert_eq!(stored.quorum, 2);
    assert_eq!(stored.confirmation.as_deref(), Some("/srv/data"));
    assert_eq!(stored.votes.len(), 1);
    assert_eq!(stored.votes[0].human_name, "alice");

    // The wall goes on where it stopped.
    let humans = control.store().humans().unwrap();
    let alice = blastwall_control::Principal::Human(
        humans.iter().find(|h| h.name == "alice").unwrap().public(),
    );
    let bob = blastwall_control::Principal::Human(
        humans.iter().find(|h| h.name == "bob").unwrap().public(),
    );
    let err = control
        .vote(&request.id, &alice, Choice::Approve, Some("/srv/data"))
        .unwrap_err();
    assert!(matches!(err, ControlError::AlreadyVoted { .. }), "{err}");
    control
        .vote(&request.id, &bob, Choice::Approve, Some("/srv/data"))
        .unwrap();
    assert!(matches!(
        control.gate(subject.clone(), options(&subject)).unwrap(),
        Gate::Pass(a) if a.request_id == request.id
    ));
}

#[test]
fn a_file_that_is_not_a_control_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (x INTEGER);").unwrap();
    }
    let err = SqliteStore::open(&path).err().expect("must refuse");
    assert!(
        matches!(err, blastwall_control::StoreError::NotAControlStore { .. }),
        "{err}"
    );
    std::fs::write(
        dir.path().join("text.db"),
        b"not a database at all, really not",
    )
    .unwrap();
    assert!(SqliteStore::open(dir.path().join("text.db")).is_err());
}

/// Two redeemers start together on one approval; exactly one may win.
fn race<S: Store + 'static>(
    controls: Vec<Arc<Control<S>>>,
    agent: String,
    digest: blastwall_control::ActionDigest,
) {
    let barrier = Arc::new(Barrier::new(controls.len()));
    let handles: Vec<_> = controls
        .into_iter()
        .map(|control| {
            let barrier = barrier.clone();
            let agent = agent.clone();
            thread::spawn(move || {
                barrier.wait();
                control.redeem(&digest, &agent, Some("s1"))
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "{results:?}");
    for r in results.iter().filter(|r| r.is_err()) {
        assert!(matches!(r, Err(ControlError::NoApproval { .. })), "{r:?}");
    }
}

#[test]
fn two_connections_redeeming_one_approval_exactly_one_wins() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..5 {
        let w = world(SqliteStore::open(dir.path().join(format!("c{round}.db"))).unwrap());
        let subject = w.subject("rm -rf /srv/data");
        let request = w
            .control
            .request_approval(subject.clone(), options(&subject))
            .unwrap();
        w.control
            .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
            .unwrap();
        // Each thread has its own connection, as two processes or replicas would.
        let db = dir.path().join(format!("c{round}.db"));
        let controls = (0..2)
            .map(|_| {
                Arc::new(Control::new(
                    SqliteStore::open(&db).unwrap(),
                    ManualClock::new(T0),
                    MemorySink::new(),
                ))
            })
            .collect();
        race(controls, w.agent.id().to_owned(), subject.digest());
        assert_eq!(
            w.control.request(&w.admin, &request.id).unwrap().state,
            State::Used
        );
    }
}

#[test]
fn two_threads_sharing_one_store_exactly_one_wins() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject))
        .unwrap();
    w.control
        .vote(&request.id, &w.alice, Choice::Approve, Some("/srv/data"))
        .unwrap();
    let agent = w.agent.id().to_owned();
    let control: Arc<Control<MemoryStore>> = Arc::new(w.control);
    race(
        vec![control.clone(), control.clone(), control],
        agent,
        subject.digest(),
    );
}
