//! The mock model server's `/v1/embeddings`: deterministic vectors from a hashed bag of words
//! (plus character trigrams at a lower weight), normalized, so texts that share words are close
//! and unrelated texts are nearly orthogonal. Switches make it misbehave: an HTTP status, a
//! closed connection, a slow answer, the wrong dimension, one vector too few, a body that is not
//! JSON. Also used in-process by the memory benchmark as its stand-in embedding model.

use std::time::Duration;

/// Dimensions of the mock's vectors unless a mode says otherwise.
pub const MOCK_DIMS: usize = 64;

/// How the next `/v1/embeddings` request is answered.
#[derive(Clone, Debug, PartialEq)]
pub enum EmbeddingsMode {
    /// Vectors of `dims` dimensions.
    Ok { dims: usize },
    /// Wait, then answer with vectors of `dims`.
    Slow { delay: Duration, dims: usize },
    /// An error status with an OpenAI-style error body.
    Status(u16),
    /// Close the connection without answering.
    Close,
    /// One vector fewer than texts sent.
    DropOne { dims: usize },
    /// A 200 whose body is not JSON.
    BadJson,
}

impl Default for EmbeddingsMode {
    fn default() -> Self {
        EmbeddingsMode::Ok { dims: MOCK_DIMS }
    }
}

const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "is", "are", "was", "were",
    "be", "i", "my", "me", "you", "your", "we", "our", "it", "its", "that", "this", "what",
    "which", "do", "did", "does", "with", "about", "as", "by", "so", "have", "has", "had", "s",
    "where", "when", "who", "how", "why", "can",
];

fn fnv1a(bytes: &[u8], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Lowercased words without stopwords, a trailing plural `s` dropped.
pub fn terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.chars().count() > 3 && !stem.ends_with('s') => stem.to_string(),
            _ => w,
        })
        .collect()
}

/// The deterministic embedding of `text` at `dims` dimensions (length 1, or all zeros when the
/// text has no terms).
pub fn hashed_embedding(text: &str, dims: usize) -> Vec<f32> {
    let mut v = vec![0f32; dims.max(1)];
    let mut add = |feature: &[u8], weight: f32| {
        let h = fnv1a(feature, 0);
        let slot = (h % v.len() as u64) as usize;
        let sign = if (h >> 63) == 0 { 1.0 } else { -1.0 };
        v[slot] += sign * weight;
    };
    for term in terms(text) {
        add(term.as_bytes(), 1.0);
        let padded: Vec<char> = format!("#{term}#").chars().collect();
        for tri in padded.windows(3) {
            add(tri.iter().collect::<String>().as_bytes(), 0.25);
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// The texts of an embeddings request body (`input`: a string or an array of strings).
pub fn request_inputs(body: &[u8]) -> Option<Vec<String>> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    match v.get("input")? {
        serde_json::Value::String(s) => Some(vec![s.clone()]),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// The OpenAI-shaped reply body for `texts` at `dims` dimensions.
pub fn embeddings_body(texts: &[String], dims: usize) -> String {
    let data: Vec<serde_json::Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            serde_json::json!({
                "object": "embedding",
                "index": i,
                "embedding": hashed_embedding(t, dims),
            })
        })
        .collect();
    serde_json::json!({
        "object": "list",
        "data": data,
        "model": "mock-embed",
        "usage": {"prompt_tokens": 0, "total_tokens": 0},
    })
    .to_string()
}

/// What to send for a request under `mode`: `None` closes the connection; otherwise the status,
/// body and the delay before answering.
pub fn answer(mode: &EmbeddingsMode, body: &[u8]) -> Option<(u16, String, Duration)> {
    let Some(texts) = request_inputs(body) else {
        let msg = r#"{"error":{"message":"input must be a string or an array of strings","type":"invalid_request_error"}}"#;
        return Some((400, msg.to_string(), Duration::ZERO));
    };
    match mode {
        EmbeddingsMode::Ok { dims } => Some((200, embeddings_body(&texts, *dims), Duration::ZERO)),
        EmbeddingsMode::Slow { delay, dims } => Some((200, embeddings_body(&texts, *dims), *delay)),
        EmbeddingsMode::Status(status) => Some((
            *status,
            format!(
                r#"{{"error":{{"message":"mock embeddings status {status}","type":"server_error"}}}}"#
            ),
            Duration::ZERO,
        )),
        EmbeddingsMode::Close => None,
        EmbeddingsMode::DropOne { dims } => {
            let fewer = &texts[..texts.len().saturating_sub(1)];
            Some((200, embeddings_body(fewer, *dims), Duration::ZERO))
        }
        EmbeddingsMode::BadJson => Some((200, "<html>not json</html>".into(), Duration::ZERO)),
    }
}
