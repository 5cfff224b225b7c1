//! [`JsonObject`]: the JSON body extractor. Every way a body can be wrong (no or another
//! content type, malformed JSON, invalid UTF-8, an array or a string instead of an object,
//! nesting past serde_json's recursion limit of 128) is a 400 `INVALID_JSON`, never axum's
//! own 415/422. (No lower nesting limit is a documented requirement, so serde_json's own
//! check is the one kept.)

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// A request body that is a JSON object.
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Value>);

/// A request body that is a JSON object, or none at all (an empty body reads as `{}`):
/// for routes whose fields are all optional.
#[derive(Debug)]
pub struct OptionalJsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(&request) {
            return Err(not_json());
        }
        object_of(&read(request, state).await?).map(Self)
    }
}

impl<S: Send + Sync> FromRequest<S> for OptionalJsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = is_json(&request);
        let bytes = read(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        if !json_type {
            return Err(not_json());
        }
        object_of(&bytes).map(Self)
    }
}

fn is_json(request: &Request) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        })
}

fn not_json() -> ApiError {
    ApiError::InvalidJson("Content-Type must be application/json".into())
}

async fn read<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(format!(
                    "Request body is larger than {} bytes",
                    crate::BODY_LIMIT
                ))
            } else {
                ApiError::InvalidJson("The request body could not be read".into())
            }
        })
}

/// The body as a JSON object, or why it is not one.
fn object_of(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::InvalidJson("The body is not valid UTF-8".into()))?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::InvalidJson(
            "The body must be a JSON object".into(),
        )),
        Err(err) => Err(ApiError::InvalidJson(format!("Malformed JSON: {err}"))),
    }
}
