//! How the command run by the helper ended, and the helper exiting the same way.

/// How the command ended, to be passed on by the helper.
pub(super) enum Ended {
    Code(i32),
    Signal(i32),
}

/// Exit the way the command did: its code, or the same signal.
pub(super) fn pass_on(ended: Ended) -> i32 {
    match ended {
        Ended::Code(code) => code,
        Ended::Signal(sig) => {
            // SAFETY: restore the default action, unblock, and raise the
            // signal on ourselves; for fatal signals this does not return.
            unsafe {
                libc::signal(sig, libc::SIG_DFL);
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigaddset(&mut set, sig);
                libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
                libc::raise(sig);
            }
            128 + sig
        }
    }
}
