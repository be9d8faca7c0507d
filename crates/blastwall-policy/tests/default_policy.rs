//! The default policy's outcomes: the matrix of effect × environment × scope × approval state,
//! and the principles one by one.

mod common;

use blastwall_core::{
    Action, BlastRadius, Decision, Door, Effect, Environment, Finding, Language, Policy, Principal,
    Resource, Scope, Span, decide,
};
use blastwall_policy::{
    Approval, ApprovalState, CLASSIFIER_DENY, HumanIdentity, NO_PERMIT, PolicySet, Request,
    Situation, Who,
};
use common::{agent, request, with_approval};

const EFFECTS: [Effect; 4] = [
    Effect::Read,
    Effect::Write,
    Effect::Destructive,
    Effect::Irreversible,
];
const ENVIRONMENTS: [&str; 4] = ["dev", "staging", "prod", "unknown"];

fn approvals() -> Vec<(&'static str, Approval)> {
    vec![
        ("none", Approval::NONE),
        (
            "pending with one vote",
            Approval {
                state: ApprovalState::Pending,
                count: 1,
                admins: 1,
            },
        ),
        ("approved by one", Approval::approved(1, 0)),
        ("approved by two", Approval::approved(2, 0)),
        ("approved by one admin", Approval::approved(1, 1)),
    ]
}

/// The principles, written out independently of the policy text.
fn expected(
    effect: Effect,
    env: &str,
    in_scope: bool,
    a: Approval,
    snapshot_possible: bool,
) -> (Decision, u32, bool) {
    let approved = |n: u32| a.state == ApprovalState::Approved && a.count >= n;
    let admin = a.state == ApprovalState::Approved && a.admins >= 1;
    match effect {
        Effect::Read if in_scope => (Decision::Allow, 0, false),
        Effect::Read if approved(1) => (Decision::Allow, 1, false),
        Effect::Read => (Decision::Ask, 1, false),
        _ if !in_scope => (Decision::Deny, 0, false),
        Effect::Write => (Decision::Allow, 0, false),
        Effect::Destructive if env == "prod" && approved(2) => (Decision::Allow, 2, true),
        Effect::Destructive if env == "prod" => (Decision::Ask, 2, true),
        Effect::Destructive if approved(1) => (Decision::Allow, 1, false),
        Effect::Destructive => (Decision::Ask, 1, false),
        Effect::Irreversible if snapshot_possible && approved(2) => (Decision::Allow, 2, true),
        Effect::Irreversible if snapshot_possible => (Decision::Ask, 2, true),
        Effect::Irreversible if admin => (Decision::Allow, 1, false),
        Effect::Irreversible => (Decision::Deny, 0, false),
    }
}

