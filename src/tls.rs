//! TLS for every HTTP client: rustls with the *ring* crypto provider (reqwest is built with
//! `rustls-no-provider`, so the process-wide provider must be installed before the first
//! client). Certificates are verified against the platform's root store by reqwest's
//! rustls-platform-verifier; nothing here weakens that.

use std::sync::Once;

/// Install ring as the process's rustls provider (idempotent, cheap after the first call).
/// Called by every `reqwest::Client` builder in pincer.
pub fn ensure_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means another provider is already installed (an embedding program chose
        // one): that one is used, which is what it wants.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A client builder with the TLS provider in place.
pub fn client_builder() -> reqwest::ClientBuilder {
    ensure_provider();
    reqwest::Client::builder()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn clients_build_with_the_ring_provider() {
        super::client_builder().build().unwrap();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
