//! Opening the path that was checked, and nothing else.
//!
//! Every file tool opens relative to a directory handle — the workspace, or `/`
//! for an approved path outside it — with the canonical path [`super::paths`]
//! resolved and classified. The open itself is the check: `openat2(2)` with
//! `RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS` (or, where
//! the kernel lacks `openat2`, a walk with `openat(O_NOFOLLOW)` per component),
//! so a directory swapped for a symlink after resolution makes the open fail
//! instead of leaving the workspace. Symlinks inside the workspace still work:
//! resolution already replaced them by their (checked) targets, so the path
//! opened contains none. Opens use `O_NONBLOCK` (a FIFO cannot block) and the
//! descriptor is `fstat`ed: FIFOs, devices and sockets are refused. Writes go
//! to a temporary file created beside the target through the directory handle
//! (`O_EXCL`), then `renameat` over it.
//!
//! Outside Linux (macOS) there is no `openat2` and no `O_PATH`: every open is
//! the component walk, with directory handles opened `O_RDONLY | O_DIRECTORY`
//! (so a directory must be readable to be walked through), and [`fd_path`]
//! names a descriptor by `fcntl(F_GETPATH)` instead of `/proc/self/fd`.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::tools::context::ToolContext;
use crate::tools::paths::ResolvedPath;

#[cfg(target_os = "linux")]
mod openat2;
#[cfg(target_os = "linux")]
use openat2::{NO_OPENAT2, openat2};

/// Flags of a directory handle that is only opened beneath: `O_PATH` on Linux
/// (no read permission needed); elsewhere a plain read-only open.
#[cfg(target_os = "linux")]
const DIR_HANDLE: libc::c_int = libc::O_PATH | libc::O_DIRECTORY;
#[cfg(not(target_os = "linux"))]
const DIR_HANDLE: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY;

/// What kind of object a path names, from `fstat` on the opened descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
}

/// The directory handle a checked path is opened beneath, and the path below it.
pub(crate) struct Anchor {
    root: OwnedFd,
    rel: PathBuf,
}

impl Anchor {
    /// The workspace for paths inside it, `/` for approved paths outside.
    pub(crate) fn new(ctx: &ToolContext, resolved: &ResolvedPath) -> io::Result<Anchor> {
        let (root, rel) = match resolved.path.strip_prefix(&ctx.workspace) {
            Ok(rel) if resolved.inside_workspace => (ctx.workspace.as_path(), rel),
            _ => (
                Path::new("/"),
                resolved
                    .path
                    .strip_prefix("/")
                    .unwrap_or(resolved.path.as_path()),
            ),
        };
        let root = open_path(root, DIR_HANDLE | libc::O_CLOEXEC, 0)?;
        let mut clean = PathBuf::new();
        for component in rel.components() {
            match component {
                Component::Normal(part) => clean.push(part),
                Component::CurDir => {}
                _ => return Err(io::Error::from_raw_os_error(libc::EXDEV)),
            }
        }
        Ok(Anchor { root, rel: clean })
    }

    /// Opens the path for reading; refuses anything but a file or a directory.
    pub(crate) fn open_read(&self) -> io::Result<(File, Kind)> {
        open_existing(self.root.as_fd(), &self.rel)
    }

    /// Opens `below` (relative to this anchor's path) for reading, under the
    /// same rules: used by `grep` for every file of a walk.
    pub(crate) fn open_read_below(&self, below: &Path) -> io::Result<(File, Kind)> {
        open_existing(self.root.as_fd(), &self.rel.join(below))
    }

    /// The final component, or an error for the anchor root itself.
    fn split(&self) -> io::Result<(&Path, &OsStr)> {
        let name = self
            .rel
            .file_name()
            .ok_or_else(|| io::Error::from_raw_os_error(libc::EISDIR))?;
        Ok((self.rel.parent().unwrap_or(Path::new("")), name))
    }

