//! What wraps every route: request ids, tracing, the body limit, the timeout, CORS, and
//! the mapping of every bodiless error (axum's own 404, 405, 413, a rejection's text) to
//! the one JSON error shape, so a client always reads `status` from the body.

use std::time::Duration;

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::ApiError;
use crate::route_table::Operation;

/// Bodies larger than this are refused with 413.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// How long a request may take before it is answered 408 `TIMEOUT` (a route that waits
/// is bounded by its own `timeout` instead: see [`route_timeout`]).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The time bound of a route: `request_timeout`, or for a route that waits
/// ([`Operation::waits`]) the longest wait it allows plus room to answer, whichever is
/// longer.
pub fn route_timeout(op: &Operation, request_timeout: Duration) -> Duration {
    if op.waits {
        request_timeout.max(crate::routes::waiting::MAX_WAIT + Duration::from_secs(15))
    } else {
        request_timeout
    }
}

/// Replaces any error response that is not already JSON with the API's error shape.
pub async fn json_errors(request: Request<Body>, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let text = match axum::body::to_bytes(response.into_body(), 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound("The requested endpoint does not exist".into()),
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::MethodNotAllowed("Method not allowed for this endpoint".into())
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge(format!("Request body is larger than {} bytes", BODY_LIMIT))
        }
        StatusCode::REQUEST_TIMEOUT => ApiError::Timeout("The request took too long".into()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE
        | StatusCode::UNPROCESSABLE_ENTITY
        | StatusCode::BAD_REQUEST => ApiError::InvalidJson(if text.is_empty() {
            "Invalid request body".into()
        } else {
            text
        }),
        _ if status.is_server_error() => ApiError::Internal(text),
        _ => ApiError::InvalidJson(if text.is_empty() {
            status.to_string()
        } else {
            text
        }),
    };
    error.into_response()
}

/// CORS for the origins in `ZORA_CORS_ORIGINS` (comma-separated); none when empty.
pub fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            CONTENT_TYPE,
            axum::http::header::AUTHORIZATION,
            axum::http::HeaderName::from_static("idempotency-key"),
        ])
        .allow_credentials(true)
}
