//! The one way this workspace makes an HTTP client (the model planner's, and the bench's
//! and tests' clients of `zora serve`): reqwest over rustls with the ring provider, which
//! is installed as the process's default first (reqwest is built without a provider of
//! its own: aws-lc-rs, its default, needs cmake and a long C build). Certificates are
//! checked against the platform's roots (`rustls-platform-verifier`: on Linux the
//! system's CA bundle, so a private or proxy CA an operator trusts works as it does for
//! curl). No OpenSSL is linked.

/// A client builder whose TLS is ready.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    // Err: a provider is installed already, which serves as well.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// A client with reqwest's defaults. Panics, as `reqwest::Client::new` does, only if the
/// TLS backend cannot start (the platform's roots cannot be read at all).
pub fn http_client() -> reqwest::Client {
    match http_client_builder().build() {
        Ok(client) => client,
        Err(err) => panic!("the HTTP client's TLS backend did not start: {err}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_starts_without_a_provider_installed_first() {
        let _client = super::http_client();
    }
}
