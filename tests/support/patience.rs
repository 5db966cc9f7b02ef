//! Included (`#[path]`) by the support files that wait, so benches and examples that include
//! one of them alone get it too.

use std::time::Duration;

/// How long a test waits for something that should happen: the given duration scaled for a
/// loaded machine (`PINCER_TEST_PATIENCE`, default 4×). Every wait in the support helpers goes
/// through this, so a busy CI machine slows the tests down instead of failing them.
pub fn patience(d: Duration) -> Duration {
    let factor = std::env::var("PINCER_TEST_PATIENCE")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(4)
        .max(1);
    d * factor
}
