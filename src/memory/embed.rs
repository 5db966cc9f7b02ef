//! OpenAI-compatible `/v1/embeddings` client: OpenAI, Ollama, llama.cpp's server with
//! `--embeddings`, LM Studio and vLLM all take `{"model", "input": [..]}` and answer
//! `{"data": [{"index", "embedding": [..]}]}`. Texts go out in batches, each request has its own
//! timeout, and every failure is a typed error that says what to do. Vectors are cached by
//! [`cache_key`] = sha256(model, NUL, text) (see `embed_sql.rs`).

use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Where memory vectors come from: `[memory.embeddings]` resolved (the API key already read from
/// the variable `api_key_env` names).
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedSettings {
    /// Base URL such as `http://127.0.0.1:11434/v1`; `/embeddings` is appended unless present.
    pub url: String,
    pub model: String,
    pub api_key: Option<String>,
    /// Expected vector size; `None`: whatever the model returns (then held fixed).
    pub dimensions: Option<usize>,
    /// Texts per request.
    pub batch: usize,
    /// Per background batch request.
    pub timeout: Duration,
    /// Per query embedding at search time (short: search must not wait long for it).
    pub query_timeout: Duration,
}

/// Defaults for a batch request's and a query's timeout.
pub const BATCH_TIMEOUT: Duration = Duration::from_secs(30);
pub const QUERY_TIMEOUT: Duration = Duration::from_millis(800);
pub const DEFAULT_BATCH: usize = 32;

impl EmbedSettings {
    /// Settings with the default batch size and timeouts.
    pub fn new(url: &str, model: &str) -> EmbedSettings {
        EmbedSettings {
            url: url.to_string(),
            model: model.to_string(),
            api_key: None,
            dimensions: None,
            batch: DEFAULT_BATCH,
            timeout: BATCH_TIMEOUT,
            query_timeout: QUERY_TIMEOUT,
        }
    }

    /// Read the API key from the variable `var` names (`None`: no key is sent).
    pub fn with_key_from_env(
        mut self,
        var: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<EmbedSettings, EmbedError> {
        if let Some(var) = var {
            match env(var).filter(|v| !v.trim().is_empty()) {
                Some(key) => self.api_key = Some(key),
                None => {
                    return Err(EmbedError::MissingKey {
                        var: var.to_string(),
                    });
                }
            }
        }
        Ok(self)
    }

    /// The full endpoint URL.
    pub fn endpoint(&self) -> String {
        let base = self.url.trim_end_matches('/');
        if base.ends_with("/embeddings") {
            base.to_string()
        } else {
            format!("{base}/embeddings")
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmbedError {
    #[error(
        "the embedding server at {url} is not reachable ({detail}); start it or fix \
         [memory.embeddings] url in config.toml — memory search uses text only meanwhile"
    )]
    Down { url: String, detail: String },
    #[error(
        "the embedding server at {url} did not answer within {millis} ms; it may be loading the \
         model or overloaded — try again, or raise the timeout / lower [memory.embeddings] batch"
    )]
    Slow { url: String, millis: u64 },
    #[error(
        "the embedding server at {url} answered HTTP {status}: {message}; check \
         [memory.embeddings] model and api_key_env in config.toml"
    )]
    Http {
        url: String,
        status: u16,
        message: String,
    },
    #[error(
        "the embedding server at {url} sent something that is not an embeddings reply ({detail}); \
         check that [memory.embeddings] url points at an OpenAI-compatible /v1/embeddings"
    )]
    BadJson { url: String, detail: String },
    #[error(
        "embedding model {model} returned {got}-dimension vectors, expected {expected}; set \
         [memory.embeddings] dimensions = {got} (or configure the model you meant) and run \
         `pincer memory reindex`"
    )]
    WrongDimension {
        model: String,
        expected: usize,
        got: usize,
    },
    #[error(
        "embedding model {model} changed its vector size mid-run ({before} → {now} dimensions); \
         nothing of the new size was stored — run `pincer memory reindex` once the server is settled"
    )]
    DimensionChanged {
        model: String,
        before: usize,
        now: usize,
    },
    #[error(
        "the embedding server at {url} returned {got} vectors for {sent} texts; it may not \
         support batches — set [memory.embeddings] batch = 1"
    )]
    CountMismatch {
        url: String,
        sent: usize,
        got: usize,
    },
    #[error(
        "[memory.embeddings] api_key_env names {var}, which is not set; export it or remove \
         api_key_env from config.toml"
    )]
    MissingKey { var: String },
}

