//! The checked path is the used path: races, links, loops, special files and
//! interrupted writes.

use super::*;
use crate::tools::context::ToolLimits;
use crate::tools::paths;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

struct Setup {
    _ws: tempfile::TempDir,
    outside: tempfile::TempDir,
    ctx: ToolContext,
}

fn setup() -> Setup {
    let ws = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("canary.txt"), "CANARY").unwrap();
    let ctx = ToolContext {
        workspace: fs::canonicalize(ws.path()).unwrap(),
        temp_dir: std::env::temp_dir(),
        limits: ToolLimits::default(),
        outside_workspace_approved: false,
    };
    Setup {
        _ws: ws,
        outside,
        ctx,
    }
}

impl Setup {
    fn ws(&self) -> &Path {
        &self.ctx.workspace
    }

    /// Checks `raw` as the tools do and anchors it.
    fn check(&self, raw: &str) -> Anchor {
        let resolved = paths::resolve(&self.ctx, raw).unwrap();
        assert!(resolved.inside_workspace, "{raw}");
        Anchor::new(&self.ctx, &resolved).unwrap()
    }

    /// The race: `sub` is replaced by a link to the outside directory after
    /// the path was checked and before it is used.
    fn swap_sub_for_link(&self) {
        fs::rename(self.ws().join("sub"), self.ws().join("sub.old")).unwrap();
        symlink(self.outside.path(), self.ws().join("sub")).unwrap();
    }

    fn canary(&self) -> String {
        fs::read_to_string(self.outside.path().join("canary.txt")).unwrap()
    }

    fn outside_names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.outside.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn read_all(anchor: &Anchor) -> io::Result<String> {
    let (mut file, kind) = anchor.open_read()?;
    assert_eq!(kind, Kind::File);
    let mut text = String::new();
    io::Read::read_to_string(&mut file, &mut text)?;
    Ok(text)
}

#[test]
fn swapped_directory_is_not_followed_by_a_read() {
    let s = setup();
    fs::create_dir(s.ws().join("sub")).unwrap();
    fs::write(s.ws().join("sub/canary.txt"), "inside").unwrap();
    let anchor = s.check("sub/canary.txt");
    s.swap_sub_for_link();
    let err = read_all(&anchor).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ELOOP), "{err}");
    let msg = open_error("read", "sub/canary.txt", &err);
    assert!(msg.contains("symbolic link appeared"), "{msg}");
}

#[test]
fn swapped_directory_is_not_followed_by_a_write() {
    let s = setup();
    fs::create_dir(s.ws().join("sub")).unwrap();
    fs::write(s.ws().join("sub/canary.txt"), "inside").unwrap();
    let replace = s.check("sub/canary.txt");
    let create = s.check("sub/new.txt");
    let deeper = s.check("sub/deeper/new.txt");
    s.swap_sub_for_link();
    for anchor in [&replace, &create, &deeper] {
        let err = anchor.write_atomic(b"PWNED").unwrap_err();
        assert!(
            matches!(err.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)),
            "{err}"
        );
    }
    assert_eq!(s.canary(), "CANARY");
    assert_eq!(s.outside_names(), ["canary.txt"]);
}