    /// Replaces (or creates) the file atomically through the parent directory's
    /// handle: temp file beside it (`O_EXCL`), `write`, then `renameat`.
    /// Missing parent directories are created one by one, never through a
    /// symlink. Returns true when the file was created.
    pub(crate) fn write_atomic(&self, content: &[u8]) -> io::Result<bool> {
        self.write_with(|file| file.write_all(content))
    }

    /// [`Anchor::write_atomic`] with the writing done by `fill` (tests make it
    /// fail halfway to show the old content survives).
    pub(crate) fn write_with(
        &self,
        fill: impl FnOnce(&mut File) -> io::Result<()>,
    ) -> io::Result<bool> {
        let (parent, name) = self.split()?;
        let dir = make_dirs(self.root.as_fd(), parent)?;
        let existing = stat_at(dir.as_fd(), name)?;
        if let Some(meta) = &existing {
            let kind = meta.st_mode & libc::S_IFMT;
            if kind != libc::S_IFREG {
                return Err(special_error(kind));
            }
            if meta.st_mode & 0o222 == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "the file is read-only",
                ));
            }
        }
        let mode = existing.as_ref().map_or(0o666, |m| m.st_mode & 0o7777);
        let (tmp_name, mut file) = create_temp(dir.as_fd(), name, mode)?;
        let result = (|| {
            fill(&mut file)?;
            file.flush()?;
            if existing.is_some() {
                // The umask applied at creation; restore the exact mode.
                // SAFETY: fchmod on a descriptor we own.
                check(unsafe { libc::fchmod(file.as_raw_fd(), mode) })?;
            }
            file.sync_all()?;
            rename_at(dir.as_fd(), &tmp_name, name)
        })();
        if let Err(e) = result {
            let _ = unlink_at(dir.as_fd(), &tmp_name);
            return Err(e);
        }
        Ok(existing.is_none())
    }
}

/// The directory a descriptor refers to, as a path std can walk (the
/// descriptor must stay open while the path is used). On Linux the magic link
/// `/proc/self/fd/N`, which never fails.
#[cfg(target_os = "linux")]
pub(crate) fn fd_path(file: &File) -> io::Result<PathBuf> {
    Ok(PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd())))
}

/// The directory a descriptor refers to, as a path std can walk: macOS has no
/// `/proc`, so its current path from `fcntl(F_GETPATH)`. That path is looked
/// up again by name when used, so it is checked to still name the same file
/// (device and inode) as the descriptor; `EXDEV` when it does not.
#[cfg(not(target_os = "linux"))]
pub(crate) fn fd_path(file: &File) -> io::Result<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    use std::os::unix::fs::MetadataExt;

    let mut buf = vec![0u8; MAXPATHLEN];
    // SAFETY: F_GETPATH writes a NUL-terminated path of at most MAXPATHLEN
    // bytes into `buf`, which is that long.
    check(unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETPATH, buf.as_mut_ptr()) })?;
    let len = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    buf.truncate(len);
    let path = PathBuf::from(std::ffi::OsString::from_vec(buf));
    let (held, named) = (file.metadata()?, std::fs::symlink_metadata(&path)?);
    if (held.dev(), held.ino()) != (named.dev(), named.ino()) {
        return Err(io::Error::from_raw_os_error(libc::EXDEV));
    }
    Ok(path)
}

/// `MAXPATHLEN` from `<sys/param.h>` (1024 on macOS): the buffer `F_GETPATH`
/// fills.
#[cfg(not(target_os = "linux"))]
const MAXPATHLEN: usize = libc::MAXPATHLEN as usize;

