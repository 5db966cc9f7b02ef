//! Hot reload: one `()` per debounced batch of file events under any skill root.
//!
//! notify's recommended watcher (inotify on Linux) feeds a thread that blocks in `recv()` while
//! nothing happens — no tick, no polling. (notify-debouncer-full's loop thread wakes every
//! timeout / 4 forever, which is why the debounce is done here: after the first event, wait
//! until [`DEBOUNCE`] passes without one, at most [`MAX_BATCH`].) A root that does not exist is
//! covered by a non-recursive watch on its nearest existing ancestor; after each batch the
//! watches are brought up to date (a created root gets its recursive watch, a root deleted and
//! recreated is watched again) *before* the `()` is sent, so the rescan it triggers sees
//! everything up to then. Reads (open / close without write) are ignored: a rescan does not wake
//! the watcher again.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

use super::SkillError;

/// Quiet time that ends a batch.
pub const DEBOUNCE: Duration = Duration::from_millis(100);
/// A batch is sent after this long even if events keep coming.
pub const MAX_BATCH: Duration = Duration::from_millis(500);

enum Msg {
    Fs(notify::Result<notify::Event>),
    Stop,
}

/// Stops (and joins its thread) when dropped.
pub struct SkillWatcher {
    stop: mpsc::Sender<Msg>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SkillWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkillWatcher").finish_non_exhaustive()
    }
}

/// What is watched: path → (mode, identity of the folder when it was watched).
type Watched = HashMap<PathBuf, (RecursiveMode, (u64, u64))>;

impl SkillWatcher {
    /// Watches `roots` (existing or not); sends `()` on `tx` after each batch of changes.
    pub fn start(roots: Vec<PathBuf>, tx: UnboundedSender<()>) -> Result<SkillWatcher, SkillError> {
        let (raw_tx, raw_rx) = mpsc::channel::<Msg>();
        let events = raw_tx.clone();
        let mut watcher = notify::recommended_watcher(move |res| {
            let _ = events.send(Msg::Fs(res));
        })
        .map_err(|e| SkillError::Watch(e.to_string()))?;
        let mut watched = Watched::new();
        let errors = rewatch(&mut watcher, &roots, &mut watched);
        if watched.is_empty() && !roots.is_empty() {
            return Err(SkillError::Watch(errors.join("; ")));
        }
        let thread = std::thread::Builder::new()
            .name("pincer-skill-watch".into())
            .spawn(move || run(watcher, roots, watched, raw_rx, tx))
            .map_err(|e| SkillError::Watch(e.to_string()))?;
        Ok(SkillWatcher {
            stop: raw_tx,
            thread: Some(thread),
        })
    }
}

impl Drop for SkillWatcher {
    fn drop(&mut self) {
        let _ = self.stop.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    mut watcher: RecommendedWatcher,
    roots: Vec<PathBuf>,
    mut watched: Watched,
    rx: mpsc::Receiver<Msg>,
    tx: UnboundedSender<()>,
) {
    loop {
        // Blocks with no timeout: nothing runs while nothing changes.
        let mut relevant = match rx.recv() {
            Ok(Msg::Fs(ev)) => is_relevant(&ev, &roots),
            Ok(Msg::Stop) | Err(_) => return,
        };
        let deadline = Instant::now() + MAX_BATCH;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match rx.recv_timeout(DEBOUNCE.min(left)) {
                Ok(Msg::Fs(ev)) => relevant |= is_relevant(&ev, &roots),
                Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => break,
            }
        }
        if !relevant {
            continue;
        }
        for e in rewatch(&mut watcher, &roots, &mut watched) {
            tracing::warn!("skill watcher: {e}");
        }
        if tx.send(()).is_err() {
            return;
        }
    }
}

/// Writes, creates, removes, renames and errors under (or above) a root; not plain reads.
fn is_relevant(ev: &notify::Result<notify::Event>, roots: &[PathBuf]) -> bool {
    let Ok(ev) = ev else {
        return true;
    };
    if ev.need_rescan() {
        return true;
    }
    match ev.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => {}
        EventKind::Access(_) => return false,
        _ => {}
    }
    ev.paths
        .iter()
        .any(|p| roots.iter().any(|r| p.starts_with(r) || r.starts_with(p)))
}

/// Each root recursively if it is a folder, else its nearest existing ancestor alone.
fn desired(roots: &[PathBuf]) -> HashMap<PathBuf, (RecursiveMode, (u64, u64))> {
    let mut out: HashMap<PathBuf, (RecursiveMode, (u64, u64))> = HashMap::new();
    for root in roots {
        let (path, mode) = if root.is_dir() {
            (root.clone(), RecursiveMode::Recursive)
        } else {
            match nearest_existing_ancestor(root) {
                Some(a) => (a, RecursiveMode::NonRecursive),
                None => continue,
            }
        };
        let Some(id) = identity(&path) else { continue };
        let slot = out.entry(path).or_insert((mode, id));
        if mode == RecursiveMode::Recursive {
            slot.0 = mode;
        }
    }
    out
}

fn nearest_existing_ancestor(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .skip(1)
        .find(|a| a.is_dir())
        .map(Path::to_path_buf)
}

fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Brings the watches in line with what exists now; returns the errors.
fn rewatch(
    watcher: &mut RecommendedWatcher,
    roots: &[PathBuf],
    watched: &mut Watched,
) -> Vec<String> {
    let want = desired(roots);
    let stale: Vec<PathBuf> = watched
        .iter()
        .filter(|(p, v)| want.get(*p) != Some(*v))
        .map(|(p, _)| p.clone())
        .collect();
    for p in stale {
        // Fails when the folder is gone (the kernel dropped the watch): nothing to undo.
        let _ = watcher.unwatch(&p);
        watched.remove(&p);
    }
    let mut errors = Vec::new();
    for (path, (mode, id)) in want {
        if watched.contains_key(&path) {
            continue;
        }
        match watcher.watch(&path, mode) {
            Ok(()) => {
                watched.insert(path, (mode, id));
            }
            Err(e) => errors.push(format!("{}: {e}", path.display())),
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_root_maps_to_its_nearest_ancestor() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("a/b/skills");
        let want = desired(std::slice::from_ref(&root));
        assert_eq!(want.len(), 1);
        let (mode, _) = want[tmp.path()];
        assert_eq!(mode, RecursiveMode::NonRecursive);
        std::fs::create_dir_all(&root).unwrap();
        let want = desired(std::slice::from_ref(&root));
        assert_eq!(want[&root].0, RecursiveMode::Recursive);
    }

    #[test]
    fn reads_and_unrelated_paths_are_not_relevant() {
        let roots = vec![PathBuf::from("/h/.agents/skills")];
        let ev = |kind, p: &str| Ok(notify::Event::new(kind).add_path(PathBuf::from(p)));
        let open = EventKind::Access(AccessKind::Open(AccessMode::Any));
        let write = EventKind::Modify(notify::event::ModifyKind::Any);
        assert!(!is_relevant(
            &ev(open, "/h/.agents/skills/x/SKILL.md"),
            &roots
        ));
        assert!(is_relevant(
            &ev(write, "/h/.agents/skills/x/SKILL.md"),
            &roots
        ));
        assert!(is_relevant(&ev(write, "/h/.agents"), &roots));
        assert!(!is_relevant(&ev(write, "/h/.bash_history"), &roots));
    }
}
