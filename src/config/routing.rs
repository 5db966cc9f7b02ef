//! `[routing]` (which profile answers each model tier), `[breaker]` (when a profile is skipped
//! after repeated transient failures), `[cache]` (the opt-in response cache) and the
//! `failover = [...]` list of each `[providers.NAME]`.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use serde::Deserialize;
use toml::Spanned;

use super::ranges::{At, in_range};
use super::{ConfigError, Profile};

const BREAKER_FAILURES: RangeInclusive<u32> = 1..=100;
const BREAKER_COOL_DOWN_SECS: RangeInclusive<u64> = 1..=86_400;
const BREAKER_PROBES: RangeInclusive<u32> = 1..=100;
const CACHE_MAX_ENTRIES: RangeInclusive<usize> = 1..=10_000;
const CACHE_MAX_AGE_SECS: RangeInclusive<u64> = 1..=30 * 86_400;

/// Everything the provider chain is configured with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainConfig {
    pub routing: RoutingConfig,
    /// Profile → the profiles tried, in order, after a transient failure.
    pub failover: BTreeMap<String, Vec<String>>,
    pub breaker: BreakerConfig,
    pub cache: CacheConfig,
}

/// `[routing]`: profile names per tier; `None`: that tier uses the current profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoutingConfig {
    pub small: Option<String>,
    pub large: Option<String>,
}

impl RoutingConfig {
    /// Routing is on when at least one tier names a profile.
    pub fn enabled(&self) -> bool {
        self.small.is_some() || self.large.is_some()
    }
}

/// `[breaker]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Transient failures in a row (each attempt counts) that open the breaker.
    pub failures: u32,
    /// How long an open breaker skips the profile before probing it again.
    pub cool_down_secs: u64,
    /// Successful probes that close it again.
    pub probes: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        // 5 = the first attempt + the default 4 retries: one failing call opens it.
        BreakerConfig {
            failures: 5,
            cool_down_secs: 30,
            probes: 1,
        }
    }
}

