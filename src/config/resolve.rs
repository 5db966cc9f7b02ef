//! Pick the provider to talk to: CLI flags over environment over config file.

use crate::protocol::{ProviderInfo, ProviderKind};

use super::{Config, Profile};

/// Values from CLI flags (`--provider`, `--model`, `--base-url`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub provider: Option<String>,
    pub model: Option<String>,
    pub base_url: Option<String>,
}

/// A provider ready to call. The key itself never leaves the runtime.
#[derive(Clone, PartialEq, Eq)]
pub struct ResolvedProvider {
    pub profile: String,
    pub kind: ProviderKind,
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub api_key_env: Option<String>,
    pub max_tokens: u32,
}

impl std::fmt::Debug for ResolvedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedProvider")
            .field("profile", &self.profile)
            .field("kind", &self.kind)
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("api_key_env", &self.api_key_env)
            .finish()
    }
}

impl ResolvedProvider {
    pub fn info(&self) -> ProviderInfo {
        ProviderInfo {
            profile: self.profile.clone(),
            kind: self.kind,
            model: self.model.clone(),
            base_url: self.base_url.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error(
        "unknown provider `{name}` (from {origin}); known profiles: {known}. Add a [providers.{name}] table to {config_path} or pick a known one"
    )]
    UnknownProfile {
        name: String,
        origin: String,
        known: String,
        config_path: String,
    },
    #[error(
        "provider `{profile}` needs an API key: set {env} in the environment (export {env}=...), or pick another provider with --provider"
    )]
    MissingKey { profile: String, env: String },
    #[error(
        "provider `{profile}` takes its key from secret `{name}`, but {reason}: store it with `pincer secrets set {name}`"
    )]
    Secret {
        profile: String,
        name: String,
        reason: String,
    },
    #[error(
        "no model provider configured: set OPENAI_API_KEY or ANTHROPIC_API_KEY, start a local server (Ollama, llama.cpp), or add a provider to {config_path}"
    )]
    NothingConfigured { config_path: String },
}

