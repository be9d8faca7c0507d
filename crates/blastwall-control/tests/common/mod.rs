//! A control plane with a manual clock, a recording sink, an admin, two approvers and an agent.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use blastwall_control::{
    ActionDigest, ApprovalSubject, AuditEvent, Control, EventKind, ManualClock, MemorySink,
    MemoryStore, Principal, RequestOptions, Role, Store,
};
use blastwall_core::{Door, Effect, Environment, Language, Resource};

pub const T0: i64 = 1_750_000_000_000;

pub struct World<S> {
    pub control: Control<S>,
    pub clock: Arc<ManualClock>,
    pub sink: Arc<MemorySink>,
    pub admin: Principal,
    pub alice: Principal,
    pub bob: Principal,
    pub agent: Principal,
    pub agent_token: String,
}

pub fn memory() -> World<MemoryStore> {
    world(MemoryStore::new())
}

pub fn world<S: Store>(store: S) -> World<S> {
    let clock = Arc::new(ManualClock::new(T0));
    let sink = Arc::new(MemorySink::new());
    let control = Control::new(store, clock.clone(), sink.clone());
    let (_, admin_token) = control.bootstrap_admin("root").unwrap();
    let admin = control.authenticate(&admin_token).unwrap();
    let approver = BTreeSet::from([Role::Approver]);
    let (_, alice_token) = control
        .create_human(&admin, "alice", approver.clone())
        .unwrap();
    let (_, bob_token) = control.create_human(&admin, "bob", approver).unwrap();
    let (_, agent_token) = control
        .create_agent(&admin, "coder", vec!["prod".into()], vec![])
        .unwrap();
    let alice = control.authenticate(&alice_token).unwrap();
    let bob = control.authenticate(&bob_token).unwrap();
    let agent = control.authenticate(&agent_token).unwrap();
    sink.take();
    World {
        control,
        clock,
        sink,
        admin,
        alice,
        bob,
        agent,
        agent_token,
    }
}

impl<S: Store> World<S> {
    /// The subject of `input` run by this world's agent in session `s1`.
    pub fn subject(&self, input: &str) -> ApprovalSubject {
        subject_for(self.agent.id(), input)
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Events recorded since the last call.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.sink.take()
    }
}

pub fn subject_for(agent: &str, input: &str) -> ApprovalSubject {
    ApprovalSubject {
        agent: agent.to_owned(),
        session: Some("s1".into()),
        environment: Environment("prod".into()),
        door: Door::Hook("claude-code".into()),
        language: Language::Shell,
        input: input.to_owned(),
        rule: "fs.rm.recursive".into(),
        effect: Effect::Destructive,
        resource: Resource {
            kind: "path".into(),
            name: "/srv/data".into(),
        },
    }
}

pub fn options(subject: &ApprovalSubject) -> RequestOptions {
    RequestOptions::for_subject(subject, "deletes /srv/data recursively in prod")
}

/// The refusal codes among `events`, with their attempt.
pub fn rejections(events: &[AuditEvent]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Rejected { attempt, code, .. } => {
                Some((attempt.as_str().to_owned(), code.clone()))
            }
            _ => None,
        })
        .collect()
}

pub fn has(events: &[AuditEvent], name: &str) -> bool {
    events.iter().any(|e| e.name() == name)
}

pub fn digest_of(subject: &ApprovalSubject) -> ActionDigest {
    subject.digest()
}
