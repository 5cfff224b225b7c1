//! Cross-site request forgery: a browser sends the `zora_access_token` cookie with any
//! request to this server, one that another site's form or script starts too. A request
//! authenticated by the cookie that changes something must therefore come from this
//! server's own pages or from an origin the operator trusts (`ZORA_CORS_ORIGINS`): its
//! `Origin` (else its `Referer`) is compared with the `Host` it was sent to, and a
//! browser's `Sec-Fetch-Site: same-origin` is taken at its word. A request with none of
//! these headers comes from no browser (a script, a server), which no other site can make
//! send the cookie. A token in the `Authorization` header needs none of this: no browser
//! adds it on its own. The console's own sign-in cookie is `SameSite=Strict` besides.

use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};

use crate::error::ApiError;

/// Refuses a cookie-authenticated request that changes state and comes from elsewhere.
pub fn check(parts: &Parts, trusted_origins: &[String]) -> Result<(), ApiError> {
    if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    check_headers(&parts.headers, trusted_origins)
}

/// [`check`] on the headers of a request that changes state.
pub fn check_headers(headers: &HeaderMap, trusted_origins: &[String]) -> Result<(), ApiError> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("sec-fetch-site") == Some("same-origin") {
        return Ok(());
    }
    let origin = text("origin")
        .filter(|o| *o != "null")
        .map(str::to_owned)
        .or_else(|| text("referer").and_then(origin_of));
    let Some(origin) = origin else {
        if text("sec-fetch-site").is_some() || text("origin") == Some("null") {
            return Err(refused("its origin is unknown"));
        }
        return Ok(());
    };
    let own = text("host").is_some_and(|host| {
        origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
    });
    if own
        || trusted_origins
            .iter()
            .any(|t| t.eq_ignore_ascii_case(&origin))
    {
        Ok(())
    } else {
        Err(refused(&format!("it comes from {origin}")))
    }
}

/// `scheme://authority` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    Some(format!("{scheme}://{authority}"))
}

fn refused(why: &str) -> ApiError {
    ApiError::Forbidden(format!(
        "Cross-site request refused: it is signed in by cookie and {why}, not from this server's pages"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().expect("header"));
        }
        map
    }

    #[test]
    fn own_origin_and_trusted_ones_pass_others_are_refused() {
        let trusted = vec!["https://app.zora.example".to_owned()];
        let host = ("host", "127.0.0.1:8787");
        for ok in [
            headers(&[host, ("origin", "http://127.0.0.1:8787")]),
            headers(&[
                host,
                ("referer", "http://127.0.0.1:8787/admin/agents/tasks"),
            ]),
            headers(&[host, ("sec-fetch-site", "same-origin")]),
            headers(&[host, ("origin", "https://app.zora.example")]),
            headers(&[host]),
        ] {
            assert!(check_headers(&ok, &trusted).is_ok(), "{ok:?}");
        }
        for refused in [
            headers(&[host, ("origin", "http://evil.example")]),
            headers(&[host, ("origin", "http://127.0.0.1:9999")]),
            headers(&[host, ("referer", "http://evil.example/form")]),
            headers(&[host, ("origin", "null")]),
            headers(&[host, ("sec-fetch-site", "cross-site")]),
        ] {
            let error = check_headers(&refused, &trusted).expect_err("refused");
            assert!(
                error.to_string().contains("Cross-site request refused"),
                "{error}"
            );
        }
    }
}
