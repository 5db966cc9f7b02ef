//! `openat2(2)` (Linux 5.6+): one system call that opens a path beneath a
//! directory handle without following any symlink or leaving the directory.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::{cstr, owned};

/// `struct open_how` from `<linux/openat2.h>`.
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_BENEATH: u64 = 0x08;

/// Set once `openat2` returned ENOSYS: use the component walk from then on.
pub(super) static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

pub(super) fn openat2(
    root: BorrowedFd<'_>,
    rel: &Path,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> io::Result<OwnedFd> {
    let path = cstr(rel.as_os_str())?;
    let how = OpenHow {
        flags: u64::try_from(flags).map_err(io::Error::other)?,
        mode: u64::from(mode),
        resolve: RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    // SAFETY: `path` is NUL-terminated, `how` is a valid open_how of the size
    // passed; the kernel returns a new descriptor or -1.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root.as_raw_fd(),
            path.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    owned(ret)
}
