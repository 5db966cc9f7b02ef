//! Metadata changes outside the writable roots: Landlock has no right for
//! `chmod`, `chown`, `utime` or extended attributes, and seccomp cannot see
//! which file they touch. So the helper enters a private mount namespace
//! (inside a user namespace when it is not root) where every mount is
//! read-only except the writable roots: outside them those calls fail with
//! EROFS, whatever the file's owner. Where namespaces are unavailable this is
//! skipped and only Landlock's write rules hold (a file the user owns outside
//! the roots can then still get a new mode or times).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

const OPEN_TREE_CLONE: libc::c_uint = 1;
const AT_RECURSIVE: libc::c_uint = 0x8000;
const MOUNT_ATTR_RDONLY: u64 = 0x1;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;

/// `struct mount_attr` from `<linux/mount.h>`.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// Makes everything but `writable` read-only for this process and its
/// children. `Err` when namespaces or the new mount API are unavailable;
/// nothing is changed for the caller's mount namespace in any case.
pub(super) fn read_only_except(writable: &[&Path]) -> io::Result<()> {
    // SAFETY: geteuid/getegid have no preconditions.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let flags = if uid == 0 {
        libc::CLONE_NEWNS
    } else {
        libc::CLONE_NEWUSER | libc::CLONE_NEWNS
    };
    // SAFETY: unshare on a single-threaded process (the helper).
    check(unsafe { libc::unshare(flags) })?;
    if uid != 0 {
        std::fs::write("/proc/self/setgroups", "deny")?;
        std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
        std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
    }
    let root = c"/";
    // SAFETY: NUL-terminated path; makes our mounts private to this namespace.
    check(unsafe {
        libc::mount(
            std::ptr::null(),
            root.as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        )
    })?;
    // Copies of the writable trees, taken while they are still writable.
    let mut clones = Vec::new();
    for path in writable {
        let c_path = cstr(path)?;
        // SAFETY: NUL-terminated path; returns a new descriptor or -1.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_open_tree,
                libc::AT_FDCWD,
                c_path.as_ptr(),
                OPEN_TREE_CLONE | AT_RECURSIVE | libc::O_CLOEXEC as libc::c_uint,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        clones.push((fd, c_path));
    }
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: NUL-terminated path and a valid mount_attr of the size passed.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            root.as_ptr(),
            AT_RECURSIVE,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    for (fd, c_path) in clones {
        // SAFETY: `fd` is a detached mount tree we own; the target path is
        // NUL-terminated.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_move_mount,
                fd,
                c"".as_ptr(),
                libc::AT_FDCWD,
                c_path.as_ptr(),
                MOVE_MOUNT_F_EMPTY_PATH,
            )
        };
        let err = io::Error::last_os_error();
        // SAFETY: closing the descriptor open_tree returned.
        unsafe { libc::close(fd as libc::c_int) };
        if ret < 0 {
            return Err(err);
        }
    }
    // The working directory still points into the read-only mount below the
    // new one: enter it again by name.
    let cwd = std::env::current_dir()?;
    std::env::set_current_dir(cwd)
}

/// Folders inside the workspace that a command must not write even though the workspace is
/// writable: pincer's project configuration and skills (a command could plant instructions or
/// rules there) and git hooks (they run later, outside any sandbox).
pub(super) const PROTECTED_IN_WORKSPACE: &[&str] = &[".pincer", ".agents", ".claude", ".git/hooks"];

/// Makes each existing folder of `dirs` read-only in this mount namespace (a bind mount of
/// itself, remounted read-only). Call after [`read_only_except`]; the first failure is
/// returned, the others are still attempted.
pub(super) fn read_only_dirs(dirs: &[std::path::PathBuf]) -> io::Result<()> {
    let mut first_err = None;
    for dir in dirs {
        // A symlink would bind its target: only real folders (the workspace's own).
        let is_dir = std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
        if !is_dir {
            continue;
        }
        if let Err(e) = bind_read_only(dir) {
            first_err.get_or_insert(e);
        }
    }
    first_err.map_or(Ok(()), Err)
}

fn bind_read_only(dir: &Path) -> io::Result<()> {
    let c_path = cstr(dir)?;
    // SAFETY: NUL-terminated paths; a bind mount of the folder onto itself.
    check(unsafe {
        libc::mount(
            c_path.as_ptr(),
            c_path.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND | libc::MS_REC,
            std::ptr::null(),
        )
    })?;
    // SAFETY: as above; only adds the read-only flag to that bind mount.
    check(unsafe {
        libc::mount(
            std::ptr::null(),
            c_path.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
            std::ptr::null(),
        )
    })
}

fn cstr(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
