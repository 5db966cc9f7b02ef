//! Limits that keep a flood from hurting the service: token buckets refilled lazily from the
//! time of each request (no timer runs), and the largest request body.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use super::error::ApiError;

/// The largest request body: a message bigger than this gets 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How fast requests may come.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    /// Messages sent to sessions: burst, then this many per minute.
    pub message_burst: u32,
    pub messages_per_minute: u32,
    /// Every authenticated API call: burst, then this many per minute.
    pub request_burst: u32,
    pub requests_per_minute: u32,
}

impl Default for Rates {
    fn default() -> Rates {
        Rates {
            message_burst: 10,
            messages_per_minute: 30,
            request_burst: 200,
            requests_per_minute: 3_000,
        }
    }
}

/// A bucket of `capacity` tokens refilled at `per_second`, refilled on each `take` from the
/// time since the last one.
pub struct Bucket {
    capacity: f64,
    per_second: f64,
    state: Mutex<(f64, Instant)>,
}

impl Bucket {
    pub fn new(capacity: u32, per_second: f64) -> Bucket {
        let capacity = f64::from(capacity.max(1));
        Bucket {
            capacity,
            per_second: per_second.max(f64::MIN_POSITIVE),
            state: Mutex::new((capacity, Instant::now())),
        }
    }

    /// Take one token at `now`, or how long until one is there.
    pub fn take_at(&self, now: Instant) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, last) = *state;
        let elapsed = now.saturating_duration_since(last).as_secs_f64();
        let tokens = (tokens + elapsed * self.per_second).min(self.capacity);
        let now = now.max(last);
        if tokens >= 1.0 {
            *state = (tokens - 1.0, now);
            Ok(())
        } else {
            *state = (tokens, now);
            Err(Duration::from_secs_f64((1.0 - tokens) / self.per_second))
        }
    }

    /// Take one token now, or a 429 that says when to try again.
    pub fn take(&self, what: &str) -> Result<(), ApiError> {
        self.take_at(Instant::now()).map_err(|wait| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many {what}: try again in {:.1} s",
                    wait.as_secs_f64().max(0.1)
                ),
            )
        })
    }
}

/// The service's buckets.
pub struct Limits {
    pub messages: Bucket,
    pub requests: Bucket,
}

impl Limits {
    pub fn new(rates: Rates) -> Limits {
        Limits {
            messages: Bucket::new(
                rates.message_burst,
                f64::from(rates.messages_per_minute) / 60.0,
            ),
            requests: Bucket::new(
                rates.request_burst,
                f64::from(rates.requests_per_minute) / 60.0,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_with_time() {
        let b = Bucket::new(2, 1.0);
        let t0 = Instant::now();
        assert!(b.take_at(t0).is_ok());
        assert!(b.take_at(t0).is_ok());
        let wait = b.take_at(t0).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        assert!(b.take_at(t0 + Duration::from_millis(1000)).is_ok());
        assert!(b.take_at(t0 + Duration::from_millis(1000)).is_err());
        // A long pause refills only up to the capacity.
        let later = t0 + Duration::from_secs(3600);
        assert!(b.take_at(later).is_ok());
        assert!(b.take_at(later).is_ok());
        assert!(b.take_at(later).is_err());
    }

    #[test]
    fn an_earlier_clock_reading_does_not_refill() {
        let b = Bucket::new(1, 1.0);
        let t0 = Instant::now() + Duration::from_secs(10);
        assert!(b.take_at(t0).is_ok());
        assert!(b.take_at(t0 - Duration::from_secs(5)).is_err());
    }
}
