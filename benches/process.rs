//! The release binary as a whole process, in a pseudo-terminal (120×40), with a provider
//! configured (no network at start-up):
//!
//! - time to first frame: spawn → the status line is on screen (median of several runs);
//! - resident memory shortly after start (VmRSS, all threads);
//! - CPU ticks (utime+stime from /proc/PID/stat) and context switches while idle.
//!
//! `cargo bench --bench process`; `PINCER_BENCH_IDLE_SECS` (default 30) sets the idle window.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/support/pty.rs"]
mod pty;

use std::time::{Duration, Instant};

fn proc_field(pid: u32, file: &str, key: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// utime + stime in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Voluntary + involuntary context switches summed over all threads.
fn context_switches(pid: u32) -> u64 {
    let mut total = 0;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let tid = t.file_name().to_string_lossy().to_string();
            let path = format!("{pid}/task/{tid}");
            total += proc_field_path(&path, "voluntary_ctxt_switches:")
                + proc_field_path(&path, "nonvoluntary_ctxt_switches:");
        }
    }
    total
}

fn proc_field_path(path: &str, key: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{path}/status")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    pty::write_mock_config(dir.path(), "http://127.0.0.1:9", "");
    dir
}

fn main() {
    let runs = 15;
    let mut firsts = Vec::new();
    for _ in 0..runs {
        let dir = home();
        let start = Instant::now();
        let app = pty::PtyApp::spawn(&[], dir.path(), &[], 40, 120);
        app.wait_until_every(
            "status line",
            Duration::from_secs(10),
            Duration::from_micros(200),
            |s| s.contains("mock · mock-model"),
        );
        firsts.push(start.elapsed());
    }
    firsts.sort();
    let median = firsts[runs / 2];
    println!(
        "first frame: median {:.1} ms, min {:.1} ms, max {:.1} ms ({runs} runs; spawn → status line on screen)",
        median.as_secs_f64() * 1000.0,
        firsts[0].as_secs_f64() * 1000.0,
        firsts[runs - 1].as_secs_f64() * 1000.0
    );

    let idle_secs: u64 = std::env::var("PINCER_BENCH_IDLE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let dir = home();
    let app = pty::PtyApp::spawn(&[], dir.path(), &[], 40, 120);
    app.wait_until("status line", Duration::from_secs(10), |s| {
        s.contains("mock · mock-model")
    });
    let pid = app.pid().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let rss_kib = proc_field(pid, "status", "VmRSS:");
    let hwm_kib = proc_field(pid, "status", "VmHWM:");
    let threads = proc_field(pid, "status", "Threads:");
    println!(
        "resident after start: {:.1} MiB (peak {:.1} MiB, {threads} threads)",
        rss_kib as f64 / 1024.0,
        hwm_kib as f64 / 1024.0
    );
    // Let start-up work (store open, blocking-pool keep-alive) finish before the idle window.
    std::thread::sleep(Duration::from_secs(11));
    let (t0, c0) = (cpu_ticks(pid), context_switches(pid));
    std::thread::sleep(Duration::from_secs(idle_secs));
    let (t1, c1) = (cpu_ticks(pid), context_switches(pid));
    println!(
        "idle {idle_secs} s: {} CPU ticks, {} context switches",
        t1 - t0,
        c1 - c0
    );
}
