//! What `/proc` says about a running process, for the whole-process benches (`process`,
//! `serve`): resident memory, CPU ticks, context switches. Linux only, as the benches are.

/// A `Key: value` line of `/proc/PID/status` (kB for the memory lines); 0 when absent.
pub fn status_field(pid: u32, key: &str) -> u64 {
    task_status_field(&pid.to_string(), key)
}

/// `status_field` of `/proc/PATH/status`, where PATH is `PID` or `PID/task/TID`.
fn task_status_field(path: &str, key: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{path}/status")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resident memory (VmRSS) in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    status_field(pid, "VmRSS:")
}

/// CPU time of the process alone (all its threads, not its children): utime + stime from
/// `/proc/PID/stat`, in clock ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Voluntary + involuntary context switches summed over all threads.
pub fn context_switches(pid: u32) -> u64 {
    let mut total = 0;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let path = format!("{pid}/task/{}", t.file_name().to_string_lossy());
            total += task_status_field(&path, "voluntary_ctxt_switches:")
                + task_status_field(&path, "nonvoluntary_ctxt_switches:");
        }
    }
    total
}

/// The direct children of a process (from `/proc/PID/task/*/children`).
pub fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let text = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
            out.extend(
                text.split_whitespace()
                    .filter_map(|c| c.parse::<u32>().ok()),
            );
        }
    }
    out
}
