//! Talking to `blastwall serve` from the command line and the hooks: one blocking HTTP call per
//! operation, with the caller's token, JSON in and out.
//!
//! Every failure is a [`ClientError`] that says whether the daemon could not be reached (the hook
//! then falls back to its `when_down` rule) or answered with an error (shown as the daemon wrote
//! it). This module must never retry a vote or a decision on its own: both change state.

use std::time::Duration;

use blastwall_server::api::ErrorBody;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The daemon's address when nothing else names one.
pub const DEFAULT_URL: &str = "http://127.0.0.1:7878";

/// Why a call to the daemon failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "the control plane at {url} cannot be reached ({detail}); is `blastwall serve` running there?"
    )]
    Unreachable { url: String, detail: String },
    #[error("the control plane refused: {message} ({code}, HTTP {status})")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the control plane at {url} answered something that is not blastwall's API: {detail}")]
    Invalid { url: String, detail: String },
}

/// A connection to one daemon, as one caller.
pub struct Client {
    base: String,
    /// Headers that say who calls (`Authorization`, and a TOTP code with a password login).
    credentials: Vec<(&'static str, String)>,
    agent: ureq::Agent,
}

impl Client {
    /// `base` is the daemon's URL (`http://127.0.0.1:7878`); `timeout` bounds each whole call.
    pub fn new(base: &str, token: Option<String>, timeout: Duration) -> Client {
        // Every phase is bounded except name resolution: with a bound, ureq resolves on a thread
        // of its own, which costs a hook more than the whole call to a daemon on loopback (and a
        // daemon is named by address or by a name in /etc/hosts). The buffers are sized for
        // the API's small JSON, not ureq's 128 KiB default, which the hook would zero each call.
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(timeout.min(Duration::from_secs(2))))
            .timeout_send_request(Some(timeout))
            .timeout_send_body(Some(timeout))
            .timeout_recv_response(Some(timeout))
            .timeout_recv_body(Some(timeout))
            .input_buffer_size(16 * 1024)
            .output_buffer_size(16 * 1024)
            .http_status_as_error(false)
            .build()
            .into();
        Client {
            base: base.trim_end_matches('/').to_owned(),
            credentials: token
                .map(|t| vec![("Authorization", format!("Bearer {t}"))])
                .unwrap_or_default(),
            agent,
        }
    }

    /// A client that logs a human in with name, password and (when enrolled) a TOTP code on
    /// every call, instead of a token.
    pub fn with_login(
        base: &str,
        name: &str,
        password: &str,
        totp: Option<&str>,
        timeout: Duration,
    ) -> Client {
        use base64::Engine as _;
        let mut client = Client::new(base, None, timeout);
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{name}:{password}"));
        client
            .credentials
            .push(("Authorization", format!("Basic {basic}")));
        if let Some(code) = totp {
            client
                .credentials
                .push((blastwall_server::api::TOTP_HEADER, code.to_owned()));
        }
        client
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let mut call = self.agent.get(format!("{}{path}", self.base));
        for (name, value) in &self.credentials {
            call = call.header(*name, value);
        }
        self.finish(call.call())
    }

    pub fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let mut call = self.agent.post(format!("{}{path}", self.base));
        for (name, value) in &self.credentials {
            call = call.header(*name, value);
        }
        self.finish(call.send_json(body))
    }

    fn finish<T: DeserializeOwned>(
        &self,
        sent: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, ClientError> {
        let mut response = sent.map_err(|e| ClientError::Unreachable {
            url: self.base.clone(),
            detail: e.to_string(),
        })?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| ClientError::Unreachable {
                url: self.base.clone(),
                detail: format!("the answer could not be read: {e}"),
            })?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&text).map_err(|e| ClientError::Invalid {
                url: self.base.clone(),
                detail: e.to_string(),
            });
        }
        match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => Err(ClientError::Api {
                status,
                code: body.error.code,
                message: body.error.message,
            }),
            Err(_) => Err(ClientError::Invalid {
                url: self.base.clone(),
                detail: format!(
                    "HTTP {status}: {}",
                    text.chars().take(200).collect::<String>()
                ),
            }),
        }
    }
}
