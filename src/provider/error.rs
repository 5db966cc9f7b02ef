//! Classify HTTP and transport failures into errors that say what to do.

use std::time::Duration;

use crate::config::ResolvedProvider;
use crate::protocol::ErrorKind;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("{message}")]
    Auth { status: u16, message: String },
    #[error("{message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    #[error("{message}")]
    Server { status: u16, message: String },
    #[error("{message}")]
    Network { message: String },
    /// Nothing listens at the address (`loopback`: on this machine, where a retry rarely helps:
    /// it is tried once more, then the user hears about it).
    #[error("{message}")]
    ConnectionRefused { message: String, loopback: bool },
    #[error("the provider sent nothing for {secs} s; the stream was given up")]
    Stalled { secs: u64 },
    #[error("{message}")]
    ContextLength { message: String },
    #[error("{message}")]
    BadResponse { message: String },
    #[error("{message}")]
    Request { status: u16, message: String },
}

impl ProviderError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            ProviderError::Auth { .. } => ErrorKind::Auth,
            ProviderError::RateLimited { .. } => ErrorKind::RateLimited,
            ProviderError::Server { .. } => ErrorKind::Server,
            ProviderError::Network { .. } | ProviderError::ConnectionRefused { .. } => {
                ErrorKind::Network
            }
            ProviderError::Stalled { .. } => ErrorKind::Timeout,
            ProviderError::ContextLength { .. } => ErrorKind::ContextLength,
            ProviderError::BadResponse { .. } => ErrorKind::BadResponse,
            ProviderError::Request { .. } => ErrorKind::Request,
        }
    }

    /// Whether sending the same request again may succeed.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::RateLimited { .. }
                | ProviderError::Server { .. }
                | ProviderError::Network { .. }
                | ProviderError::ConnectionRefused { .. }
                | ProviderError::Stalled { .. }
        )
    }

    /// How many retries this error deserves at most, under the configured `max_retries`.
    pub fn retry_cap(&self, max_retries: u32) -> u32 {
        match self {
            ProviderError::ConnectionRefused { loopback: true, .. } => max_retries.min(1),
            _ => max_retries,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The human part of an error body: OpenAI, Anthropic, Ollama and llama.cpp shapes, else raw text.
pub(super) fn error_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
        let candidates = [
            v.pointer("/error/message"),
            v.pointer("/message"),
            v.pointer("/error"),
            v.pointer("/detail"),
        ];
        for c in candidates.into_iter().flatten() {
            if let Some(s) = c.as_str() {
                return s.trim().to_string();
            }
        }
    }
    let trimmed = body.trim();
    let mut short: String = trimmed.chars().take(300).collect();
    if short.len() < trimmed.len() {
        short.push('…');
    }
    short
}

