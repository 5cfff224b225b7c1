//! The API reference (`docs/API.md`) stays whole: every route of the route table has its
//! section, under its method and path, and every error code the API answers is listed.

use zora_api::{Method, OPERATIONS};

fn reference() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/API.md");
    std::fs::read_to_string(path).expect("docs/API.md is readable")
}

#[test]
fn every_route_has_its_section() {
    let text = reference();
    let missing: Vec<String> = OPERATIONS
        .iter()
        .map(|op| {
            let method = match op.method {
                Method::Get => "GET",
                Method::Post => "POST",
                Method::Put => "PUT",
                Method::Patch => "PATCH",
                Method::Delete => "DELETE",
            };
            format!("### {method} {}", op.path)
        })
        .filter(|heading| !text.lines().any(|line| line == heading))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/API.md lacks: {}",
        missing.join(", ")
    );
}

#[test]
fn every_error_code_is_listed() {
    let text = reference();
    let codes = [
        "INVALID_JSON",
        "VALIDATION_ERROR",
        "INVALID_STATE",
        "MISSING_TOKEN",
        "INVALID_AUTH_HEADER",
        "INVALID_TOKEN",
        "INVALID_SIGNATURE",
        "INVALID_PAYLOAD",
        "TOKEN_EXPIRED",
        "FORBIDDEN",
        "NOT_FOUND",
        "METHOD_NOT_ALLOWED",
        "CONFLICT",
        "LEASE_LOST",
        "CANCELLED",
        "PAYLOAD_TOO_LARGE",
        "RATE_LIMIT_EXCEEDED",
        "AUTH_NOT_CONFIGURED",
        "DATABASE_ERROR",
        "INTERNAL_ERROR",
        "SERVICE_UNAVAILABLE",
    ];
    for code in codes {
        assert!(
            text.contains(&format!("`{code}`")),
            "docs/API.md lacks {code}"
        );
    }
}
