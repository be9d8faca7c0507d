//! [`ApiError`]: every failure of the API as a status code and `{"error":{"code","message"}}`.
//!
//! Messages are written for the person reading them at 3 a.m.: what was refused and what to do.
//! This module must never put a token or secret in a message, and never answer a failure with a
//! 2xx status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use blastwall_control::ControlError;

use crate::api::{ErrorBody, ErrorDetail};

/// A failed API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn forbidden(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }
}

impl From<ControlError> for ApiError {
    fn from(e: ControlError) -> ApiError {
        let status = match &e {
            ControlError::InvalidToken
            | ControlError::Revoked { .. }
            | ControlError::LoginFailed
            | ControlError::BadSignature { .. } => StatusCode::UNAUTHORIZED,
            ControlError::AgentForbidden { .. } | ControlError::MissingRole { .. } => {
                StatusCode::FORBIDDEN
            }
            ControlError::NoSuchRequest { .. } | ControlError::NoSuchPrincipal { .. } => {
                StatusCode::NOT_FOUND
            }
            ControlError::NotOpen { .. }
            | ControlError::Expired { .. }
            | ControlError::AlreadyVoted { .. }
            | ControlError::StillPending { .. }
            | ControlError::RequestDenied { .. }
            | ControlError::NoApproval { .. }
            | ControlError::Exists { .. }
            | ControlError::AlreadyBootstrapped => StatusCode::CONFLICT,
            ControlError::ConfirmationRequired { .. }
            | ControlError::ConfirmationMismatch { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ControlError::BadQuorum { .. }
            | ControlError::InvalidName { .. }
            | ControlError::WeakPassword
            | ControlError::Credential { .. } => StatusCode::BAD_REQUEST,
            ControlError::Random { .. } | ControlError::Store(_) | ControlError::Audit { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}