#[test]
fn matrix_of_effect_environment_scope_and_approval() {
    let set = PolicySet::defaults();
    let scopes: [(&str, &[&str]); 3] = [
        ("dev", &["dev"]),
        ("staging+prod", &["staging", "prod"]),
        ("all", &["dev", "staging", "prod"]),
    ];
    let mut checked = 0;
    for effect in EFFECTS {
        for env in ENVIRONMENTS {
            for (scope_name, scope) in scopes {
                let in_scope = scope.contains(&env) || (env == "unknown" && scope.contains(&"dev"));
                for (approval_name, approval) in approvals() {
                    for snapshot in [false, true] {
                        let mut r =
                            with_approval(request(agent("bot", scope), effect, env), approval);
                        r.situation.snapshot_possible = snapshot;
                        let got = set.evaluate(&r);
                        let want = expected(effect, env, in_scope, approval, snapshot);
                        assert_eq!(
                            (got.decision, got.required_approvals, got.snapshot_first),
                            want,
                            "{effect} in {env}, agent scoped to {scope_name}, approval {approval_name}, \
                             snapshot possible {snapshot}: {got:?}"
                        );
                        assert!(!got.reasons.is_empty());
                        assert_eq!(got.reasons.len(), got.messages.len());
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 4 * 3 * 5 * 2);
}

#[test]
fn agent_scoped_to_dev_touching_prod_is_denied_naming_both() {
    let set = PolicySet::defaults();
    for effect in [Effect::Write, Effect::Destructive, Effect::Irreversible] {
        let out = set.evaluate(&request(agent("dev-bot", &["dev"]), effect, "prod"));
        assert_eq!(out.decision, Decision::Deny, "{effect}");
        assert_eq!(out.reasons[0], "change-outside-scope");
        let m = &out.messages[0];
        assert!(
            m.contains("scoped to [dev]") && m.contains("the prod environment"),
            "{m}"
        );
        assert!(m.contains("dev-bot"), "{m}");
    }
}

#[test]
fn prod_destructive_asks_two_and_snapshot_then_allows_once_approved() {
    let set = PolicySet::defaults();
    let r = request(agent("ops", &["prod"]), Effect::Destructive, "prod");
    let out = set.evaluate(&r);
    assert_eq!(
        (out.decision, out.required_approvals, out.snapshot_first),
        (Decision::Ask, 2, true)
    );
    assert_eq!(out.reasons[0], "prod-destructive");
    assert!(out.messages[0].contains("two humans"), "{:?}", out.messages);

    let one = set.evaluate(&with_approval(r.clone(), Approval::approved(1, 0)));
    assert_eq!(one.decision, Decision::Ask);

    let two = set.evaluate(&with_approval(r, Approval::approved(2, 0)));
    assert_eq!(
        (two.decision, two.required_approvals, two.snapshot_first),
        (Decision::Allow, 2, true)
    );
    assert_eq!(two.reasons, ["prod-destructive-two-approvals"]);
}

#[test]
fn classifier_deny_is_never_turned_into_an_allow() {
    let set = PolicySet::defaults();
    for effect in EFFECTS {
        for approval in [Approval::NONE, Approval::approved(3, 3)] {
            let mut r = with_approval(request(agent("bot", &["dev"]), effect, "dev"), approval);
            r.classifier_decision = Decision::Deny;
            r.situation.snapshot_possible = true;
            let out = set.evaluate(&r);
            assert_eq!(out.decision, Decision::Deny, "{effect}");
            assert!(out.reasons.contains(&"classifier-deny-stands".to_owned()));
            assert!(out.messages[0].contains("fs.rm.recursive"));
        }
    }
}

#[test]
fn classifier_deny_stays_even_under_a_policy_that_allows_everything() {
    let set = blastwall_policy::validate(
        "@id(\"anything-goes\") permit (principal, action, resource);",
        "loose.cedar",
    )
    .unwrap();
    let mut r = request(agent("bot", &["dev"]), Effect::Read, "dev");
    assert_eq!(set.evaluate(&r).decision, Decision::Allow);
    r.classifier_decision = Decision::Deny;
    let out = set.evaluate(&r);
    assert_eq!(out.decision, Decision::Deny);
    assert_eq!(out.reasons, [CLASSIFIER_DENY, "anything-goes"]);
}

#[test]
fn classifier_ask_on_a_write_in_scope_still_asks() {
    let set = PolicySet::defaults();
    let mut r = request(agent("bot", &["dev"]), Effect::Write, "dev");
    r.rule = "shell.unparseable".into();
    r.classifier_decision = Decision::Ask;
    let out = set.evaluate(&r);
    assert_eq!((out.decision, out.required_approvals), (Decision::Ask, 1));
    assert_eq!(out.reasons, ["classifier-ask"]);
    assert!(out.messages[0].contains("shell.unparseable"));
    let out = set.evaluate(&with_approval(r, Approval::approved(1, 0)));
    assert_eq!(out.decision, Decision::Allow);
}

#[test]
fn irreversible_without_snapshot_needs_an_admin() {
    let set = PolicySet::defaults();
    let r = request(agent("bot", &["dev"]), Effect::Irreversible, "dev");
    let out = set.evaluate(&r);
    assert_eq!(out.decision, Decision::Deny);
    assert_eq!(out.reasons, ["irreversible-without-snapshot"]);
    assert!(out.messages[0].contains("unless an admin approves"));
    // Two approvers who are not admins are not enough.
    let out = set.evaluate(&with_approval(r.clone(), Approval::approved(2, 0)));
    assert_eq!(out.decision, Decision::Deny);
    let out = set.evaluate(&with_approval(r, Approval::approved(1, 1)));
    assert_eq!(out.decision, Decision::Allow);
    assert_eq!(out.reasons, ["irreversible-admin-approved"]);
}

#[test]
fn humans_get_what_the_classifier_says_and_destructive_still_asks() {
    let set = PolicySet::defaults();
    let alice = Who::Human(HumanIdentity {
        name: "alice".into(),
        roles: vec!["admin".into()],
    });
    let out = set.evaluate(&request(alice.clone(), Effect::Write, "prod"));
    assert_eq!(out.decision, Decision::Allow);
    let out = set.evaluate(&request(alice, Effect::Destructive, "prod"));
    assert_eq!((out.decision, out.required_approvals), (Decision::Ask, 2));
}

#[test]
fn nothing_permitted_is_denied_with_a_reason() {
    let set = blastwall_policy::validate(
        "@id(\"reads\") permit (principal, action in Action::\"read\", resource);",
        "reads.cedar",
    )
    .unwrap();
    let out = set.evaluate(&request(agent("bot", &["dev"]), Effect::Write, "dev"));
    assert_eq!(out.decision, Decision::Deny);
    assert_eq!(out.reasons, [NO_PERMIT]);
    assert!(out.messages[0].contains("no policy permits this write"));
    assert!(out.messages[0].contains("bot (scoped to [dev])"));
}

#[test]
fn groups_time_and_tags_reach_the_policy() {
    let set = blastwall_policy::validate(
        r#"
        @id("assistants-read") permit (principal in AgentGroup::"coding-assistants", action in Action::"read", resource);
        @id("no-pii-at-night") forbid (principal, action, resource)
        when { resource.tags.contains("pii") && (context.time.hour < 7 || context.time.weekday == "sunday") };
        "#,
        "custom.cedar",
    )
    .unwrap();
    let r = request(agent("bot", &["dev"]), Effect::Read, "dev");
    assert_eq!(set.evaluate(&r).decision, Decision::Allow);
    let mut night = r.clone().with_tags(["pii"]);
    night.situation.time.hour = 3;
    let out = set.evaluate(&night);
    assert_eq!(
        (out.decision, out.reasons[0].as_str()),
        (Decision::Deny, "no-pii-at-night")
    );
    let mut loner = r;
    loner.who = Who::Agent(blastwall_policy::AgentIdentity {
        name: "loner".into(),
        environments: vec!["dev".into()],
        groups: vec![],
    });
    assert_eq!(set.evaluate(&loner).decision, Decision::Deny);
}

fn action(effect: Effect, env: &str, rule_decision: Decision) -> Action {
    Action {
        principal: Principal {
            agent: Some("bot".into()),
            session: Some("s-42".into()),
        },
        environment: Environment(env.into()),
        door: Door::Hook("claude-code".into()),
        language: Language::Sql,
        operation: "DROP TABLE".into(),
        resource: Resource {
            kind: "table".into(),
            name: "orders".into(),
        },
        effect,
        blast_radius: BlastRadius::new(Scope::Single, "one table"),
        raw: "DROP TABLE orders".into(),
        span: Span::new(0, 17),
        depth: 0,
        via: vec![],
        finding: Finding {
            rule: "sql.drop-table".into(),
            decision: rule_decision,
            reason: "drops a table".into(),
            span: Span::new(0, 17),
        },
    }
}

#[test]
fn requests_from_actions_and_verdicts() {
    let set = PolicySet::defaults();
    let who = agent("bot", &["dev", "prod"]);
    let r = Request::from_action(
        &action(Effect::Destructive, "prod", Decision::Ask),
        who.clone(),
        Situation::default(),
    );
    assert_eq!(r.door, "hook:claude-code");
    assert_eq!(r.situation.session.as_deref(), Some("s-42"));
    let out = set.evaluate(&r);
    assert_eq!(
        (out.decision, out.required_approvals, out.snapshot_first),
        (Decision::Ask, 2, true)
    );
    assert!(out.messages[0].contains("DROP TABLE destroys data of table orders in prod"));

    let verdict = decide(
        vec![
            action(Effect::Read, "dev", Decision::Allow),
            action(Effect::Destructive, "prod", Decision::Ask),
        ],
        &Policy::default(),
    );
    let requests = Request::from_verdict(&verdict, &who, &Situation::default());
    assert_eq!(requests.len(), 2);
    let out = set.evaluate_all(&requests);
    assert_eq!((out.decision, out.required_approvals), (Decision::Ask, 2));
    assert_eq!(out.reasons[0], "prod-destructive");
    assert!(out.reasons.contains(&"read-in-scope".to_owned()));
    assert_eq!(set.evaluate_all(&[]).decision, Decision::Deny);
}

#[test]
fn odd_names_are_data_not_syntax() {
    let set = PolicySet::defaults();
    let mut r = request(agent("bot\" || true", &["dev"]), Effect::Write, "prod\"");
    r.resource_name = "\u{0}\n\"; permit".into();
    assert_eq!(set.evaluate(&r).decision, Decision::Deny);
}
