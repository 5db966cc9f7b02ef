//! What a provider's server says about itself, asked only when needed (`/model`, a switch, or
//! once after start-up for local servers): which models it offers, whether it answers at all,
//! and the context window it runs with (llama.cpp `/props` `n_ctx` or `/v1/models`
//! `meta.n_ctx_train`; Ollama `/api/show` `model_info.*.context_length`).

use std::time::Duration;

use serde_json::Value;

use crate::config::{ResolvedProvider, is_local_url};
use crate::protocol::ProviderKind;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a server could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error(
        "{url} does not answer ({reason}): start the server, or check base_url of profile `{profile}`"
    )]
    Unreachable {
        url: String,
        profile: String,
        reason: String,
    },
    #[error("{url} answered HTTP {status}: {detail}")]
    Refused {
        url: String,
        status: u16,
        detail: String,
    },
    #[error("cannot set up an HTTP client: {0}")]
    Client(String),
}

/// The server's root: `http://host:port/v1` → `http://host:port`.
pub fn server_root(base_url: &str) -> &str {
    let trimmed = base_url.trim_end_matches('/');
    trimmed.strip_suffix("/v1").unwrap_or(trimmed)
}

fn http(provider: &ResolvedProvider) -> Result<reqwest::Client, CatalogError> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("pincer/", env!("CARGO_PKG_VERSION")));
    if is_local_url(&provider.base_url) {
        b = b.no_proxy();
    }
    b.build().map_err(|e| CatalogError::Client(e.to_string()))
}

fn with_auth(req: reqwest::RequestBuilder, provider: &ResolvedProvider) -> reqwest::RequestBuilder {
    match (provider.kind, provider.api_key.as_deref()) {
        (ProviderKind::Anthropic, Some(key)) => req
            .header("x-api-key", key)
            .header("anthropic-version", "2023-06-01"),
        (ProviderKind::Anthropic, None) => req.header("anthropic-version", "2023-06-01"),
        (ProviderKind::Openai, Some(key)) => req.bearer_auth(key),
        (ProviderKind::Openai, None) => req,
    }
}

fn unreachable(url: &str, provider: &ResolvedProvider, e: &reqwest::Error) -> CatalogError {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    CatalogError::Unreachable {
        url: url.to_string(),
        profile: provider.profile.clone(),
        reason: if e.is_timeout() {
            "timed out".to_string()
        } else {
            cause.to_string()
        },
    }
}

/// GET `url`: the body of a 2xx answer; any other answer is `Refused`, no answer `Unreachable`.
async fn get(
    client: &reqwest::Client,
    provider: &ResolvedProvider,
    url: &str,
) -> Result<String, CatalogError> {
    let resp = with_auth(client.get(url), provider)
        .send()
        .await
        .map_err(|e| unreachable(url, provider, &e))?;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(CatalogError::Refused {
            url: url.to_string(),
            status,
            detail: super::error::error_message(&body),
        })
    }
}

