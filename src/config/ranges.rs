//! Every numeric value in `config.toml` has a range; a value outside it is an error at its
//! place in the file (never silently clamped). One table per config table, so an audit reads
//! the bounds in one place; `[limits]` and `[network]` are resolved here.

use std::fmt::Display;
use std::ops::RangeInclusive;

use toml::Spanned;

use super::{ConfigError, FileLimits, FileNetwork, Limits, NetworkConfig};

/// Where a bad value is reported: `at(offset, message, fix)`.
pub(super) type At<'a> = &'a dyn Fn(usize, String, &str) -> ConfigError;

/// `[limits]`
pub(super) const MAX_ROUNDS: RangeInclusive<u32> = 1..=1000;
pub(super) const MAX_TOOL_CALLS_PER_ROUND: RangeInclusive<u32> = 1..=256;
pub(super) const MAX_CONSECUTIVE_TOOL_ERRORS: RangeInclusive<u32> = 1..=100;
pub(super) const SHELL_TIMEOUT_SECS: RangeInclusive<u64> = 1..=86_400;
pub(super) const TOOL_OUTPUT_MAX_BYTES: RangeInclusive<usize> = 1024..=16 * 1024 * 1024;
/// `[network]`
pub(super) const CONNECT_TIMEOUT_MS: RangeInclusive<u64> = 100..=600_000;
pub(super) const STREAM_IDLE_TIMEOUT_MS: RangeInclusive<u64> = 1_000..=3_600_000;
pub(super) const MAX_RETRIES: RangeInclusive<u32> = 0..=10;
pub(super) const RETRY_DELAY_MS: RangeInclusive<u64> = 0..=600_000;
/// `[providers.NAME]`
pub(super) const MAX_TOKENS: RangeInclusive<u32> = 1..=1_000_000;
pub(super) const CONTEXT_WINDOW: RangeInclusive<u64> = 1024..=100_000_000;
/// `[skills]` (0: no skill catalog in the system prompt).
pub(super) const CATALOG_TOKENS: RangeInclusive<usize> = 0..=100_000;

/// `value` (from the file) if it lies in `range`, else a located error; `default` when absent.
pub(super) fn in_range<T: PartialOrd + Copy + Display>(
    value: Option<Spanned<T>>,
    default: T,
    key: &str,
    range: RangeInclusive<T>,
    at: At<'_>,
) -> Result<T, ConfigError> {
    let Some(v) = value else { return Ok(default) };
    if range.contains(v.get_ref()) {
        return Ok(v.into_inner());
    }
    Err(at(
        v.span().start,
        format!(
            "{key} = {} is out of range ({}–{})",
            v.get_ref(),
            range.start(),
            range.end()
        ),
        &format!(
            "use a value from {} to {}, or remove the key for the default ({default})",
            range.start(),
            range.end()
        ),
    ))
}

/// `[limits]`, each value checked against its range (see `ranges.rs`).
pub(super) fn resolve_limits(l: FileLimits, at: At<'_>) -> Result<Limits, ConfigError> {
    let d = Limits::default();
    Ok(Limits {
        max_rounds: in_range(l.max_rounds, d.max_rounds, "max_rounds", MAX_ROUNDS, at)?,
        max_tool_calls_per_round: in_range(
            l.max_tool_calls_per_round,
            d.max_tool_calls_per_round,
            "max_tool_calls_per_round",
            MAX_TOOL_CALLS_PER_ROUND,
            at,
        )?,
        max_consecutive_tool_errors: in_range(
            l.max_consecutive_tool_errors,
            d.max_consecutive_tool_errors,
            "max_consecutive_tool_errors",
            MAX_CONSECUTIVE_TOOL_ERRORS,
            at,
        )?,
        shell_timeout_secs: in_range(
            l.shell_timeout_secs,
            d.shell_timeout_secs,
            "shell_timeout_secs",
            SHELL_TIMEOUT_SECS,
            at,
        )?,
        tool_output_max_bytes: in_range(
            l.tool_output_max_bytes,
            d.tool_output_max_bytes,
            "tool_output_max_bytes",
            TOOL_OUTPUT_MAX_BYTES,
            at,
        )?,
    })
}