/// Choose and complete the provider profile.
///
/// Order: `--provider` > `PINCER_PROVIDER` > `default_provider` > `PINCER_BASE_URL` alone (an
/// OpenAI-compatible "custom" profile) > `OPENAI_API_KEY` > `ANTHROPIC_API_KEY`.
/// `--model` > `PINCER_MODEL` and `--base-url` > `PINCER_BASE_URL` then override fields.
pub fn resolve_provider(
    config: &Config,
    overrides: &Overrides,
    config_path: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ResolvedProvider, ResolveError> {
    let env_nonempty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let base_url_override = overrides
        .base_url
        .clone()
        .or_else(|| env_nonempty("PINCER_BASE_URL"));
    let model_override = overrides
        .model
        .clone()
        .or_else(|| env_nonempty("PINCER_MODEL"));

    let chosen: Option<(String, String)> = overrides
        .provider
        .clone()
        .map(|p| (p, "--provider".to_string()))
        .or_else(|| env_nonempty("PINCER_PROVIDER").map(|p| (p, "PINCER_PROVIDER".into())))
        .or_else(|| {
            config
                .default_provider
                .clone()
                .map(|p| (p, "default_provider".into()))
        });

    let (name, profile) = match chosen {
        Some((name, origin)) => match config.providers.get(&name) {
            Some(p) => (name, p.clone()),
            None => {
                return Err(ResolveError::UnknownProfile {
                    name,
                    origin,
                    known: config.profile_names().join(", "),
                    config_path: config_path.to_string(),
                });
            }
        },
        None if base_url_override.is_some() => (
            "custom".to_string(),
            Profile {
                kind: ProviderKind::Openai,
                base_url: String::new(),
                model: String::new(),
                api_key_env: Some("OPENAI_API_KEY".into()),
                max_tokens: 4096,
                context_window: None,
            },
        ),
        None => {
            let pick = ["openai", "anthropic"].into_iter().find(|n| {
                config
                    .providers
                    .get(*n)
                    .and_then(|p| p.api_key_env.as_deref())
                    .and_then(env_nonempty)
                    .is_some()
            });
            match pick.and_then(|n| config.providers.get(n).map(|p| (n.to_string(), p.clone()))) {
                Some(found) => found,
                None => {
                    return Err(ResolveError::NothingConfigured {
                        config_path: config_path.to_string(),
                    });
                }
            }
        }
    };

    let base_url = base_url_override
        .unwrap_or(profile.base_url)
        .trim_end_matches('/')
        .to_string();
    let api_key = match profile.api_key_env.as_deref() {
        Some(reference) if reference.starts_with(crate::secrets::REFERENCE_PREFIX) => {
            Some(secret_key(&name, reference, config_path)?)
        }
        Some(var) => env_nonempty(var),
        None => None,
    };
    if let Some(key) = &api_key {
        // The key pincer uses is redacted wherever it might appear.
        crate::redact::add_exact(key);
    }
    if api_key.is_none()
        && !is_local_url(&base_url)
        && let Some(var) = &profile.api_key_env
    {
        return Err(ResolveError::MissingKey {
            profile: name,
            env: var.clone(),
        });
    }
    Ok(ResolvedProvider {
        profile: name,
        kind: profile.kind,
        base_url,
        model: model_override.unwrap_or(profile.model),
        api_key,
        api_key_env: profile.api_key_env,
        max_tokens: profile.max_tokens,
    })
}

/// The key behind `secret:NAME`, from the secrets store beside the config file.
fn secret_key(profile: &str, reference: &str, config_path: &str) -> Result<String, ResolveError> {
    let name = reference
        .strip_prefix(crate::secrets::REFERENCE_PREFIX)
        .unwrap_or(reference);
    let dir = std::path::Path::new(config_path)
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let fail = |reason: String| ResolveError::Secret {
        profile: profile.to_string(),
        name: name.to_string(),
        reason,
    };
    match crate::secrets::SecretStore::in_dir(dir).get(name) {
        Ok(Some(key)) => Ok(key),
        Ok(None) => Err(fail("it is not in the secrets store".into())),
        Err(e) => Err(fail(e.to_string())),
    }
}

/// True for loopback and private-network hosts, where servers usually need no key.
pub fn is_local_url(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    if host == "localhost" || host == "::1" || host.ends_with(".local") {
        return true;
    }
    match host.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => ip.is_loopback() || ip.is_private() || ip.is_unspecified(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn resolve(
        config: &Config,
        o: &Overrides,
        env: &[(&str, &str)],
    ) -> Result<ResolvedProvider, ResolveError> {
        resolve_provider(config, o, "/c/config.toml", &env_of(env))
    }

    #[test]
    fn nothing_configured() {
        let e = resolve(&Config::default(), &Overrides::default(), &[]).unwrap_err();
        assert!(matches!(e, ResolveError::NothingConfigured { .. }));
        assert!(e.to_string().contains("OPENAI_API_KEY"));
    }

    #[test]
    fn key_in_env_picks_provider() {
        let r = resolve(
            &Config::default(),
            &Overrides::default(),
            &[("ANTHROPIC_API_KEY", "k")],
        )
        .unwrap();
        assert_eq!(r.profile, "anthropic");
        assert_eq!(r.api_key.as_deref(), Some("k"));
        assert!(
            !format!("{r:?}").contains("\"k\""),
            "key is redacted in Debug"
        );
    }

    #[test]
    fn flags_beat_env_beat_config() {
        let c = Config {
            default_provider: Some("llamacpp".into()),
            ..Config::default()
        };
        let env = [("PINCER_PROVIDER", "ollama"), ("PINCER_MODEL", "env-model")];
        assert_eq!(
            resolve(&c, &Overrides::default(), &[]).unwrap().profile,
            "llamacpp"
        );
        let r = resolve(&c, &Overrides::default(), &env).unwrap();
        assert_eq!(
            (r.profile.as_str(), r.model.as_str()),
            ("ollama", "env-model")
        );
        let o = Overrides {
            provider: Some("lmstudio".into()),
            model: Some("flag-model".into()),
            base_url: Some("http://127.0.0.1:9999/v1/".into()),
        };
        let r = resolve(&c, &o, &env).unwrap();
        assert_eq!(r.profile, "lmstudio");
        assert_eq!(r.model, "flag-model");
        assert_eq!(r.base_url, "http://127.0.0.1:9999/v1");
    }

    #[test]
    fn unknown_profile_names_origin_and_known() {
        let o = Overrides {
            provider: Some("gemini".into()),
            ..Default::default()
        };
        let e = resolve(&Config::default(), &o, &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--provider") && e.contains("ollama") && e.contains("[providers.gemini]")
        );
    }

    #[test]
    fn remote_profile_without_key_names_variable() {
        let o = Overrides {
            provider: Some("openai".into()),
            ..Default::default()
        };
        let e = resolve(&Config::default(), &o, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("OPENAI_API_KEY"), "{e}");
        // the same profile pointed at a local server needs no key
        let o = Overrides {
            base_url: Some("http://127.0.0.1:8089/v1".into()),
            ..o
        };
        assert!(resolve(&Config::default(), &o, &[]).is_ok());
    }

    #[test]
    fn base_url_alone_makes_custom_profile() {
        let r = resolve(
            &Config::default(),
            &Overrides::default(),
            &[("PINCER_BASE_URL", "http://10.0.0.5:8000/v1")],
        )
        .unwrap();
        assert_eq!(r.profile, "custom");
        assert_eq!(r.kind, ProviderKind::Openai);
    }

    #[test]
    fn local_urls() {
        for u in [
            "http://127.0.0.1:8080/v1",
            "http://localhost:11434",
            "http://[::1]:1/x",
            "http://192.168.1.2",
        ] {
            assert!(is_local_url(u), "{u}");
        }
        for u in ["https://api.openai.com/v1", "https://8.8.8.8/"] {
            assert!(!is_local_url(u), "{u}");
        }
    }
}
