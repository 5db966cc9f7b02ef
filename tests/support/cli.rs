//! The real `pincer` binary as a test runs it: a test home (`PINCER_HOME`) and none of the
//! environment variables that would choose a provider behind the test's back.

use std::path::Path;
use std::process::Command;

/// Variables that pick a provider or its key; a test sets what it means to use.
const PROVIDER_ENV: [&str; 5] = [
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "PINCER_PROVIDER",
    "PINCER_MODEL",
    "PINCER_BASE_URL",
];

/// `pincer` with `home` as its home and the provider variables removed.
pub fn pincer_command(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pincer"));
    cmd.env("PINCER_HOME", home);
    for var in PROVIDER_ENV {
        cmd.env_remove(var);
    }
    cmd
}
