//! Suggesting an embedding endpoint from what the local-server probe found (the probe runs off
//! the first frame's path, or when `pincer memory status` asks): a server that lists an
//! embedding model gets a ready `[memory.embeddings]` block; Ollama without one gets the
//! `ollama pull` to run. A suggestion only: nothing is configured or fetched by it.

use crate::protocol::Finding;
use crate::provider::probe;

/// Name fragments of embedding models as local servers list them.
const EMBEDDING_HINTS: &[&str] = &[
    "embed",
    "bge-",
    "bge_",
    "minilm",
    "e5-",
    "gte-",
    "nomic-bert",
    "arctic-embed",
];

/// The embedding model Ollama users are pointed at when they have none.
pub const OLLAMA_DEFAULT: &str = "nomic-embed-text";

/// Whether a listed model name looks like an embedding model.
pub fn is_embedding_model(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    EMBEDDING_HINTS.iter().any(|h| n.contains(h))
}

/// What to tell the user, if any local server could serve embeddings.
pub fn suggest(findings: &[Finding]) -> Option<String> {
    let local = || {
        findings.iter().filter_map(|f| {
            let profile = f.profile.as_deref()?;
            Some((f, profile, probe::local_base_url(profile)?))
        })
    };
    for (f, _, url) in local() {
        if let Some(model) = f.models.iter().find(|m| is_embedding_model(m)) {
            return Some(format!(
                "{} serves the embedding model {model}; for vector search add to config.toml:\n\
                 [memory.embeddings]\nurl = \"{url}\"\nmodel = \"{model}\"",
                f.label
            ));
        }
    }
    local().find(|(_, p, _)| *p == "ollama").map(|(f, _, url)| {
        format!(
            "{} runs but lists no embedding model; for vector search run `ollama pull \
             {OLLAMA_DEFAULT}` and add to config.toml:\n[memory.embeddings]\nurl = \"{url}\"\n\
             model = \"{OLLAMA_DEFAULT}\"",
            f.label
        )
    })
}

/// Probe the local servers now and suggest (for `pincer memory status`; never at start-up
/// before the first frame).
pub async fn probe_and_suggest() -> Option<String> {
    suggest(&probe::local_servers().await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(profile: &str, models: &[&str]) -> Finding {
        Finding {
            label: format!("{profile} on 127.0.0.1"),
            profile: Some(profile.into()),
            models: models.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn a_listed_embedding_model_becomes_a_config_block() {
        let s = suggest(&[
            finding("llamacpp", &["qwen2.5-7b"]),
            finding("lmstudio", &["text-embedding-nomic-embed-text-v1.5"]),
        ])
        .unwrap();
        assert!(s.contains("url = \"http://127.0.0.1:1234/v1\""), "{s}");
        assert!(
            s.contains("model = \"text-embedding-nomic-embed-text-v1.5\""),
            "{s}"
        );
        let block = s.split_once('\n').unwrap().1;
        assert!(block.parse::<toml::Table>().is_ok(), "valid TOML: {block}");
    }

    #[test]
    fn ollama_without_one_gets_the_pull_command() {
        let s = suggest(&[finding("ollama", &["llama3:8b"])]).unwrap();
        assert!(s.contains("ollama pull nomic-embed-text"), "{s}");
        assert!(s.contains("http://127.0.0.1:11434/v1"), "{s}");
    }

    #[test]
    fn nothing_local_nothing_suggested() {
        assert!(suggest(&[finding("llamacpp", &["qwen"])]).is_none());
        let key = Finding {
            label: "OPENAI_API_KEY is set".into(),
            profile: Some("openai".into()),
            models: vec![],
        };
        assert!(suggest(&[key]).is_none());
        assert!(is_embedding_model("mxbai-embed-large:latest"));
        assert!(is_embedding_model("BAAI/bge-small-en"));
        assert!(!is_embedding_model("llama3"));
    }
}
