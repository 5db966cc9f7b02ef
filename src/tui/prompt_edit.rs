//! Ctrl+G (and Ctrl+X Ctrl+E): edit the prompt in `$VISUAL` / `$EDITOR`. The composer's text
//! (pastes expanded) goes to a private temporary file; the loop runs the editor with the screen
//! suspended (`App::edit_request`); what the file holds afterwards becomes the composer's text.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::composer::Composer;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// Write `text` to a new 0600 file in `dir` (never an existing one: `create_new`).
pub fn write_draft(dir: &Path, text: &str) -> Result<PathBuf, String> {
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!("pincer-prompt-{}-{n}.md", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| {
            format!(
                "cannot write the prompt to {} for the editor: {e} — check that the temporary folder is writable (TMPDIR)",
                path.display()
            )
        })?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write the prompt to {}: {e}", path.display()))?;
    Ok(path)
}

/// The editor closed: the file's text (one trailing newline dropped, as editors add one)
/// replaces the composer's; the file is removed. The composer is left alone if it cannot be read.
pub fn read_back(path: &Path, composer: &mut Composer) -> Result<(), String> {
    let read = std::fs::read_to_string(path);
    let _ = std::fs::remove_file(path);
    let text = read.map_err(|e| {
        format!(
            "cannot read the edited prompt back from {}: {e} — your earlier text is still in the composer",
            path.display()
        )
    })?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    composer.replace_all(text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::Theme;

    #[test]
    fn round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_draft(dir.path(), "draft\nline two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "draft\nline two");
        let mode = std::fs::metadata(&path).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
        std::fs::write(&path, "edited\n").unwrap();
        let mut c = Composer::new(&Theme::dark());
        c.set_text("draft");
        read_back(&path, &mut c).unwrap();
        assert_eq!(c.text(), "edited");
        assert!(!path.exists(), "the draft file is removed");
    }

    #[test]
    fn unreadable_file_keeps_the_composer() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Composer::new(&Theme::dark());
        c.set_text("keep me");
        let err = read_back(&dir.path().join("gone.md"), &mut c).unwrap_err();
        assert!(err.contains("still in the composer"), "{err}");
        assert_eq!(c.text(), "keep me");
    }

    #[test]
    fn large_edits_collapse_again() {
        let dir = tempfile::tempdir().unwrap();
        let big = "y".repeat(5000);
        let path = write_draft(dir.path(), &big).unwrap();
        let mut c = Composer::new(&Theme::dark());
        read_back(&path, &mut c).unwrap();
        assert!(c.text().starts_with("[pasted text #1"), "{}", c.text());
        assert_eq!(c.take_message().unwrap(), big);
    }
}
