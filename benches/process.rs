//! The binary cargo built for this profile as a whole process, in a pseudo-terminal
//! (120×40), with a provider configured (no network at start-up):
//!
//! - time to first frame: spawn → the status line is on screen (median of 15 runs), without
//!   MCP servers and with three `[mcp_servers.*]` fixtures (two quick, one that waits 5 s
//!   before its handshake, like a slow `npx`), runs alternating so load hits both alike;
//! - resident memory shortly after start (VmRSS, all threads);
//! - CPU ticks (utime+stime of pincer's own pid: not its children, the MCP servers) and
//!   context switches while idle, without servers and with the three connected.
//!
//! The MCP fixture is this profile's `examples/mcp_fixture` (or `PINCER_MCP_FIXTURE`):
//! `cargo build --release --example mcp_fixture && cargo bench --bench process`.
//! `PINCER_BENCH_IDLE_SECS` (default 30) sets the idle window; `PINCER_BENCH_BIN` measures
//! another build of the same source (`target/release/pincer`, what `cargo install` builds;
//! the bench profile itself skips LTO). `PINCER_BENCH_BASELINE=/path/to/older/pincer` first
//! compares the first frame of that build with this one (32 runs each, in pairs, no MCP
//! servers: an older build may not know them): "unchanged or better" measured on one machine
//! with one harness, not against a figure from another.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
mod support {
    #[path = "../../tests/support/events.rs"]
    pub mod events;
    #[path = "../../tests/support/mcp.rs"]
    pub mod mcp;
    pub mod proc;
    #[path = "../../tests/support/pty.rs"]
    pub mod pty;
}

use std::time::{Duration, Instant};

use support::mcp::fixture_exe;
use support::proc::{children, context_switches, cpu_ticks, status_field};
use support::pty::{PtyApp, write_mock_config};

const STATUS_LINE: &str = "mock · mock-model";
const RUNS: usize = 15;
/// The log level a user runs with (the test harness asks for `debug`).
const USER_LOG: &[(&str, &str)] = &[("PINCER_LOG", "info")];

/// A home whose config has the mock provider and `extra` (MCP servers or nothing).
fn home(extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_mock_config(dir.path(), "http://127.0.0.1:9", extra);
    dir
}

/// Three fixture servers: `quick1`, `quick2`, and `slow`, which answers its handshake after 5 s.
fn three_servers() -> String {
    let exe = format!("{:?}", fixture_exe().display().to_string());
    format!(
        "[mcp_servers.quick1]\ncommand = {exe}\n\n\
         [mcp_servers.quick2]\ncommand = {exe}\n\n\
         [mcp_servers.slow]\ncommand = {exe}\nargs = [\"--start-delay\", \"5\"]\n"
    )
}

/// Spawn → status line on screen. The process is stopped with `/quit` (so it stops its MCP
/// servers as a user's would) after the measurement.
fn first_frame(extra: &str) -> Duration {
    let exe =
        std::env::var_os("PINCER_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_pincer").into());
    first_frame_of(&exe, extra)
}

