//! Bounded retry: base × 2^n with ±25 % jitter, honouring Retry-After, capped.

use std::time::{Duration, SystemTime};

use crate::config::NetworkConfig;

/// A server asking for a longer wait than this is not waited for: the user hears about it.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base: Duration,
    pub max: Duration,
}

impl From<&NetworkConfig> for RetryPolicy {
    fn from(n: &NetworkConfig) -> Self {
        RetryPolicy {
            max_retries: n.max_retries,
            base: Duration::from_millis(n.retry_base_delay_ms),
            max: Duration::from_millis(n.retry_max_delay_ms.max(n.retry_base_delay_ms)),
        }
    }
}

impl RetryPolicy {
    /// Delay before retry number `retry` (1-based), or `None` when retries are used up or the
    /// server's Retry-After is unreasonably long.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if retry == 0 || retry > self.max_retries {
            return None;
        }
        if let Some(wait) = retry_after {
            return (wait <= MAX_RETRY_AFTER).then_some(wait);
        }
        let exp = self
            .base
            .saturating_mul(1u32.checked_shl(retry - 1).unwrap_or(u32::MAX))
            .min(self.max);
        let jitter = 0.75 + fastrand::f64() * 0.5;
        Some(exp.mul_f64(jitter))
    }
}

/// `Retry-After: 7` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            base: Duration::from_millis(1000),
            max: Duration::from_millis(3000),
        }
    }

    #[test]
    fn exponential_with_jitter_and_cap() {
        let p = policy();
        for _ in 0..50 {
            let d1 = p.delay(1, None).unwrap();
            assert!(d1 >= Duration::from_millis(750) && d1 <= Duration::from_millis(1250));
            let d2 = p.delay(2, None).unwrap();
            assert!(d2 >= Duration::from_millis(1500) && d2 <= Duration::from_millis(2500));
            let d3 = p.delay(3, None).unwrap();
            assert!(d3 <= Duration::from_millis(3750), "capped before jitter");
        }
        assert_eq!(p.delay(4, None), None, "bounded");
    }

    #[test]
    fn retry_after_wins_unless_absurd() {
        let p = policy();
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(p.delay(1, Some(Duration::from_secs(3600))), None);
    }

    #[test]
    fn parses_both_forms() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