/// Cache key of one embedding: sha256(model, NUL, text).
pub fn cache_key(model: &str, text: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(model.as_bytes());
    h.update([0u8]);
    h.update(text.as_bytes());
    h.finalize().into()
}

/// sha256 of a chunk's text, stored beside its vector to notice edited chunks.
pub fn text_hash(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

#[derive(Deserialize)]
struct Reply {
    data: Vec<Datum>,
}

#[derive(Deserialize)]
struct Datum {
    #[serde(default)]
    index: Option<usize>,
    embedding: Vec<f32>,
}

/// One configured embedding endpoint.
pub struct EmbedClient {
    http: reqwest::Client,
    settings: EmbedSettings,
    endpoint: String,
}

impl EmbedClient {
    pub fn new(settings: EmbedSettings) -> Result<EmbedClient, EmbedError> {
        let endpoint = settings.endpoint();
        let http = reqwest::Client::builder()
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| EmbedError::Down {
                url: endpoint.clone(),
                detail: format!("HTTP client: {e}"),
            })?;
        Ok(EmbedClient {
            http,
            settings,
            endpoint,
        })
    }

    pub fn settings(&self) -> &EmbedSettings {
        &self.settings
    }

    /// Embed `texts` in batches of `settings.batch`; every vector has the same dimension
    /// (`expected`, else the configured one, else the first returned).
    pub async fn embed(
        &self,
        texts: &[&str],
        expected: Option<usize>,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut dim = expected.or(self.settings.dimensions);
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.settings.batch.max(1)) {
            let vectors = self.request(batch, self.settings.timeout).await?;
            dim = Some(self.check_dims(&vectors, dim, !out.is_empty())?);
            out.extend(vectors);
        }
        Ok(out)
    }

    /// One query's vector, with the short query timeout.
    pub async fn embed_query(
        &self,
        text: &str,
        expected: Option<usize>,
    ) -> Result<Vec<f32>, EmbedError> {
        let mut vectors = self.request(&[text], self.settings.query_timeout).await?;
        self.check_dims(&vectors, expected.or(self.settings.dimensions), false)?;
        vectors.pop().ok_or_else(|| EmbedError::CountMismatch {
            url: self.endpoint.clone(),
            sent: 1,
            got: 0,
        })
    }

    /// The common dimension of `vectors`, checked against `expected`. `mid_run`: earlier
    /// batches of this call already fixed it (a change is then reported as such).
    fn check_dims(
        &self,
        vectors: &[Vec<f32>],
        expected: Option<usize>,
        mid_run: bool,
    ) -> Result<usize, EmbedError> {
        let model = self.settings.model.clone();
        let first = vectors.first().map_or(0, Vec::len);
        let want = expected.unwrap_or(first);
        match vectors.iter().map(Vec::len).find(|&n| n != want) {
            None => Ok(want),
            Some(got) if mid_run || (expected.is_none() && got != first) => {
                Err(EmbedError::DimensionChanged {
                    model,
                    before: want,
                    now: got,
                })
            }
            Some(got) => Err(EmbedError::WrongDimension {
                model,
                expected: want,
                got,
            }),
        }
    }

    async fn request(
        &self,
        texts: &[&str],
        timeout: Duration,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut body = serde_json::json!({
            "model": self.settings.model,
            "input": texts,
            "encoding_format": "float",
        });
        if let Some(d) = self.settings.dimensions {
            body["dimensions"] = d.into();
        }
        let mut req = self.http.post(&self.endpoint).timeout(timeout).json(&body);
        if let Some(key) = &self.settings.api_key {
            req = req.bearer_auth(key);
        }
        let resp = req.send().await.map_err(|e| self.transport(e, timeout))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| self.transport(e, timeout))?;
        if !status.is_success() {
            return Err(EmbedError::Http {
                url: self.endpoint.clone(),
                status: status.as_u16(),
                message: error_message(&text),
            });
        }
        self.parse(&text, texts.len())
    }

    fn parse(&self, text: &str, sent: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
        let bad = |detail: String| EmbedError::BadJson {
            url: self.endpoint.clone(),
            detail,
        };
        let mut reply: Reply = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        if reply.data.len() != sent {
            return Err(EmbedError::CountMismatch {
                url: self.endpoint.clone(),
                sent,
                got: reply.data.len(),
            });
        }
        if reply.data.iter().all(|d| d.index.is_some()) {
            reply.data.sort_by_key(|d| d.index);
            if reply
                .data
                .iter()
                .enumerate()
                .any(|(i, d)| d.index != Some(i))
            {
                return Err(bad("the reply's indexes are not 0..n".into()));
            }
        }
        let vectors: Vec<Vec<f32>> = reply.data.into_iter().map(|d| d.embedding).collect();
        if vectors.iter().any(|v| v.is_empty()) {
            return Err(bad("an embedding is empty".into()));
        }
        if vectors.iter().flatten().any(|x| !x.is_finite()) {
            return Err(bad("an embedding holds a non-finite number".into()));
        }
        Ok(vectors)
    }

    fn transport(&self, e: reqwest::Error, timeout: Duration) -> EmbedError {
        if e.is_timeout() {
            EmbedError::Slow {
                url: self.endpoint.clone(),
                millis: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            }
        } else {
            let mut detail = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                detail = format!("{detail}: {s}");
                src = s.source();
            }
            EmbedError::Down {
                url: self.endpoint.clone(),
                detail,
            }
        }
    }
}

