//! `[memory]`: long-term memory (files, index, tools) and `[memory.embeddings]` for the vector
//! leg of search (filled by the embeddings client).

use std::ops::RangeInclusive;

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use super::ranges::{At, in_range};

const HALF_LIFE_DAYS: RangeInclusive<u32> = 1..=36_500;
const CORE_MAX_LINES: RangeInclusive<usize> = 1..=10_000;
const AUTO_RECALL_TOKENS: RangeInclusive<usize> = 0..=100_000;
const DIMENSIONS: RangeInclusive<usize> = 1..=65_536;
const BATCH: RangeInclusive<usize> = 1..=2_048;

#[derive(Debug, Clone, PartialEq)]
pub struct MemoryConfig {
    /// Memory tools offered, the index kept, core memory in the prompt.
    pub enabled: bool,
    /// Recency decay of search scores (core and pinned entries are exempt).
    pub half_life_days: u32,
    /// Lines the core file `MEMORY.md` may hold; a write beyond is refused.
    pub core_max_lines: usize,
    /// Add the top hits for the user's message to the prompt.
    pub auto_recall: bool,
    pub auto_recall_tokens: usize,
    /// A post-turn pass proposes durable facts.
    pub extract: bool,
    /// `[memory.embeddings]`: the vector leg; `None`: text search only.
    pub embeddings: Option<EmbeddingsConfig>,
}

/// `[memory.embeddings]`: an OpenAI-compatible `/v1/embeddings` endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingsConfig {
    pub url: String,
    pub model: String,
    /// Environment variable holding the API key (none for local servers).
    pub api_key_env: Option<String>,
    /// Requested dimensions (models that support shortening).
    pub dimensions: Option<usize>,
    /// Texts per request.
    pub batch: usize,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig {
            enabled: true,
            half_life_days: 30,
            core_max_lines: 200,
            auto_recall: false,
            auto_recall_tokens: 800,
            extract: false,
            embeddings: None,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileMemory {
    enabled: Option<bool>,
    half_life_days: Option<Spanned<u32>>,
    core_max_lines: Option<Spanned<usize>>,
    auto_recall: Option<bool>,
    auto_recall_tokens: Option<Spanned<usize>>,
    extract: Option<bool>,
    embeddings: Option<Spanned<FileEmbeddings>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEmbeddings {
    url: Option<String>,
    model: Option<String>,
    api_key_env: Option<String>,
    dimensions: Option<Spanned<usize>>,
    batch: Option<Spanned<usize>>,
}

impl FileMemory {
    pub(super) fn resolve(self, at: At<'_>) -> Result<MemoryConfig, ConfigError> {
        let d = MemoryConfig::default();
        let embeddings = match self.embeddings {
            None => None,
            Some(e) => Some(resolve_embeddings(e, at)?),
        };
        Ok(MemoryConfig {
            enabled: self.enabled.unwrap_or(d.enabled),
            half_life_days: in_range(
                self.half_life_days,
                d.half_life_days,
                "half_life_days",
                HALF_LIFE_DAYS,
                at,
            )?,
            core_max_lines: in_range(
                self.core_max_lines,
                d.core_max_lines,
                "core_max_lines",
                CORE_MAX_LINES,
                at,
            )?,
            auto_recall: self.auto_recall.unwrap_or(d.auto_recall),
            auto_recall_tokens: in_range(
                self.auto_recall_tokens,
                d.auto_recall_tokens,
                "auto_recall_tokens",
                AUTO_RECALL_TOKENS,
                at,
            )?,
            extract: self.extract.unwrap_or(d.extract),
            embeddings,
        })
    }
}

fn resolve_embeddings(
    e: Spanned<FileEmbeddings>,
    at: At<'_>,
) -> Result<EmbeddingsConfig, ConfigError> {
    let start = e.span().start;
    let e = e.into_inner();
    let (Some(url), Some(model)) = (e.url, e.model) else {
        return Err(at(
            start,
            "[memory.embeddings] needs both url and model".into(),
            "add url = \"http://127.0.0.1:11434/v1\" and model = \"nomic-embed-text\" (or remove the table for text search only)",
        ));
    };
    let dimensions = match e.dimensions {
        None => None,
        Some(v) => Some(in_range(Some(v), 0, "dimensions", DIMENSIONS, at)?),
    };
    Ok(EmbeddingsConfig {
        url,
        model,
        api_key_env: e.api_key_env,
        dimensions,
        batch: in_range(e.batch, 64, "batch", BATCH, at)?,
    })
}
