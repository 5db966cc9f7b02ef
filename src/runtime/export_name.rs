//! Where a session export goes: a file named after the session's title (slugified) in the
//! exports folder, never overwriting an earlier export (`-2`, `-3`, … are added).

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

/// Longest slug kept (in characters), so names stay readable and within file-name limits.
const SLUG_MAX: usize = 60;

/// `"Fix the build: cargo (again)!"` → `"fix-the-build-cargo-again"`; letters and digits of
/// any script are kept, everything else separates words. Empty when nothing is left.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    let mut pending_dash = false;
    for c in title.chars() {
        if c.is_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.extend(c.to_lowercase());
            if out.chars().count() >= SLUG_MAX {
                break;
            }
        } else {
            pending_dash = true;
        }
    }
    out
}

/// The file stem for a session export: its title's slug, or its id when the title has none.
pub fn export_stem(title: &str, id: &str) -> String {
    let s = slug(title);
    if s.is_empty() { id.to_string() } else { s }
}

/// Create `dir/STEM.EXT`, or `STEM-2.EXT`, `STEM-3.EXT`, … when taken. Creation is exclusive
/// (`O_EXCL`), so two exports at once never write the same file.
pub fn create_unique(dir: &Path, stem: &str, ext: &str) -> io::Result<(PathBuf, File)> {
    std::fs::create_dir_all(dir)?;
    for n in 1..10_000u32 {
        let name = if n == 1 {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{}: 10,000 exports named {stem} exist already; move some away",
            dir.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Fix the build: cargo (again)!"),
            "fix-the-build-cargo-again"
        );
        assert_eq!(slug("  ../../etc/passwd  "), "etc-passwd");
        assert_eq!(slug("Ünïcode Straße 東京"), "ünïcode-straße-東京");
        assert_eq!(slug("!!!"), "");
        assert_eq!(slug(&"a".repeat(500)).chars().count(), SLUG_MAX);
        assert_eq!(export_stem("***", "20261130-abcd"), "20261130-abcd");
    }

    #[test]
    fn never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _) = create_unique(dir.path(), "t", "md").unwrap();
        std::fs::write(&a, "first").unwrap();
        let (b, _) = create_unique(dir.path(), "t", "md").unwrap();
        let (c, _) = create_unique(dir.path(), "t", "md").unwrap();
        assert_eq!(a.file_name().unwrap(), "t.md");
        assert_eq!(b.file_name().unwrap(), "t-2.md");
        assert_eq!(c.file_name().unwrap(), "t-3.md");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "first");
    }
}
