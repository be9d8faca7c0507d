//! Notification payloads: what a human sees and what a receiver can verify.

mod common;

use blastwall_control::{SIGNATURE_HEADER, signed_json, slack_message, verify_signature};
use common::*;

#[test]
fn slack_message_says_what_waits_why_and_how_to_approve() {
    let w = memory();
    let mut subject = w.subject("rm -rf '/srv/my data' <&> ```");
    subject.resource.name = "/srv/my data".into();
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject).quorum(2))
        .unwrap();
    let msg = slack_message(&request);
    let text = msg["text"].as_str().unwrap();
    assert!(text.contains(&request.id), "{text}");
    assert!(text.contains("prod"), "{text}");
    assert!(text.contains("2 approvals needed"), "{text}");
    let blocks = msg["blocks"].as_array().unwrap();
    assert!(!blocks.is_empty());
    let all = msg.to_string();
    assert!(
        all.contains("deletes /srv/data recursively in prod"),
        "{all}"
    );
    assert!(all.contains("fs.rm.recursive"), "{all}");
    // The resource name is quoted as one shell word.
    assert!(
        all.contains(&format!(
            "blastwall approvals approve {} --confirm '/srv/my data'",
            request.id
        )),
        "{all}"
    );
    assert!(all.contains(&format!("blastwall approvals deny {}", request.id)));
    // Slack's control characters are escaped and the code block cannot be closed early.
    assert!(all.contains("&lt;&amp;&gt;"), "{all}");
    assert_eq!(
        blocks[1]["text"]["text"]
            .as_str()
            .unwrap()
            .matches("```")
            .count(),
        2
    );
}

#[test]
fn signed_json_carries_the_request_and_verifies() {
    let w = memory();
    let subject = w.subject("rm -rf /srv/data");
    let request = w
        .control
        .request_approval(subject.clone(), options(&subject))
        .unwrap();
    let (body, header) = signed_json(&request, b"s3cret");
    assert_eq!(SIGNATURE_HEADER, "X-Blastwall-Signature");
    assert!(header.starts_with("sha256="));
    assert_eq!(header.len(), 7 + 64);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["type"], "blastwall.approval.requested");
    assert_eq!(json["request"]["id"], request.id.as_str());
    assert_eq!(json["request"]["digest"], request.digest.to_hex());
    assert_eq!(json["request"]["state"], "pending");
    verify_signature(&body, &header, b"s3cret").unwrap();
    assert!(verify_signature(&body, &header, b"s3cret!").is_err());
    let mut changed = body.clone();
    changed.push(b' ');
    assert!(verify_signature(&changed, &header, b"s3cret").is_err());
}
