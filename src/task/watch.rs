//! `[tasks] watch`: the listed `.cw` files are watched (inotify through `notify`, a
//! non-recursive watch on each file's folder, so an editor's write-and-rename is seen) and
//! `on_change` is called with the file that changed. No thread of pincer's own, no timer, no
//! polling: notify's reader blocks until the kernel reports something. Other files in the
//! folders (build output, service logs) are ignored, as are reads.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use notify::event::{AccessKind, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

/// Watching stops when this is dropped.
pub struct TaskWatcher {
    _watcher: RecommendedWatcher,
}

impl std::fmt::Debug for TaskWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskWatcher").finish_non_exhaustive()
    }
}

/// Watch `files`; `on_change(file)` for each event that touches one of them (a save can
/// report several: the caller coalesces). Files whose folder cannot be watched are named in
/// the error list returned beside the watcher.
pub fn start(
    files: Vec<PathBuf>,
    on_change: impl Fn(PathBuf) + Send + 'static,
) -> Result<(TaskWatcher, Vec<String>), String> {
    let wanted: BTreeSet<PathBuf> = files.iter().cloned().collect();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(event) = res else { return };
        if !relevant(&event.kind) {
            return;
        }
        for path in event.paths.iter().filter(|p| wanted.contains(*p)) {
            on_change(path.clone());
        }
    })
    .map_err(|e| format!("cannot watch task files: {e}"))?;
    let mut errors = Vec::new();
    let folders: BTreeSet<&Path> = files.iter().filter_map(|f| f.parent()).collect();
    for dir in folders {
        if let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive) {
            errors.push(format!("{}: {e}", dir.display()));
        }
    }
    Ok((TaskWatcher { _watcher: watcher }, errors))
}

/// A change to the content or the name (not a read, not only metadata).
fn relevant(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(notify::event::AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Any | EventKind::Other => false,
        EventKind::Modify(notify::event::ModifyKind::Metadata(_)) => false,
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
    }
}

/// `path` from `[tasks] watch`: `~/` from `home`, relative to `base`.
pub fn resolve(path: &str, home: Option<&Path>, base: &Path) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => base.join(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn paths_resolve_from_home_and_base() {
        let home = Path::new("/home/u");
        assert_eq!(
            resolve("~/svc/a.cw", Some(home), Path::new("/w")),
            Path::new("/home/u/svc/a.cw")
        );
        assert_eq!(
            resolve("a.cw", Some(home), Path::new("/w")),
            Path::new("/w/a.cw")
        );
        assert_eq!(
            resolve("/x/a.cw", None, Path::new("/w")),
            Path::new("/x/a.cw")
        );
    }

    #[test]
    fn a_write_to_the_task_file_is_reported_and_other_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let dir_path = std::fs::canonicalize(dir.path()).unwrap();
        let cw = dir_path.join("t.cw");
        std::fs::write(&cw, "task \"t\" {}\n").unwrap();
        let (tx, rx) = mpsc::channel();
        let (_w, errors) = start(vec![cw.clone()], move |p| {
            let _ = tx.send(p);
        })
        .unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        std::fs::write(dir_path.join("other.log"), "noise").unwrap();
        std::fs::write(&cw, "task \"t\" {}\n# changed\n").unwrap();
        let got = rx.recv_timeout(Duration::from_secs(120)).unwrap();
        assert_eq!(got, cw, "only the task file is reported");
        while let Ok(p) = rx.recv_timeout(Duration::from_millis(300)) {
            assert_eq!(p, cw);
        }
    }
}