fn open_existing(root: BorrowedFd<'_>, rel: &Path) -> io::Result<(File, Kind)> {
    let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    let fd = open_beneath(root, rel, flags, 0)?;
    let file = File::from(fd);
    let meta = file.metadata()?;
    let kind = if meta.is_dir() {
        Kind::Dir
    } else if meta.is_file() {
        Kind::File
    } else {
        let t = meta.file_type();
        let raw = if t.is_fifo() {
            libc::S_IFIFO
        } else if t.is_socket() {
            libc::S_IFSOCK
        } else if t.is_block_device() {
            libc::S_IFBLK
        } else {
            libc::S_IFCHR
        };
        return Err(special_error(raw));
    };
    Ok((file, kind))
}

/// An error for a FIFO, socket or device, which the file tools never touch.
fn special_error(kind: libc::mode_t) -> io::Error {
    let what = match kind {
        libc::S_IFIFO => "a named pipe (FIFO)",
        libc::S_IFSOCK => "a socket",
        libc::S_IFBLK => "a block device",
        libc::S_IFCHR => "a character device",
        libc::S_IFDIR => "a directory",
        libc::S_IFLNK => "a symbolic link that appeared after the path was checked",
        _ => "not a regular file",
    };
    io::Error::new(io::ErrorKind::InvalidInput, format!("it is {what}"))
}

/// Opens `rel` beneath `root` without following any symlink or leaving `root`.
#[cfg(target_os = "linux")]
fn open_beneath(
    root: BorrowedFd<'_>,
    rel: &Path,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> io::Result<OwnedFd> {
    let rel = if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    };
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        match openat2(root, rel, flags, mode) {
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                NO_OPENAT2.store(true, Ordering::Relaxed);
            }
            other => return other,
        }
    }
    walk_open(root, rel, flags, mode)
}

/// Opens `rel` beneath `root` without following any symlink or leaving `root`:
/// outside Linux there is no `openat2`, so always the component walk.
#[cfg(not(target_os = "linux"))]
fn open_beneath(
    root: BorrowedFd<'_>,
    rel: &Path,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> io::Result<OwnedFd> {
    walk_open(root, rel, flags, mode)
}

/// The fallback (and outside Linux the only way): one `openat(O_NOFOLLOW)`
/// per component, directories as [`DIR_HANDLE`] (`O_PATH | O_DIRECTORY` on
/// Linux), `..` refused.
fn walk_open(
    root: BorrowedFd<'_>,
    rel: &Path,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> io::Result<OwnedFd> {
    let parts: Vec<&OsStr> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(Ok(p)),
            Component::CurDir => None,
            _ => Some(Err(io::Error::from_raw_os_error(libc::EXDEV))),
        })
        .collect::<io::Result<_>>()?;
    let dir_flags = DIR_HANDLE | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let Some((last, dirs)) = parts.split_last() else {
        return openat(root, OsStr::new("."), flags, mode);
    };
    let mut current: Option<OwnedFd> = None;
    for part in dirs {
        let at = current.as_ref().map_or(root, |fd| fd.as_fd());
        current = Some(openat(at, part, dir_flags, 0)?);
    }
    let at = current.as_ref().map_or(root, |fd| fd.as_fd());
    openat(at, last, flags | libc::O_NOFOLLOW, mode)
}

fn openat(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> io::Result<OwnedFd> {
    let name = cstr(name)?;
    // SAFETY: `name` is NUL-terminated; openat returns a new descriptor or -1.
    let ret = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, mode_arg(mode)) };
    owned(i64::from(ret))
}

fn open_path(path: &Path, flags: libc::c_int, mode: libc::mode_t) -> io::Result<OwnedFd> {
    let path = cstr(path.as_os_str())?;
    // SAFETY: `path` is NUL-terminated; open returns a new descriptor or -1.
    let ret = unsafe { libc::open(path.as_ptr(), flags, mode_arg(mode)) };
    owned(i64::from(ret))
}