/// Whether the server answers at all (any HTTP status counts: a 401 is a key problem, not an
/// unreachable server).
pub async fn check_reachable(provider: &ResolvedProvider) -> Result<(), CatalogError> {
    let client = http(provider)?;
    let url = format!("{}/models", provider.base_url.trim_end_matches('/'));
    match get(&client, provider, &url).await {
        Ok(_) | Err(CatalogError::Refused { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The models the server offers: `GET {base}/models` (OpenAI, Anthropic, llama.cpp, vLLM, LM
/// Studio, Ollama's OpenAI API), then Ollama's own `/api/tags` when that lists nothing.
pub async fn list_models(provider: &ResolvedProvider) -> Result<Vec<String>, CatalogError> {
    let client = http(provider)?;
    let url = format!("{}/models", provider.base_url.trim_end_matches('/'));
    let first = get(&client, provider, &url).await;
    if let Ok(body) = &first {
        let ids = super::probe::model_ids(body);
        if !ids.is_empty() {
            return Ok(ids);
        }
    }
    if matches!(first, Err(CatalogError::Unreachable { .. }))
        || provider.kind != ProviderKind::Openai
    {
        return first.map(|b| super::probe::model_ids(&b));
    }
    let tags = format!("{}/api/tags", server_root(&provider.base_url));
    match get(&client, provider, &tags).await {
        Ok(body) => Ok(super::probe::model_ids(&body)),
        Err(_) => first.map(|b| super::probe::model_ids(&b)),
    }
}

/// The context window the (local) server runs `provider.model` with, when it says.
pub async fn discover_window(provider: &ResolvedProvider) -> Option<u64> {
    if provider.kind != ProviderKind::Openai || !is_local_url(&provider.base_url) {
        return None;
    }
    let client = http(provider).ok()?;
    let root = server_root(&provider.base_url);
    if let Ok(body) = get(&client, provider, &format!("{root}/props")).await
        && let Some(n) = props_n_ctx(&body)
    {
        return Some(n);
    }
    let models = format!("{}/models", provider.base_url.trim_end_matches('/'));
    if let Ok(body) = get(&client, provider, &models).await
        && let Some(n) = models_n_ctx(&body, &provider.model)
    {
        return Some(n);
    }
    let mut model = provider.model.clone();
    if model.is_empty() {
        let tags = get(&client, provider, &format!("{root}/api/tags"))
            .await
            .ok()?;
        model = super::probe::model_ids(&tags).into_iter().next()?;
    }
    let show = with_auth(client.post(format!("{root}/api/show")), provider)
        .json(&serde_json::json!({ "model": model }))
        .send()
        .await
        .ok()?;
    if !show.status().is_success() {
        return None;
    }
    ollama_context_length(&show.text().await.ok()?)
}

fn positive(v: Option<&Value>) -> Option<u64> {
    v.and_then(Value::as_u64).filter(|n| *n > 0)
}

/// llama.cpp `/props`: `default_generation_settings.n_ctx` (or a top-level `n_ctx`).
pub fn props_n_ctx(body: &str) -> Option<u64> {
    let v: Value = serde_json::from_str(body).ok()?;
    positive(v.pointer("/default_generation_settings/n_ctx")).or_else(|| positive(v.get("n_ctx")))
}

/// llama.cpp `/v1/models`: `data[].meta.n_ctx_train` of `model` (or of the only model).
pub fn models_n_ctx(body: &str, model: &str) -> Option<u64> {
    let v: Value = serde_json::from_str(body).ok()?;
    let data = v.get("data")?.as_array()?;
    let entry = data
        .iter()
        .find(|m| !model.is_empty() && m.get("id").and_then(Value::as_str) == Some(model))
        .or_else(|| (data.len() == 1).then(|| &data[0]))?;
    positive(entry.pointer("/meta/n_ctx_train"))
        .or_else(|| positive(entry.get("context_length")))
        .or_else(|| positive(entry.get("max_model_len")))
}

/// Ollama `/api/show`: `model_info["<arch>.context_length"]`.
pub fn ollama_context_length(body: &str) -> Option<u64> {
    let v: Value = serde_json::from_str(body).ok()?;
    let info = v.get("model_info")?.as_object()?;
    info.iter()
        .find(|(k, _)| k.ends_with(".context_length"))
        .and_then(|(_, v)| positive(Some(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots() {
        assert_eq!(
            server_root("http://127.0.0.1:8080/v1"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            server_root("http://127.0.0.1:8080/v1/"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(server_root("http://h:1"), "http://h:1");
    }

    #[test]
    fn window_shapes() {
        assert_eq!(
            props_n_ctx(r#"{"default_generation_settings":{"n_ctx":8192},"total_slots":1}"#),
            Some(8192)
        );
        assert_eq!(props_n_ctx(r#"{"n_ctx":4096}"#), Some(4096));
        assert_eq!(props_n_ctx(r#"{"n_ctx":0}"#), None);
        assert_eq!(props_n_ctx("<html>"), None);
        let models = r#"{"data":[{"id":"a.gguf","meta":{"n_ctx_train":131072}},{"id":"b","meta":{"n_ctx_train":2048}}]}"#;
        assert_eq!(models_n_ctx(models, "b"), Some(2048));
        assert_eq!(
            models_n_ctx(models, "zzz"),
            None,
            "two models and none named"
        );
        assert_eq!(
            models_n_ctx(
                r#"{"data":[{"id":"only","meta":{"n_ctx_train":32768}}]}"#,
                ""
            ),
            Some(32768)
        );
        assert_eq!(
            ollama_context_length(
                r#"{"model_info":{"general.architecture":"qwen3","qwen3.context_length":40960}}"#
            ),
            Some(40960)
        );
        assert_eq!(ollama_context_length(r#"{"model_info":{}}"#), None);
    }
}
