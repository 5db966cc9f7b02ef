//! What the provider chain reports: breaker changes, failover, cache hits, tier escalation,
//! and which tier answered a turn (the status line).

use serde::{Deserialize, Serialize};

use super::{ErrorKind, ModelTier};

/// One change in how requests reach the providers, shown as one line and logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderHealth {
    pub turn_id: u64,
    /// The profile the change is about.
    pub profile: String,
    pub change: HealthChange,
    /// One line for the user.
    pub message: String,
    /// The reply streamed so far in this turn is dropped (the next profile or tier starts over).
    #[serde(default)]
    pub discard_partial: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HealthChange {
    /// `failures` transient failures in a row: requests skip the profile for `cool_down_secs`.
    BreakerOpened { failures: u32, cool_down_secs: u64 },
    /// The cool-down passed: the next requests are probes.
    BreakerHalfOpen,
    /// Enough probes succeeded: the profile is healthy again.
    BreakerClosed,
    /// A request skipped the profile because its breaker is open.
    BreakerSkipped { retry_in_secs: u64 },
    /// A transient failure (after retries) moved the request to the next profile.
    Failover { to: String, reason: ErrorKind },
    /// The reply came from the response cache; no request was sent.
    CacheHit { age_secs: u64 },
    /// The small tier failed; the turn goes on with the large tier (once a turn).
    Escalated { to: String, why: String },
}

/// Which tier (and profile) answered a model round under `[routing]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierAnswer {
    pub turn_id: u64,
    pub tier: ModelTier,
    pub profile: String,
    pub model: String,
    /// The turn escalated from the small tier before this answer.
    #[serde(default)]
    pub escalated: bool,
}

impl ModelTier {
    pub fn as_str(self) -> &'static str {
        match self {
            ModelTier::Small => "small",
            ModelTier::Large => "large",
        }
    }
}