/// The message of an OpenAI-style error body, else the body itself (shortened).
fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let m = v.pointer("/error/message").or_else(|| v.get("error"))?;
            m.as_str().map(str::to_string)
        });
    let msg = from_json.unwrap_or_else(|| body.trim().to_string());
    match msg.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &msg[..i]),
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_appends_embeddings_once() {
        let s = EmbedSettings::new("http://h:1/v1/", "m");
        assert_eq!(s.endpoint(), "http://h:1/v1/embeddings");
        let s = EmbedSettings::new("http://h:1/v1/embeddings", "m");
        assert_eq!(s.endpoint(), "http://h:1/v1/embeddings");
    }

    #[test]
    fn cache_key_separates_model_and_text() {
        assert_ne!(cache_key("ab", "c"), cache_key("a", "bc"));
        assert_eq!(cache_key("m", "t"), cache_key("m", "t"));
    }

    #[test]
    fn missing_key_variable_is_named() {
        let env = |_: &str| None;
        let err = EmbedSettings::new("http://h", "m")
            .with_key_from_env(Some("EMBED_KEY"), &env)
            .unwrap_err();
        assert!(err.to_string().contains("EMBED_KEY"), "{err}");
        let env = |k: &str| (k == "EMBED_KEY").then(|| "sk".to_string());
        let s = EmbedSettings::new("http://h", "m")
            .with_key_from_env(Some("EMBED_KEY"), &env)
            .unwrap();
        assert_eq!(s.api_key.as_deref(), Some("sk"));
    }

    #[test]
    fn replies_are_checked() {
        let c = EmbedClient::new(EmbedSettings::new("http://h/v1", "m")).unwrap();
        let ok = r#"{"data":[{"index":1,"embedding":[0,1]},{"index":0,"embedding":[1,0]}]}"#;
        assert_eq!(
            c.parse(ok, 2).unwrap(),
            vec![vec![1.0, 0.0], vec![0.0, 1.0]]
        );
        assert!(matches!(
            c.parse(ok, 3),
            Err(EmbedError::CountMismatch { .. })
        ));
        assert!(matches!(
            c.parse("<html>", 1),
            Err(EmbedError::BadJson { .. })
        ));
        let empty = r#"{"data":[{"index":0,"embedding":[]}]}"#;
        assert!(matches!(c.parse(empty, 1), Err(EmbedError::BadJson { .. })));
        let dup = r#"{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[1]}]}"#;
        assert!(matches!(c.parse(dup, 2), Err(EmbedError::BadJson { .. })));
    }

    #[test]
    fn dimensions_are_checked() {
        let c = EmbedClient::new(EmbedSettings::new("http://h/v1", "m")).unwrap();
        let v = vec![vec![0.0; 3], vec![0.0; 3]];
        assert_eq!(c.check_dims(&v, None, false).unwrap(), 3);
        assert!(matches!(
            c.check_dims(&v, Some(4), false),
            Err(EmbedError::WrongDimension {
                expected: 4,
                got: 3,
                ..
            })
        ));
        assert!(matches!(
            c.check_dims(&v, Some(4), true),
            Err(EmbedError::DimensionChanged {
                before: 4,
                now: 3,
                ..
            })
        ));
        let mixed = vec![vec![0.0; 3], vec![0.0; 2]];
        assert!(matches!(
            c.check_dims(&mixed, None, false),
            Err(EmbedError::DimensionChanged { .. })
        ));
    }
}
