//! Whether a process is pincer's sandbox helper (`pincer __sandbox …`): a
//! task's service is stopped through its process group only while the group
//! leader is still that helper, so a recycled pid is left alone.

/// True when process `pid` runs with a `__sandbox` argument. Linux reads
/// `/proc/PID/cmdline`; macOS asks `sysctl(KERN_PROCARGS2)`. False when the
/// process is gone or cannot be inspected (another user's).
pub fn is_helper(pid: i32) -> bool {
    arguments(pid).split(|b| *b == 0).any(|a| a == b"__sandbox")
}

/// The process's arguments, NUL-separated.
#[cfg(target_os = "linux")]
fn arguments(pid: i32) -> Vec<u8> {
    std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default()
}

/// The process's arguments, NUL-separated, from `KERN_PROCARGS2`: the
/// argument count, the executable's path, NUL padding, then `argv` (and the
/// environment, which is left out).
#[cfg(not(target_os = "linux"))]
fn arguments(pid: i32) -> Vec<u8> {
    let Some(buf) = procargs(pid) else {
        return Vec::new();
    };
    let Some((count, rest)) = buf.split_first_chunk::<4>() else {
        return Vec::new();
    };
    let argc = usize::try_from(i32::from_ne_bytes(*count)).unwrap_or(0);
    // Empty pieces are the padding after the executable's path.
    let mut pieces = rest.split(|b| *b == 0).filter(|p| !p.is_empty());
    let _executable = pieces.next();
    pieces.take(argc).collect::<Vec<_>>().join(&0)
}

#[cfg(not(target_os = "linux"))]
fn procargs(pid: i32) -> Option<Vec<u8>> {
    let mut size = argmax()?;
    let mut buf = vec![0u8; size];
    let mut mib = [libc::CTL_KERN, libc::KERN_PROCARGS2, pid];
    // SAFETY: `mib` names 3 integers; `buf` is writable for `size` bytes and
    // sysctl stores how many it wrote back into `size`.
    let ret = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            3,
            buf.as_mut_ptr().cast(),
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    if ret != 0 {
        return None;
    }
    buf.truncate(size);
    Some(buf)
}

/// `kern.argmax`: the most bytes of arguments and environment a process has.
#[cfg(not(target_os = "linux"))]
fn argmax() -> Option<usize> {
    let mut value: libc::c_int = 0;
    let mut size = std::mem::size_of::<libc::c_int>();
    let mut mib = [libc::CTL_KERN, libc::KERN_ARGMAX];
    // SAFETY: `mib` names 2 integers; `value` is writable for `size` bytes.
    let ret = unsafe {
        libc::sysctl(
            mib.as_mut_ptr(),
            2,
            (&mut value as *mut libc::c_int).cast(),
            &mut size,
            std::ptr::null_mut(),
            0,
        )
    };
    if ret != 0 {
        return None;
    }
    usize::try_from(value).ok().filter(|n| *n > 0)
}
