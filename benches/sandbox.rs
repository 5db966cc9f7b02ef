//! Cost of the sandbox: `true` run plainly vs through `pincer __sandbox`.

use std::path::Path;
use std::time::Duration;

use divan::Bencher;
use pincer::sandbox::{
    Availability, SandboxPolicy, ShellOutcome, availability, run_shell, shell_command,
};
use tokio_util::sync::CancellationToken;

fn main() {
    divan::main();
}

fn run_true(bencher: Bencher, sandboxed: bool) {
    if sandboxed && let Availability::Unavailable { reason } = availability() {
        eprintln!("skipping the sandboxed benchmark: {reason}");
        return;
    }
    let (Ok(runtime), Ok(workspace), Ok(temp)) = (
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        tempfile::tempdir(),
        tempfile::tempdir(),
    ) else {
        eprintln!("skipping: cannot set up a runtime or temp dirs");
        return;
    };
    let policy = SandboxPolicy {
        workspace: workspace.path().to_path_buf(),
        temp_dir: temp.path().to_path_buf(),
        allow_network: false,
        env: Default::default(),
    };
    let exe = Path::new(env!("CARGO_BIN_EXE_pincer"));
    bencher.bench_local(|| {
        let cmd = shell_command(exe, &policy, &policy.workspace, "true", sandboxed);
        let result = runtime.block_on(run_shell(
            cmd,
            Duration::from_secs(10),
            64 * 1024,
            CancellationToken::new(),
        ));
        assert!(
            result.outcome == ShellOutcome::Exited && result.exit_code == Some(0),
            "`true` failed: {result:?}"
        );
    });
}

#[divan::bench(sample_count = 200)]
fn true_unsandboxed(bencher: Bencher) {
    run_true(bencher, false);
}

#[divan::bench(sample_count = 200)]
fn true_sandboxed(bencher: Bencher) {
    run_true(bencher, true);
}
