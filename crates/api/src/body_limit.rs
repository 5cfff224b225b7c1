//! The body limit, answered so that every client can read it. A client that sends its
//! whole body before reading (Python's `urllib` and `requests`, browsers' `fetch`: no
//! `Expect: 100-continue`) and is answered 413 while still sending sees a reset or a
//! broken pipe if the server closes at once. So an oversize body is read to its end and
//! dropped, up to [`DRAIN_LIMIT`] bytes and [`DRAIN_TIME`], and only then answered 413
//! `PAYLOAD_TOO_LARGE` with `Connection: close`. A body without a declared length
//! (chunked) is read here up to the limit and handed on whole.

use std::time::Duration;

use axum::body::{Body, BodyDataStream};
use axum::http::header::{CONNECTION, CONTENT_LENGTH};
use axum::http::{HeaderValue, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::error::ApiError;
use crate::layers::BODY_LIMIT;

/// The most of an oversize body read before the 413 (beyond it the connection is closed
/// as it stands).
pub const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// The longest an oversize body is read before the 413.
pub const DRAIN_TIME: Duration = Duration::from_secs(10);

/// The middleware; see the module documentation.
pub async fn limit_body(request: Request<Body>, next: Next) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(length) if length > BODY_LIMIT as u64 => {
            drain(request.into_body().into_data_stream(), 0).await;
            too_large()
        }
        // Within the limit: hyper holds the body to its declared length.
        Some(_) => next.run(request).await,
        None => {
            let (parts, body) = request.into_parts();
            match buffer(body.into_data_stream()).await {
                Ok(bytes) => {
                    next.run(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
                Err(response) => response,
            }
        }
    }
}

/// A body of unknown length, read whole if it stays within the limit.
async fn buffer(mut stream: BodyDataStream) -> Result<Vec<u8>, Response> {
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|err| {
            closing(ApiError::InvalidJson(format!(
                "The body could not be read: {err}"
            )))
        })?;
        if bytes.len() + chunk.len() > BODY_LIMIT {
            drain(stream, bytes.len() + chunk.len()).await;
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Reads and drops the rest of a body, `seen` bytes of it read already, within bounds.
async fn drain(mut stream: BodyDataStream, mut seen: usize) {
    let read_all = async {
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > DRAIN_LIMIT {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(DRAIN_TIME, read_all).await;
}

fn too_large() -> Response {
    closing(ApiError::PayloadTooLarge(format!(
        "Request body is larger than {BODY_LIMIT} bytes"
    )))
}

/// The error's answer, with `Connection: close`: the rest of the request is not read.
fn closing(error: ApiError) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}