fn first_frame_of(exe: &std::ffi::OsStr, extra: &str) -> Duration {
    let dir = home(extra);
    let start = Instant::now();
    let mut app = PtyApp::spawn_exe(exe, &[], dir.path(), USER_LOG, (40, 120));
    app.wait_until_every(
        "status line",
        Duration::from_secs(10),
        Duration::from_micros(200),
        |s| s.contains(STATUS_LINE),
    );
    let first = start.elapsed();
    app.type_text("/quit\r");
    if app.wait_exit(Duration::from_secs(30)).is_none() {
        eprintln!("pincer did not exit on /quit; killed");
    }
    first
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// "median M ms (min A, max B)" of `runs`, sorted in place.
fn summary(runs: &mut [Duration]) -> String {
    runs.sort();
    format!(
        "median {:.1} ms (min {:.1}, max {:.1})",
        ms(runs[runs.len() / 2]),
        ms(runs[0]),
        ms(runs[runs.len() - 1])
    )
}

/// Resident memory, then CPU ticks and context switches of pincer's own pid over the idle
/// window, once the screen shows `ready`.
fn idle(label: &str, extra: &str, ready: &str, idle_secs: u64) {
    let dir = home(extra);
    let mut app = PtyApp::spawn(&[], dir.path(), USER_LOG, 40, 120);
    app.wait_until(ready, Duration::from_secs(30), |s| s.contains(ready));
    let pid = app.pid().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let mib = |key| status_field(pid, key) as f64 / 1024.0;
    // The file-backed part is mostly the executable's own pages: how many of them are mapped
    // depends on how the kernel cached the file (a copied binary can be mapped whole), so
    // compare builds by the anonymous part.
    println!(
        "{label}: resident after start {:.1} MiB (anonymous {:.1}, file-backed {:.1}; peak {:.1} MiB, {} threads)",
        mib("VmRSS:"),
        mib("RssAnon:"),
        mib("RssFile:"),
        mib("VmHWM:"),
        status_field(pid, "Threads:")
    );
    // Let start-up work (store open, blocking-pool keep-alive) finish before the idle window.
    std::thread::sleep(Duration::from_secs(11));
    let kids = children(pid);
    let kids_ticks = || kids.iter().map(|&k| cpu_ticks(k)).sum::<u64>();
    let (t0, c0, k0) = (cpu_ticks(pid), context_switches(pid), kids_ticks());
    std::thread::sleep(Duration::from_secs(idle_secs));
    let (t1, c1, k1) = (cpu_ticks(pid), context_switches(pid), kids_ticks());
    println!(
        "{label}: idle {idle_secs} s: {} CPU ticks, {} context switches (pincer's pid only); \
         its {} child processes: {} CPU ticks",
        t1 - t0,
        c1 - c0,
        kids.len(),
        k1 - k0
    );
    app.type_text("/quit\r");
    let _ = app.wait_exit(Duration::from_secs(30));
}

/// This build against an older one, in pairs, so load hits both alike.
fn compare_with(baseline: &std::ffi::OsStr) {
    const PAIRS: usize = 32;
    let exe =
        std::env::var_os("PINCER_BENCH_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_pincer").into());
    let (mut base, mut this) = (Vec::new(), Vec::new());
    for i in 0..PAIRS {
        // Each build goes first in half the pairs: the second of a pair starts on a warmer
        // machine (measured: about 0.15 ms when a build was compared with itself).
        if i % 2 == 0 {
            base.push(first_frame_of(baseline, ""));
            this.push(first_frame_of(&exe, ""));
        } else {
            this.push(first_frame_of(&exe, ""));
            base.push(first_frame_of(baseline, ""));
        }
    }
    println!(
        "first frame against a baseline ({PAIRS} runs each, in pairs taking turns to go first, no MCP servers):"
    );
    println!(
        "  baseline {}: {}",
        baseline.to_string_lossy(),
        summary(&mut base)
    );
    println!("  this build:  {}", summary(&mut this));
    println!(
        "  difference of medians: {:+.2} ms",
        ms(this[PAIRS / 2]) - ms(base[PAIRS / 2])
    );
}

fn main() {
    if let Some(baseline) = std::env::var_os("PINCER_BENCH_BASELINE") {
        compare_with(&baseline);
    }
    let servers = three_servers();
    let (mut plain, mut with_mcp) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        plain.push(first_frame(""));
        with_mcp.push(first_frame(&servers));
    }
    println!("first frame (spawn → status line on screen, {RUNS} runs each, alternating):");
    println!(
        "  no MCP servers:                     {}",
        summary(&mut plain)
    );
    println!(
        "  3 MCP servers (one 5 s to start):   {}",
        summary(&mut with_mcp)
    );
    println!(
        "  difference of medians: {:+.1} ms",
        ms(with_mcp[RUNS / 2]) - ms(plain[RUNS / 2])
    );

    let idle_secs: u64 = std::env::var("PINCER_BENCH_IDLE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    idle("no MCP servers", "", STATUS_LINE, idle_secs);
    idle("3 MCP servers", &servers, "MCP 3 ready", idle_secs);
}
