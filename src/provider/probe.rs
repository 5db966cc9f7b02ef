//! Look for a usable model when none is configured: local servers on their usual ports and API
//! keys in the environment. Runs off the first frame's path with short timeouts.

use std::time::Duration;

use serde_json::Value;

use crate::protocol::Finding;

struct LocalServer {
    label: &'static str,
    profile: &'static str,
    port: u16,
}

const LOCAL_SERVERS: &[LocalServer] = &[
    LocalServer {
        label: "Ollama",
        profile: "ollama",
        port: 11434,
    },
    LocalServer {
        label: "llama.cpp server",
        profile: "llamacpp",
        port: 8080,
    },
    LocalServer {
        label: "LM Studio",
        profile: "lmstudio",
        port: 1234,
    },
    LocalServer {
        label: "vLLM",
        profile: "vllm",
        port: 8000,
    },
];

const CONNECT_TIMEOUT: Duration = Duration::from_millis(300);
const LIST_TIMEOUT: Duration = Duration::from_millis(1500);

/// `http://127.0.0.1:PORT/v1` of the local server a finding's profile names.
pub fn local_base_url(profile: &str) -> Option<String> {
    LOCAL_SERVERS
        .iter()
        .find(|s| s.profile == profile)
        .map(|s| format!("http://127.0.0.1:{}/v1", s.port))
}

/// API keys present in the environment, as findings.
pub fn env_findings(env: &dyn Fn(&str) -> Option<String>) -> Vec<Finding> {
    [
        ("OPENAI_API_KEY", "openai"),
        ("ANTHROPIC_API_KEY", "anthropic"),
    ]
    .into_iter()
    .filter(|(var, _)| env(var).is_some_and(|v| !v.trim().is_empty()))
    .map(|(var, profile)| Finding {
        label: format!("{var} is set"),
        profile: Some(profile.to_string()),
        models: Vec::new(),
    })
    .collect()
}

/// Servers answering on 127.0.0.1 at the usual ports, with the models they list.
pub async fn local_servers() -> Vec<Finding> {
    let http = match reqwest::Client::builder()
        .timeout(LIST_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .no_proxy()
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!("probe client: {e}");
            return Vec::new();
        }
    };
    let probes = LOCAL_SERVERS.iter().map(|s| probe_one(&http, s));
    futures_util::future::join_all(probes)
        .await
        .into_iter()
        .flatten()
        .collect()
}

async fn probe_one(http: &reqwest::Client, server: &LocalServer) -> Option<Finding> {
    let addr = ("127.0.0.1", server.port);
    match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => {}
        _ => return None,
    }
    let url = format!("http://127.0.0.1:{}/v1/models", server.port);
    let models = match http.get(&url).send().await {
        Ok(r) if r.status().is_success() => {
            r.text().await.map(|t| model_ids(&t)).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    Some(Finding {
        label: format!("{} on 127.0.0.1:{}", server.label, server.port),
        profile: Some(server.profile.to_string()),
        models,
    })
}

/// Model ids from `{"data":[{"id":…}]}` (OpenAI) or `{"models":[{"name":…}]}` (Ollama).
pub fn model_ids(body: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        return Vec::new();
    };
    let from = |list: Option<&Value>, key: &str| -> Vec<String> {
        list.and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|m| m.get(key).and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let ids = from(v.get("data"), "id");
    if ids.is_empty() {
        from(v.get("models"), "name")
    } else {
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_id_shapes() {
        assert_eq!(
            model_ids(r#"{"data":[{"id":"a"},{"id":"b"}]}"#),
            vec!["a", "b"]
        );
        assert_eq!(
            model_ids(r#"{"models":[{"name":"llama3"}]}"#),
            vec!["llama3"]
        );
        assert!(model_ids("nope").is_empty());
    }

    #[test]
    fn env_keys_become_findings() {
        let env = |k: &str| (k == "ANTHROPIC_API_KEY").then(|| "x".to_string());
        let f = env_findings(&env);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].profile.as_deref(), Some("anthropic"));
    }

    #[tokio::test]
    async fn finds_a_server_listening_on_a_port() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            if let Ok((mut s, _)) = listener.accept().await {
                let _ = s.read(&mut [0u8; 4096]).await; // the bare connect probe
            }
            if let Ok((mut s, _)) = listener.accept().await {
                let _ = s.read(&mut [0u8; 4096]).await;
                let body = r#"{"data":[{"id":"tiny"}]}"#;
                let _ = s
                    .write_all(format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len()).as_bytes())
                    .await;
            }
        });
        let http = reqwest::Client::new();
        let server = LocalServer {
            label: "Test",
            profile: "t",
            port,
        };
        let f = probe_one(&http, &server).await.unwrap();
        assert_eq!(f.models, vec!["tiny"]);
        assert!(f.label.contains(&port.to_string()));
    }
}
