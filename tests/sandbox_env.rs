//! The shell does not inherit pincer's provider keys or secret-looking
//! variables unless `[tools.shell] pass_env` names them. One test only: it
//! sets variables in this process before any other thread starts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::Duration;

use pincer::config::Config;
use pincer::sandbox::{SandboxPolicy, run_shell, shell_command};
use pincer::tools::shell::env_filter;
use tokio_util::sync::CancellationToken;

const EXE: &str = env!("CARGO_BIN_EXE_pincer");

#[test]
fn secrets_do_not_reach_the_shell() {
    let vars = [
        ("MY_LLM_VAR", "canary-provider-key"),
        ("OPENAI_API_KEY", "canary-openai"),
        ("ANTHROPIC_API_KEY", "canary-anthropic"),
        ("DEPLOY_TOKEN", "canary-token"),
        ("AWS_SECRET_ACCESS_KEY", "canary-aws"),
        ("DB_PASSWORD", "canary-password"),
        ("NPM_TOKEN", "passed-on-purpose"),
        ("PINCER_HARMLESS", "visible"),
    ];
    for (name, value) in vars {
        // SAFETY: the only test in this binary; no other thread reads the
        // environment yet.
        unsafe { std::env::set_var(name, value) };
    }
    let config = Config::parse(
        "[providers.openai]\napi_key_env = \"MY_LLM_VAR\"\n\n[tools.shell]\npass_env = [\"NPM_TOKEN\"]\n",
        Path::new("config.toml"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = SandboxPolicy {
        workspace: dir.path().to_path_buf(),
        temp_dir: dir.path().to_path_buf(),
        allow_network: false,
        env: env_filter(&config),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for sandboxed in [false, true] {
        if sandboxed
            && !matches!(
                pincer::sandbox::availability(),
                pincer::sandbox::Availability::Available { .. }
            )
        {
            eprintln!("note: skipping the sandboxed half: Landlock is unavailable");
            continue;
        }
        let cmd = shell_command(Path::new(EXE), &policy, dir.path(), "env", sandboxed);
        let result = runtime.block_on(run_shell(
            cmd,
            Duration::from_secs(30),
            1024 * 1024,
            CancellationToken::new(),
        ));
        let env = result.output;
        assert!(!env.contains("canary"), "a secret leaked:\n{env}");
        assert!(env.contains("PINCER_HARMLESS=visible"), "{env}");
        assert!(env.contains("NPM_TOKEN=passed-on-purpose"), "{env}");
    }
}
