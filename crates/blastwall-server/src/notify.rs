//! Announcing new approval requests by webhook, on a thread of its own so that a slow chat
//! service never delays a decision.
//!
//! Two formats: a Slack-compatible incoming-webhook message, and generic JSON signed with
//! HMAC-SHA256 in `X-Blastwall-Signature` (the payloads are built by `blastwall_control::webhook`).
//! A failed delivery is retried twice and then logged; the request itself is unaffected (humans
//! can always list it with `blastwall approvals list`). This module must never put a token in a
//! payload, and never wait on a webhook while a decision waits on it.

use std::sync::mpsc::Receiver;
use std::sync::{Arc, Weak};
use std::time::Duration;

use blastwall_control::webhook::{SIGNATURE_HEADER, signed_json, slack_message};

use crate::daemon::Daemon;

/// Where and how new requests are announced.
#[derive(Clone, PartialEq, Eq)]
pub enum Webhook {
    /// A Slack-compatible incoming webhook.
    Slack { url: String },
    /// Generic JSON, signed with the secret.
    Signed { url: String, secret: Vec<u8> },
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Webhook::Slack { url } => write!(f, "Slack({url})"),
            Webhook::Signed { url, .. } => write!(f, "Signed({url}, secret hidden)"),
        }
    }
}

impl Webhook {
    pub fn url(&self) -> &str {
        match self {
            Webhook::Slack { url } | Webhook::Signed { url, .. } => url,
        }
    }
}

pub(crate) struct Notifier;

impl Notifier {
    /// Starts the thread that announces each request id received on `announced`.
    pub(crate) fn start(daemon: Arc<Daemon>, announced: Receiver<String>) {
        if daemon.settings().webhooks.is_empty() {
            // Drain nothing: the sender's errors are ignored once the receiver is gone.
            return;
        }
        let daemon: Weak<Daemon> = Arc::downgrade(&daemon);
        let spawned = std::thread::Builder::new()
            .name("blastwall-webhooks".into())
            .spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .timeout_global(Some(Duration::from_secs(10)))
                    .http_status_as_error(false)
                    .build()
                    .into();
                for id in announced {
                    let Some(daemon) = daemon.upgrade() else {
                        return;
                    };
                    let Some(request) = daemon.stored_request(&id) else {
                        continue;
                    };
                    for hook in &daemon.settings().webhooks {
                        let (body, signature) = match hook {
                            Webhook::Slack { .. } => (
                                serde_json::to_vec(&slack_message(&request)).unwrap_or_default(),
                                None,
                            ),
                            Webhook::Signed { secret, .. } => {
                                let (body, header) = signed_json(&request, secret);
                                (body, Some(header))
                            }
                        };
                        deliver(&agent, hook.url(), &body, signature.as_deref(), &id);
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "the webhook thread could not start; approval requests will not be announced");
        }
    }
}

fn deliver(agent: &ureq::Agent, url: &str, body: &[u8], signature: Option<&str>, id: &str) {
    for attempt in 1..=3 {
        let mut call = agent.post(url).header("Content-Type", "application/json");
        if let Some(sig) = signature {
            call = call.header(SIGNATURE_HEADER, sig);
        }
        match call.send(body) {
            Ok(response) if response.status().is_success() => {
                tracing::info!(request = id, url, "approval request announced");
                return;
            }
            Ok(response) => {
                tracing::warn!(request = id, url, status = %response.status(), attempt, "the webhook refused the announcement");
            }
            Err(e) => {
                tracing::warn!(request = id, url, error = %e, attempt, "the webhook could not be reached");
            }
        }
        std::thread::sleep(Duration::from_millis(500 * attempt));
    }
    tracing::error!(
        request = id,
        url,
        "gave up announcing the approval request; humans can still see it with `blastwall approvals list`"
    );
}
