//! The one token estimator. Every count pincer makes before a provider answers — the prompt's
//! segments and their budgets, the context window's fill, compaction, usage of servers that
//! report none — comes from here.
//!
//! The estimate is bytes / 4, rounded up: close for English and code with the common BPE
//! tokenizers, high for plain ASCII words and low for CJK text. [`Calibration`] keeps a
//! running ratio of the prompt tokens providers report to the bytes that were sent, so the
//! same bytes can be counted the way the model in use counts them.

/// Estimated tokens for `bytes` bytes of text: `ceil(bytes / 4)`.
pub fn estimate_tokens(bytes: usize) -> u64 {
    (bytes as u64).div_ceil(BYTES_PER_TOKEN)
}

/// Estimated tokens of a text.
pub fn tokens_of(text: &str) -> u64 {
    estimate_tokens(text.len())
}

const BYTES_PER_TOKEN: u64 = 4;

/// Provider-reported prompt tokens per byte sent, averaged over the requests seen (a running
/// ratio of sums, so large requests weigh more). Without a report the plain estimate is used.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Calibration {
    reported_tokens: u64,
    sent_bytes: u64,
}

impl Calibration {
    /// One request: `sent_bytes` of prompt, `reported_tokens` as the provider counted them.
    /// Reports of zero and absurd ratios (below 1 token per 16 bytes or above 1 per byte) are
    /// ignored: they come from servers that count something else.
    pub fn observe(&mut self, sent_bytes: usize, reported_tokens: u64) {
        let bytes = sent_bytes as u64;
        if bytes < 64 || reported_tokens == 0 {
            return;
        }
        if reported_tokens * 16 < bytes || reported_tokens > bytes {
            return;
        }
        self.reported_tokens = self.reported_tokens.saturating_add(reported_tokens);
        self.sent_bytes = self.sent_bytes.saturating_add(bytes);
    }

    /// Bytes per token as observed (4.0 before any report).
    pub fn bytes_per_token(&self) -> f64 {
        if self.reported_tokens == 0 {
            BYTES_PER_TOKEN as f64
        } else {
            self.sent_bytes as f64 / self.reported_tokens as f64
        }
    }

    /// `bytes` counted with the observed ratio (the plain estimate before any report).
    pub fn tokens(&self, bytes: usize) -> u64 {
        if self.reported_tokens == 0 {
            return estimate_tokens(bytes);
        }
        let t = (bytes as u128 * self.reported_tokens as u128).div_ceil(self.sent_bytes as u128);
        u64::try_from(t).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_is_bytes_over_four_rounded_up() {
        assert_eq!(estimate_tokens(0), 0);
        assert_eq!(estimate_tokens(1), 1);
        assert_eq!(estimate_tokens(4), 1);
        assert_eq!(estimate_tokens(5), 2);
        assert_eq!(tokens_of("What is 2+2?"), 3);
    }

    #[test]
    fn calibration_starts_at_the_estimate_and_follows_reports() {
        let mut c = Calibration::default();
        assert_eq!(c.tokens(400), 100);
        c.observe(3_000, 1_000);
        assert_eq!(c.tokens(300), 100);
        c.observe(1_000, 500);
        // (1000 + 500) tokens over (3000 + 1000) bytes.
        assert_eq!(c.tokens(4_000), 1_500);
        assert!((c.bytes_per_token() - 4_000.0 / 1_500.0).abs() < 1e-9);
    }

    #[test]
    fn calibration_ignores_zero_tiny_and_absurd_reports() {
        let mut c = Calibration::default();
        c.observe(10, 5);
        c.observe(1_000, 0);
        c.observe(1_000, 2);
        c.observe(1_000, 5_000);
        assert_eq!(c, Calibration::default());
    }
}
