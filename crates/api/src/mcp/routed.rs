//! A tool call made into the API request it stands for and sent through the API's own
//! router (its checks, roles, tenant scope, journal entries and errors, unchanged), with
//! the caller's credentials and every journal entry it writes marked `source: "mcp"`.
//! The answer's `data` comes back as the tool's structured result; a refusal as a tool
//! error carrying the API's message, code and status, so that a model reads why.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method as HttpMethod, Request, header};
use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use crate::mcp::tools::{ToolSpec, path_parameters, query_parameters};
use crate::route_table::Method;

/// The answer of one API request: its status and its JSON body.
pub(super) struct Answer {
    pub status: u16,
    pub body: Value,
}

/// Sends `method path` with `body` through `api` as the holder of `credentials`, its
/// journal entries marked `source: "mcp"`.
pub(super) async fn request(
    api: &Router,
    credentials: &HeaderMap,
    method: HttpMethod,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(path);
    for name in [header::AUTHORIZATION, header::COOKIE] {
        if let Some(value) = credentials.get(&name) {
            request = request.header(name, value.clone());
        }
    }
    let request = match body {
        Some(body) => request
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    };
    let Ok(request) = request else {
        return internal("the request could not be made");
    };
    let sent = zora_core::journal::written_through("mcp", api.clone().oneshot(request));
    let Ok(response) = sent.await;
    let status = response.status().as_u16();
    match axum::body::to_bytes(response.into_body(), usize::MAX).await {
        Ok(bytes) if bytes.is_empty() => Answer {
            status,
            body: Value::Null,
        },
        Ok(bytes) => Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or_else(
                |_| json!({"error": "INTERNAL_ERROR", "message": String::from_utf8_lossy(&bytes)}),
            ),
        },
        Err(_) => internal("the answer could not be read"),
    }
}

fn internal(message: &str) -> Answer {
    Answer {
        status: 500,
        body: json!({"error": "INTERNAL_ERROR", "message": message, "status": 500}),
    }
}

/// An argument the tool does not take: refused before any request, naming it.
fn unknown_argument(name: &str, spec: &ToolSpec) -> CallToolResult {
    refusal(&json!({
        "error": "VALIDATION_ERROR",
        "message": format!("{name}: {} takes no argument {name:?}", spec.name),
        "status": 400,
        "fields": [{"field": name, "message": format!("{name}: unknown argument")}],
    }))
}

/// The request `spec` stands for with `arguments`: its path (with `{id}` filled and the
/// query string), and its body (the remaining arguments) when the route takes one.
pub(super) fn route_request(
    spec: &ToolSpec,
    arguments: JsonObject,
) -> Result<(HttpMethod, String, Option<Value>), CallToolResult> {
    let op = spec.route();
    let mut arguments = arguments;
    let mut path = op.path.to_owned();
    for name in path_parameters(op) {
        let Some(Value::String(value)) = arguments.remove(name) else {
            return Err(refusal(&json!({
                "error": "VALIDATION_ERROR",
                "message": format!("{name}: a string is required"),
                "status": 400,
                "fields": [{"field": name, "message": format!("{name}: a string is required")}],
            })));
        };
        path = path.replace(&format!("{{{name}}}"), &encoded(&value));
    }
    let mut query = Vec::new();
    for (name, ..) in query_parameters(spec) {
        if let Some(value) = arguments.remove(&name) {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            query.push(format!("{name}={}", encoded(&text)));
        }
    }
    if !query.is_empty() {
        path = format!("{path}?{}", query.join("&"));
    }
    let body = match op.request {
        Some(_) => {
            if let Some(offered) = spec.body
                && let Some(name) = arguments
                    .keys()
                    .find(|name| !offered.contains(&name.as_str()))
            {
                return Err(unknown_argument(name, spec));
            }
            Some(Value::Object(arguments))
        }
        None => match arguments.keys().next() {
            Some(name) => return Err(unknown_argument(name, spec)),
            None => None,
        },
    };
    let method = match op.method {
        Method::Get => HttpMethod::GET,
        Method::Post => HttpMethod::POST,
        Method::Put => HttpMethod::PUT,
        Method::Patch => HttpMethod::PATCH,
        Method::Delete => HttpMethod::DELETE,
    };
    Ok((method, path, body))
}

/// `text` as a path segment or query value: every byte but letters and digits escaped.
pub(super) fn encoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The tool's result for an API answer: its `data` (the whole answer when `data` is not
/// an object, as a page's list with its pagination) as structured content and as text;
/// an error answer as a tool error.
pub(super) fn result(answer: Answer) -> CallToolResult {
    if !(200..300).contains(&answer.status) {
        let mut body = answer.body;
        if let Some(fields) = body.as_object_mut() {
            fields
                .entry("status")
                .or_insert_with(|| Value::from(answer.status));
        }
        return refusal(&body);
    }
    let structured = match answer.body.get("data") {
        Some(data @ Value::Object(_)) => data.clone(),
        _ => match answer.body {
            Value::Object(_) => answer.body,
            Value::Null => Value::Object(Map::new()),
            other => json!({"data": other}),
        },
    };
    let text = structured.to_string();
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    result.structured_content = Some(structured);
    result
}

/// A tool error: the API's message as its text, `{error, status, message, fields?}` as
/// its structured content.
fn refusal(body: &Value) -> CallToolResult {
    let message = body["message"]
        .as_str()
        .unwrap_or("The request was refused")
        .to_owned();
    let mut result = CallToolResult::error(vec![ContentBlock::text(message)]);
    result.structured_content = Some(body.clone());
    result
}