/// `[cache]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// Keep replies to requests without tools and answer repeats from the cache.
    pub responses: bool,
    pub max_entries: usize,
    pub max_age_secs: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            responses: false,
            max_entries: 200,
            max_age_secs: 86_400,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileRouting {
    small: Option<Spanned<String>>,
    large: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileBreaker {
    failures: Option<Spanned<u32>>,
    cool_down_secs: Option<Spanned<u64>>,
    probes: Option<Spanned<u32>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileCache {
    responses: Option<bool>,
    max_entries: Option<Spanned<usize>>,
    max_age_secs: Option<Spanned<u64>>,
}

/// The file's chain tables, gathered while the rest of the config is parsed.
#[derive(Default)]
pub(super) struct FileChain {
    pub routing: FileRouting,
    pub breaker: FileBreaker,
    pub cache: FileCache,
    /// `failover` of each `[providers.NAME]` that has one.
    pub failover: Vec<(String, Vec<Spanned<String>>)>,
}

impl FileChain {
    pub(super) fn resolve(
        self,
        profiles: &BTreeMap<String, Profile>,
        at: At<'_>,
    ) -> Result<ChainConfig, ConfigError> {
        let known = |name: Spanned<String>, key: &str| -> Result<String, ConfigError> {
            if profiles.contains_key(name.get_ref()) {
                return Ok(name.into_inner());
            }
            Err(at(
                name.span().start,
                format!("{key} names `{}`, which is not a profile", name.get_ref()),
                &format!(
                    "use one of: {} — or add a [providers.{}] table",
                    profiles.keys().cloned().collect::<Vec<_>>().join(", "),
                    name.get_ref()
                ),
            ))
        };
        let routing = RoutingConfig {
            small: self
                .routing
                .small
                .map(|n| known(n, "[routing] small"))
                .transpose()?,
            large: self
                .routing
                .large
                .map(|n| known(n, "[routing] large"))
                .transpose()?,
        };
        let mut failover = BTreeMap::new();
        for (profile, list) in self.failover {
            let mut names = Vec::new();
            for name in list {
                if name.get_ref() == &profile {
                    return Err(at(
                        name.span().start,
                        format!("[providers.{profile}] failover names the profile itself"),
                        "list other profiles to try when this one fails",
                    ));
                }
                let name = known(name, &format!("[providers.{profile}] failover"))?;
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            failover.insert(profile, names);
        }
        let (b, c) = (BreakerConfig::default(), CacheConfig::default());
        let breaker = BreakerConfig {
            failures: in_range(
                self.breaker.failures,
                b.failures,
                "failures",
                BREAKER_FAILURES,
                at,
            )?,
            cool_down_secs: in_range(
                self.breaker.cool_down_secs,
                b.cool_down_secs,
                "cool_down_secs",
                BREAKER_COOL_DOWN_SECS,
                at,
            )?,
            probes: in_range(self.breaker.probes, b.probes, "probes", BREAKER_PROBES, at)?,
        };
        let cache = CacheConfig {
            responses: self.cache.responses.unwrap_or(c.responses),
            max_entries: in_range(
                self.cache.max_entries,
                c.max_entries,
                "max_entries",
                CACHE_MAX_ENTRIES,
                at,
            )?,
            max_age_secs: in_range(
                self.cache.max_age_secs,
                c.max_age_secs,
                "max_age_secs",
                CACHE_MAX_AGE_SECS,
                at,
            )?,
        };
        Ok(ChainConfig {
            routing,
            failover,
            breaker,
            cache,
        })
    }
}

impl ChainConfig {
    /// The `pincer config show` lines.
    pub fn describe(&self) -> String {
        let name = |key: &str, n: &Option<String>| match n.as_deref() {
            Some(n) => format!("{key} = {n:?}\n"),
            None => format!("# {key} = (the current profile)\n"),
        };
        let mut out = format!(
            "\n[routing]\n{}{}",
            name("small", &self.routing.small),
            name("large", &self.routing.large)
        );
        let b = &self.breaker;
        out.push_str(&format!(
            "\n[breaker]\nfailures = {}\ncool_down_secs = {}\nprobes = {}\n",
            b.failures, b.cool_down_secs, b.probes
        ));
        let c = &self.cache;
        out.push_str(&format!(
            "\n[cache]\nresponses = {}\nmax_entries = {}\nmax_age_secs = {}\n",
            c.responses, c.max_entries, c.max_age_secs
        ));
        for (profile, list) in &self.failover {
            out.push_str(&format!("# [providers.{profile}] failover = {list:?}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    fn parse(text: &str) -> Result<Config, crate::config::ConfigError> {
        Config::parse(text, Path::new("/c/config.toml"))
    }

    #[test]
    fn absent_means_off_and_defaults() {
        let c = parse("").unwrap();
        assert!(!c.chain.routing.enabled());
        assert!(c.chain.failover.is_empty());
        assert!(!c.chain.cache.responses);
        assert_eq!(c.chain.breaker.failures, 5);
    }

    #[test]
    fn tiers_failover_breaker_and_cache() {
        let c = parse(
            "[routing]\nsmall = \"ollama\"\nlarge = \"openai\"\n\
             [providers.openai]\nfailover = [\"anthropic\", \"anthropic\"]\n\
             [breaker]\nfailures = 2\ncool_down_secs = 5\nprobes = 3\n\
             [cache]\nresponses = true\nmax_entries = 7\nmax_age_secs = 60\n",
        )
        .unwrap();
        assert_eq!(c.chain.routing.small.as_deref(), Some("ollama"));
        assert_eq!(c.chain.routing.large.as_deref(), Some("openai"));
        assert_eq!(c.chain.failover["openai"], vec!["anthropic".to_string()]);
        assert_eq!(
            (
                c.chain.breaker.failures,
                c.chain.breaker.cool_down_secs,
                c.chain.breaker.probes
            ),
            (2, 5, 3)
        );
        assert!(c.chain.cache.responses);
        assert_eq!(
            (c.chain.cache.max_entries, c.chain.cache.max_age_secs),
            (7, 60)
        );
        assert!(
            c.describe(Path::new("/c"))
                .contains("[routing]\nsmall = \"ollama\"")
        );
    }

    #[test]
    fn unknown_profiles_are_located() {
        let e = parse("[routing]\nlarge = \"nope\"\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 9), "{e}");
        assert!(
            e.message.contains("nope") && e.fix.contains("openai"),
            "{e}"
        );
        let e = parse("[providers.openai]\nfailover = [\"ghost\"]\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(
            e.message.contains("failover") && e.message.contains("ghost"),
            "{e}"
        );
        let e = parse("[providers.openai]\nfailover = [\"openai\"]\n").unwrap_err();
        assert!(e.message.contains("itself"), "{e}");
    }

    #[test]
    fn ranges_are_checked() {
        let e = parse("[breaker]\nfailures = 0\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("[cache]\nmax_entries = 0\n").unwrap_err();
        assert!(e.message.contains("max_entries"), "{e}");
        assert!(parse("[cache]\nbogus = 1\n").is_err());
    }
}
