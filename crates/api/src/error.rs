//! [`ApiError`]: every error the API answers, in ZORA CORE's shape
//! `{"error": CODE, "message": text, "status": http_status}` (plus `fields` on validation
//! errors). A 5xx never carries SQL text or internals: those go to the log.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use zora_core::StoreError;

/// A field named in a validation error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// This fault inside `outer` (`tasks[2]`, `task`): `tasks[2].payload.title` with the
    /// message `tasks[2].payload.title: ...` (the field's own name, if the message starts
    /// with it, is not said twice).
    pub fn within(self, outer: &str) -> Self {
        let tail = self.field.rsplit('.').next().unwrap_or(&self.field);
        let message = [self.field.as_str(), tail]
            .iter()
            .find_map(|name| self.message.strip_prefix(&format!("{name}: ")))
            .unwrap_or(&self.message);
        Self {
            message: format!("{outer}.{}: {message}", self.field),
            field: format!("{outer}.{}", self.field),
        }
    }
}

/// An error answer: its code, message and status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401 with one of ZORA CORE's auth codes.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidJson(String),
    #[error("{message}")]
    Validation {
        message: String,
        fields: Vec<FieldError>,
    },
    #[error("{0}")]
    InvalidState(String),
    #[error("{0}")]
    Conflict(String),
    /// 409 `LEASE_LOST`: an external worker's lease no longer holds.
    #[error("{0}")]
    LeaseLost(String),
    /// 409 `CANCELLED`: the task an external worker holds was cancelled.
    #[error("{0}")]
    Cancelled(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 429 with `Retry-After`.
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    #[error("{0}")]
    Timeout(String),
    /// 500: the server has no JWT secret.
    #[error("Authentication is not configured on this server")]
    AuthNotConfigured,
    /// 500 from the database; the detail is logged, not answered.
    #[error("A database error occurred")]
    Database(String),
    /// 503 with `Retry-After`: the database is unreachable or busy.
    #[error("The service is temporarily unavailable")]
    Unavailable(String),
    /// 500 for anything else; the detail is logged, not answered.
    #[error("An internal error occurred")]
    Internal(String),
}

impl ApiError {
    /// A validation error about one field.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Validation {
            fields: vec![FieldError {
                field: field.into(),
                message: message.clone(),
            }],
            message,
        }
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Unauthorized { code, .. } => (StatusCode::UNAUTHORIZED, code),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            Self::InvalidJson(_) => (StatusCode::BAD_REQUEST, "INVALID_JSON"),
            Self::Validation { .. } => (StatusCode::BAD_REQUEST, "VALIDATION_ERROR"),
            Self::InvalidState(_) => (StatusCode::BAD_REQUEST, "INVALID_STATE"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "CONFLICT"),
            Self::LeaseLost(_) => (StatusCode::CONFLICT, "LEASE_LOST"),
            Self::Cancelled(_) => (StatusCode::CONFLICT, "CANCELLED"),
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMIT_EXCEEDED"),
            Self::Timeout(_) => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
            Self::AuthNotConfigured => (StatusCode::INTERNAL_SERVER_ERROR, "AUTH_NOT_CONFIGURED"),
            Self::Database(_) => (StatusCode::INTERNAL_SERVER_ERROR, "DATABASE_ERROR"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR"),
        }
    }

    /// This error about a part of the request (`tasks[2]`, `task`): a validation error's
    /// fields named from the request's top ([`FieldError::within`]), its message theirs;
    /// any other error as it is.
    pub fn within(self, outer: &str) -> Self {
        match self {
            Self::Validation { fields, .. } => {
                let fields: Vec<FieldError> = fields.into_iter().map(|f| f.within(outer)).collect();
                let message = fields
                    .iter()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                Self::Validation { message, fields }
            }
            other => other,
        }
    }

    /// The answer's body: `{error, message, status, fields?}`.
    pub fn body(&self) -> serde_json::Value {
        let (status, code) = self.parts();
        let mut body =
            json!({"error": code, "message": self.to_string(), "status": status.as_u16()});
        if let Self::Validation { fields, .. } = self {
            body["fields"] = json!(fields);
        }
        body
    }

    /// The status code this error answers with.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Transient(detail) | StoreError::Unavailable(detail) => {
                Self::Unavailable(detail)
            }
            StoreError::Conflict { constraint } => {
                Self::Conflict(format!("conflicts with an existing row ({constraint})"))
            }
            other => Self::Database(other.to_string()),
        }
    }
}

impl From<zora_engine::CreateError> for ApiError {
    fn from(err: zora_engine::CreateError) -> Self {
        use zora_engine::CreateError;
        match err {
            CreateError::UnknownTenant(_) => Self::Forbidden(err.to_string()),
            CreateError::Invalid(invalid) => Self::field(
                format!("payload.{}", invalid.field.as_deref().unwrap_or("payload")),
                invalid.with_field(),
            ),
            CreateError::Dependency(message) => Self::field("depends_on", message),
            CreateError::KeyConflict(_) => Self::Conflict(err.to_string()),
            CreateError::Store(store) => store.into(),
        }
    }
}

impl From<zora_engine::external::LeaseError> for ApiError {
    fn from(err: zora_engine::external::LeaseError) -> Self {
        use zora_engine::external::LeaseError;
        match err {
            LeaseError::Lost(why) => Self::LeaseLost(format!("The lease was lost: {why}")),
            LeaseError::Cancelled(message) => Self::Cancelled(message),
            LeaseError::Invalid { field, message } => {
                Self::field(field.clone(), format!("{field}: {message}"))
            }
            LeaseError::Store(store) => store.into(),
        }
    }
}

impl From<zora_engine::external::RegisterError> for ApiError {
    fn from(err: zora_engine::external::RegisterError) -> Self {
        use zora_engine::external::RegisterError;
        match err {
            RegisterError::Invalid { field, message } => Self::field(field, message),
            RegisterError::Store(store) => store.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        match &self {
            Self::Database(detail) | Self::Internal(detail) | Self::Unavailable(detail) => {
                tracing::error!(code, %detail, "request failed");
            }
            _ => {}
        }
        let body = self.body();
        let mut response = (status, Json(body)).into_response();
        let retry_after = match &self {
            Self::RateLimited { retry_after, .. } => Some(*retry_after),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(5),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}