#[test]
fn swapped_final_component_is_not_followed() {
    let s = setup();
    fs::write(s.ws().join("notes.txt"), "mine").unwrap();
    let anchor = s.check("notes.txt");
    fs::remove_file(s.ws().join("notes.txt")).unwrap();
    symlink(
        s.outside.path().join("canary.txt"),
        s.ws().join("notes.txt"),
    )
    .unwrap();
    assert_eq!(
        read_all(&anchor).unwrap_err().raw_os_error(),
        Some(libc::ELOOP)
    );
    assert!(anchor.write_atomic(b"PWNED").is_err());
    assert_eq!(s.canary(), "CANARY");
    // The link itself is left alone too.
    assert!(
        fs::symlink_metadata(s.ws().join("notes.txt"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn links_inside_the_workspace_keep_working() {
    let s = setup();
    fs::create_dir(s.ws().join("real")).unwrap();
    fs::write(s.ws().join("real/a.txt"), "A").unwrap();
    symlink("real", s.ws().join("alias")).unwrap();
    let anchor = s.check("alias/a.txt");
    assert_eq!(read_all(&anchor).unwrap(), "A");
    anchor.write_atomic(b"B").unwrap();
    assert_eq!(fs::read_to_string(s.ws().join("real/a.txt")).unwrap(), "B");
    assert!(
        fs::symlink_metadata(s.ws().join("alias"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn symlink_loops_are_refused() {
    let s = setup();
    symlink("b", s.ws().join("a")).unwrap();
    symlink("a", s.ws().join("b")).unwrap();
    assert!(paths::resolve(&s.ctx, "a").is_err());
    // Even if a loop appears after the check, the open refuses it.
    fs::write(s.ws().join("c"), "c").unwrap();
    let anchor = s.check("c");
    fs::remove_file(s.ws().join("c")).unwrap();
    symlink("c", s.ws().join("c")).unwrap();
    assert_eq!(
        read_all(&anchor).unwrap_err().raw_os_error(),
        Some(libc::ELOOP)
    );
}

#[test]
fn special_files_are_refused_without_blocking() {
    let s = setup();
    let fifo = CString::new(s.ws().join("fifo").as_os_str().as_bytes()).unwrap();
    // SAFETY: test: creates a FIFO at a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let _listener = std::os::unix::net::UnixListener::bind(s.ws().join("sock")).unwrap();
    for name in ["fifo", "sock"] {
        let anchor = s.check(name);
        let err = anchor.open_read().unwrap_err();
        let msg = open_error("read", name, &err);
        assert!(
            msg.contains("pipe") || msg.contains("socket"),
            "{name}: {msg}"
        );
        let err = anchor.write_atomic(b"x").unwrap_err();
        assert!(open_error("write", name, &err).contains("regular"), "{err}");
    }
    // A device outside the workspace, approved: still refused.
    let approved = ToolContext {
        outside_workspace_approved: true,
        ..s.ctx.clone()
    };
    let resolved = paths::resolve(&approved, "/dev/null").unwrap();
    let anchor = Anchor::new(&approved, &resolved).unwrap();
    let err = anchor.open_read().unwrap_err();
    assert!(err.to_string().contains("character device"), "{err}");
    assert!(anchor.write_atomic(b"x").is_err());
}

#[test]
fn an_interrupted_write_leaves_the_old_content() {
    let s = setup();
    let target = s.ws().join("data.txt");
    fs::write(&target, "old content").unwrap();
    let anchor = s.check("data.txt");
    let err = anchor
        .write_with(|file| {
            file.write_all(b"new con")?;
            // Midway: the target still has the old content.
            assert_eq!(fs::read_to_string(&target)?, "old content");
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    assert_eq!(fs::read_to_string(&target).unwrap(), "old content");
    let leftovers = fs::read_dir(s.ws()).unwrap().count();
    assert_eq!(leftovers, 1, "the temp file was removed");
}

#[test]
fn writes_keep_the_mode_and_refuse_read_only_files() {
    let s = setup();
    let path = s.ws().join("a.sh");
    let anchor = s.check("a.sh");
    assert!(anchor.write_atomic(b"one").unwrap());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o751)).unwrap();
    assert!(!anchor.write_atomic(b"two").unwrap());
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o751
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "two");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o444)).unwrap();
    let err = anchor.write_atomic(b"three").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
    assert_eq!(fs::read_dir(s.ws()).unwrap().count(), 1);
}

#[test]
fn the_fallback_walk_refuses_links_too() {
    let s = setup();
    fs::create_dir(s.ws().join("sub")).unwrap();
    fs::write(s.ws().join("sub/f"), "f").unwrap();
    let root = open_path(s.ws(), libc::O_PATH | libc::O_DIRECTORY, 0).unwrap();
    let flags = libc::O_RDONLY | libc::O_NONBLOCK;
    assert!(walk_open(root.as_fd(), Path::new("sub/f"), flags, 0).is_ok());
    assert_eq!(
        walk_open(root.as_fd(), Path::new("../x"), flags, 0)
            .unwrap_err()
            .raw_os_error(),
        Some(libc::EXDEV)
    );
    s.swap_sub_for_link();
    fs::write(s.outside.path().join("f"), "outside").unwrap();
    let err = walk_open(root.as_fd(), Path::new("sub/f"), flags, 0).unwrap_err();
    assert!(
        matches!(err.raw_os_error(), Some(libc::ENOTDIR | libc::ELOOP)),
        "{err}"
    );
}