/// Opens (creating as needed) each directory of `rel` beneath `root`,
/// refusing symlinks; returns a handle on the last one.
fn make_dirs(root: BorrowedFd<'_>, rel: &Path) -> io::Result<OwnedFd> {
    let dir_flags = DIR_HANDLE | libc::O_CLOEXEC;
    let mut current = open_beneath(root, Path::new("."), dir_flags, 0)?;
    for component in rel.components() {
        let Component::Normal(part) = component else {
            continue;
        };
        let name = cstr(part)?;
        // SAFETY: `name` is NUL-terminated; mkdirat creates one directory.
        let ret = unsafe { libc::mkdirat(current.as_raw_fd(), name.as_ptr(), 0o777) };
        if ret != 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EEXIST) {
                return Err(err);
            }
        }
        current = open_beneath(current.as_fd(), Path::new(part), dir_flags, 0)?;
    }
    Ok(current)
}

/// `fstatat(AT_SYMLINK_NOFOLLOW)`; `None` when the name does not exist.
fn stat_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Option<libc::stat>> {
    let c_name = cstr(name)?;
    // SAFETY: stat is plain data filled by the kernel.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `c_name` is NUL-terminated and `st` is valid for writing.
    let ret = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            c_name.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if ret == 0 {
        return Ok(Some(st));
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::ENOENT) {
        Ok(None)
    } else {
        Err(err)
    }
}

fn create_temp(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    mode: libc::mode_t,
) -> io::Result<(CString, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let mut attempt = 0;
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut tmp = b".".to_vec();
        tmp.extend_from_slice(name.as_bytes());
        tmp.extend_from_slice(format!(".pincer-{}-{n}.tmp", std::process::id()).as_bytes());
        let tmp_name = cstr(OsStr::from_bytes(&tmp))?;
        // SAFETY: `tmp_name` is NUL-terminated; O_EXCL creates a new file only.
        let ret =
            unsafe { libc::openat(dir.as_raw_fd(), tmp_name.as_ptr(), flags, mode_arg(mode)) };
        match owned(i64::from(ret)) {
            Ok(fd) => return Ok((tmp_name, File::from(fd))),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

fn rename_at(dir: BorrowedFd<'_>, from: &CString, to: &OsStr) -> io::Result<()> {
    let to = cstr(to)?;
    // SAFETY: both names are NUL-terminated and relative to the same directory.
    check(unsafe { libc::renameat(dir.as_raw_fd(), from.as_ptr(), dir.as_raw_fd(), to.as_ptr()) })
}

fn unlink_at(dir: BorrowedFd<'_>, name: &CString) -> io::Result<()> {
    // SAFETY: `name` is NUL-terminated.
    check(unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) })
}

/// `mode` as the variadic argument of `open`/`openat`, which C promotes to
/// `unsigned int` (macOS's `mode_t` is 16 bits).
fn mode_arg(mode: libc::mode_t) -> libc::c_uint {
    mode as libc::c_uint
}

fn cstr(s: &OsStr) -> io::Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn owned(ret: i64) -> io::Result<OwnedFd> {
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    let raw = RawFd::try_from(ret).map_err(io::Error::other)?;
    // SAFETY: `raw` is a descriptor the kernel just returned to us.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// Explains an error from opening a checked path, for tool messages.
pub(crate) fn open_error(action: &str, display: &str, e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ELOOP) => format!(
            "Cannot {action} {display}: a symbolic link appeared in the path after it was \
             checked (or the link loops); pincer does not follow it. Pass the real path."
        ),
        Some(libc::EXDEV) => format!(
            "Cannot {action} {display}: the path leads out of the directory it was checked \
             against (a link or `..` changed); pass a path inside the workspace."
        ),
        Some(libc::ENXIO) => format!(
            "Cannot {action} {display}: it is a socket or a pipe without a reader; the file \
             tools only work on regular files."
        ),
        _ if e.kind() == io::ErrorKind::InvalidInput => format!(
            "Cannot {action} {display}: {e}; the file tools only work on regular files and \
             directories (use the shell for special files)."
        ),
        _ => super::common::io_error(action, display, e),
    }
}

#[cfg(test)]
mod tests;