/// `[network]`, each value checked against its range; the base delay may not pass the maximum.
pub(super) fn resolve_network(n: FileNetwork, at: At<'_>) -> Result<NetworkConfig, ConfigError> {
    let d = NetworkConfig::default();
    let max_delay_offset = n.retry_max_delay_ms.as_ref().map(|v| v.span().start);
    let base_delay_offset = n.retry_base_delay_ms.as_ref().map(|v| v.span().start);
    let network = NetworkConfig {
        connect_timeout_ms: in_range(
            n.connect_timeout_ms,
            d.connect_timeout_ms,
            "connect_timeout_ms",
            CONNECT_TIMEOUT_MS,
            at,
        )?,
        stream_idle_timeout_ms: in_range(
            n.stream_idle_timeout_ms,
            d.stream_idle_timeout_ms,
            "stream_idle_timeout_ms",
            STREAM_IDLE_TIMEOUT_MS,
            at,
        )?,
        max_retries: in_range(n.max_retries, d.max_retries, "max_retries", MAX_RETRIES, at)?,
        retry_base_delay_ms: in_range(
            n.retry_base_delay_ms,
            d.retry_base_delay_ms,
            "retry_base_delay_ms",
            RETRY_DELAY_MS,
            at,
        )?,
        retry_max_delay_ms: in_range(
            n.retry_max_delay_ms,
            d.retry_max_delay_ms,
            "retry_max_delay_ms",
            RETRY_DELAY_MS,
            at,
        )?,
    };
    if network.retry_base_delay_ms > network.retry_max_delay_ms {
        return Err(at(
            max_delay_offset.or(base_delay_offset).unwrap_or(0),
            format!(
                "retry_max_delay_ms = {} is below retry_base_delay_ms = {}",
                network.retry_max_delay_ms, network.retry_base_delay_ms
            ),
            "make retry_max_delay_ms at least retry_base_delay_ms",
        ));
    }
    Ok(network)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::Config;

    /// Every numeric key, one value below and one above its range: a located error naming
    /// the key, never a clamped value.
    #[test]
    fn every_numeric_key_out_of_range_is_a_located_error() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("limits", "max_rounds", &["0", "1001"]),
            ("limits", "max_tool_calls_per_round", &["0", "257"]),
            ("limits", "max_consecutive_tool_errors", &["0", "101"]),
            ("limits", "shell_timeout_secs", &["0", "86401"]),
            ("limits", "tool_output_max_bytes", &["1023", "16777217"]),
            ("network", "connect_timeout_ms", &["99", "600001"]),
            ("network", "stream_idle_timeout_ms", &["999", "3600001"]),
            ("network", "max_retries", &["11"]),
            ("network", "retry_base_delay_ms", &["600001"]),
            ("network", "retry_max_delay_ms", &["600001"]),
            ("providers.openai", "max_tokens", &["0", "1000001"]),
            ("providers.openai", "context_window", &["1023", "100000001"]),
            ("skills", "catalog_tokens", &["100001"]),
            ("context", "compact_at", &["0.05", "0.99"]),
            ("context", "keep_turns", &["0"]),
        ];
        for (table, key, values) in cases {
            for value in *values {
                let text = format!("# a comment\n[{table}]\n{key} = {value}\n");
                let e = Config::parse(&text, Path::new("c.toml"))
                    .expect_err(&format!("[{table}] {key} = {value} must be refused"));
                assert_eq!(
                    (e.line, e.column),
                    (3, key.len() + 4),
                    "[{table}] {key} = {value}: {e}"
                );
                assert!(e.message.contains(key), "{e}");
                assert!(e.to_string().starts_with("c.toml:3:"), "{e}");
            }
        }
    }

    #[test]
    fn values_at_the_bounds_are_kept_as_written() {
        let text = "[limits]\nmax_rounds = 1000\ntool_output_max_bytes = 1024\n\
                    [network]\nmax_retries = 10\nretry_base_delay_ms = 0\n\
                    [skills]\ncatalog_tokens = 0\n";
        let c = Config::parse(text, Path::new("c.toml")).unwrap();
        assert_eq!(c.limits.max_rounds, 1000);
        assert_eq!(c.limits.tool_output_max_bytes, 1024);
        assert_eq!(c.network.max_retries, 10);
        assert_eq!(c.network.retry_base_delay_ms, 0);
        assert_eq!(c.skills.catalog_tokens, 0);
    }

    #[test]
    fn base_delay_over_max_delay_is_an_error() {
        let text = "[network]\nretry_base_delay_ms = 5000\nretry_max_delay_ms = 1000\n";
        let e = Config::parse(text, Path::new("c.toml")).unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        assert!(e.message.contains("retry_max_delay_ms"), "{e}");
    }

    #[test]
    fn wrong_types_are_located_errors() {
        for text in [
            "[limits]\nmax_rounds = -1\n",
            "[limits]\nmax_rounds = \"5\"\n",
            "[network]\nmax_retries = 1.5\n",
            "[skills]\ninclude_claude = 1\n",
        ] {
            let e = Config::parse(text, Path::new("c.toml")).unwrap_err();
            assert_eq!(e.line, 2, "{text}: {e}");
        }
    }
}