fn looks_like_context_overflow(body: &str) -> bool {
    let lower = body.to_ascii_lowercase();
    [
        "context_length_exceeded",
        "maximum context length",
        "context length",
        "context window",
        "prompt is too long",
        "exceed_context_size",
        "exceeds the available context size",
        "too many tokens",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

pub(super) fn from_status(
    status: u16,
    body: &str,
    retry_after: Option<Duration>,
    p: &ResolvedProvider,
) -> ProviderError {
    let detail = error_message(body);
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    };
    match status {
        401 | 403 => {
            let fix = match &p.api_key_env {
                Some(var) if p.api_key.is_some() => format!("check the key in {var}"),
                Some(var) => format!("set {var} to your API key"),
                None => format!(
                    "the server wants a key: add api_key_env = \"VAR\" to [providers.{}] and export VAR",
                    p.profile
                ),
            };
            ProviderError::Auth {
                status,
                message: format!(
                    "{} refused the request (HTTP {status}){detail}. Fix: {fix}",
                    p.profile
                ),
            }
        }
        429 => ProviderError::RateLimited {
            retry_after,
            message: format!("{} is rate limiting requests (HTTP 429){detail}", p.profile),
        },
        _ if (400..500).contains(&status) && looks_like_context_overflow(body) => {
            ProviderError::ContextLength {
                message: format!(
                    "the conversation no longer fits {}'s context window{detail}. Start a new session with /new, or pick a model with a larger window",
                    p.model
                ),
            }
        }
        404 => ProviderError::Request {
            status,
            message: format!(
                "HTTP 404 from {}{detail}. Check base_url (OpenAI-compatible servers usually end in /v1) and that model `{}` exists",
                p.base_url, p.model
            ),
        },
        500..=599 => ProviderError::Server {
            status,
            message: format!("{} had a server error (HTTP {status}){detail}", p.profile),
        },
        _ => ProviderError::Request {
            status,
            message: format!("{} rejected the request (HTTP {status}){detail}", p.profile),
        },
    }
}

pub(super) fn from_reqwest(e: &reqwest::Error, base_url: &str) -> ProviderError {
    if e.is_timeout() {
        return ProviderError::Network {
            message: format!("connecting to {base_url} timed out; is the server up?"),
        };
    }
    if e.is_connect() && refused(e) {
        return ProviderError::ConnectionRefused {
            message: format!(
                "nothing is listening at {base_url} (connection refused): start the server, or check the profile's base_url (/model lists what is configured)"
            ),
            loopback: is_loopback_url(base_url),
        };
    }
    if e.is_connect() {
        return ProviderError::Network {
            message: format!(
                "cannot connect to {base_url} ({}); is the server running and the base_url right?",
                root_cause(e)
            ),
        };
    }
    ProviderError::Network {
        message: format!("request to {base_url} failed: {}", root_cause(e)),
    }
}

/// An error while reading the body after the status line: the connection broke.
pub(super) fn body_error(e: &reqwest::Error) -> ProviderError {
    ProviderError::Network {
        message: format!("the connection broke during the reply ({})", root_cause(e)),
    }
}

/// Whether an I/O error with kind `ConnectionRefused` is among the causes.
fn refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// `localhost`, `127.0.0.0/8` or `[::1]`: this machine.
pub fn is_loopback_url(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ProviderKind;

    fn provider(key: Option<&str>) -> ResolvedProvider {
        ResolvedProvider {
            profile: "openai".into(),
            kind: ProviderKind::Openai,
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt".into(),
            api_key: key.map(Into::into),
            api_key_env: Some("OPENAI_API_KEY".into()),
            max_tokens: 100,
        }
    }

    #[test]
    fn auth_names_the_variable() {
        let e = from_status(
            401,
            r#"{"error":{"message":"bad key"}}"#,
            None,
            &provider(Some("k")),
        );
        assert_eq!(e.kind(), ErrorKind::Auth);
        let m = e.to_string();
        assert!(m.contains("OPENAI_API_KEY") && m.contains("bad key"), "{m}");
        assert!(!e.retryable());
    }

    #[test]
    fn context_overflow_is_recognised() {
        for body in [
            r#"{"error":{"message":"This model's maximum context length is 8192 tokens","code":"context_length_exceeded"}}"#,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 300000 tokens > 200000 maximum"}}"#,
            r#"{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}"#,
        ] {
            let e = from_status(400, body, None, &provider(None));
            assert_eq!(e.kind(), ErrorKind::ContextLength, "{body}");
            assert!(e.to_string().contains("/new"));
        }
    }

    #[test]
    fn status_classes() {
        let p = provider(None);
        assert!(from_status(503, "", None, &p).retryable());
        assert!(from_status(429, "", Some(Duration::from_secs(2)), &p).retryable());
        assert_eq!(
            from_status(429, "", Some(Duration::from_secs(2)), &p).retry_after(),
            Some(Duration::from_secs(2))
        );
        assert!(!from_status(400, "{\"error\":\"bad\"}", None, &p).retryable());
        assert!(from_status(404, "", None, &p).to_string().contains("/v1"));
    }

    #[test]
    fn loopback_urls() {
        for u in [
            "http://127.0.0.1:8080/v1",
            "http://localhost:11434",
            "http://[::1]:9/v1",
            "http://127.1.2.3",
        ] {
            assert!(is_loopback_url(u), "{u}");
        }
        for u in [
            "http://192.168.1.2:8080",
            "https://api.openai.com/v1",
            "http://localhost.evil.com/",
        ] {
            assert!(!is_loopback_url(u), "{u}");
        }
        let e = ProviderError::ConnectionRefused {
            message: "x".into(),
            loopback: true,
        };
        assert_eq!((e.retry_cap(4), e.retry_cap(0)), (1, 0));
        let e = ProviderError::ConnectionRefused {
            message: "x".into(),
            loopback: false,
        };
        assert_eq!(e.retry_cap(4), 4);
    }

    #[test]
    fn error_message_shapes() {
        assert_eq!(
            error_message(r#"{"error":"model not found"}"#),
            "model not found"
        );
        assert_eq!(error_message("<h1>502</h1>"), "<h1>502</h1>");
        assert!(error_message(&"x".repeat(1000)).ends_with('…'));
    }
}
