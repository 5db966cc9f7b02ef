//! Session leases: which pincer process runs a turn on a session right now.
//!
//! A lease is an exclusive `flock` on `<database>.leases/<session>.lock`. The runtime holds it
//! from storing the user's message until the turn has finished, so the items of one turn are
//! never interleaved with another process's, and an incomplete (streaming) item in a session
//! whose lease is free belongs to a process that died. The kernel releases the lock when its
//! holder exits or crashes: no stale leases, no timers. The holder writes its pid into the file
//! so a second front end can say who is busy. Waiting for a lease blocks a thread of the
//! blocking pool in `flock` (woken by the kernel, never polling).
//!
//! An in-memory store has no other process to share with: its leases are always free.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::StoreError;

/// Where the leases of one database live (`None`: an in-memory database).
#[derive(Debug, Clone)]
pub struct LeaseDir(Option<PathBuf>);

/// A held lease; dropping it releases the session.
#[derive(Debug)]
pub struct SessionLease {
    _file: Option<File>,
}

/// What `try_acquire` found.
#[derive(Debug)]
pub enum LeaseAttempt {
    Acquired(SessionLease),
    /// Another process (or another runtime of this one) holds it; its pid when it wrote one.
    Held {
        pid: Option<u32>,
    },
}

/// The lock file's name for a session id: the id itself when it is a plain one, else a hash.
fn file_name(session_id: &str) -> String {
    let plain = !session_id.is_empty()
        && session_id.len() <= 100
        && session_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain {
        return format!("{session_id}.lock");
    }
    // FNV-1a: stable across builds, enough to keep odd ids apart.
    let hash = session_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("x-{hash:016x}.lock")
}

fn lease_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::Lease {
        path: path.display().to_string(),
        source,
    }
}

impl LeaseDir {
    /// The lease folder of the database at `db` (`None`: in memory, no leases).
    pub fn for_database(db: Option<&Path>) -> LeaseDir {
        LeaseDir(db.map(|db| {
            let mut dir = db.as_os_str().to_owned();
            dir.push(".leases");
            PathBuf::from(dir)
        }))
    }

    fn open(&self, session_id: &str) -> Result<Option<(PathBuf, File)>, StoreError> {
        let Some(dir) = &self.0 else {
            return Ok(None);
        };
        std::fs::create_dir_all(dir).map_err(|e| lease_error(dir, e))?;
        let path = dir.join(file_name(session_id));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| lease_error(&path, e))?;
        Ok(Some((path, file)))
    }

    /// Take the lease if it is free, at once; else say who holds it.
    pub fn try_acquire(&self, session_id: &str) -> Result<LeaseAttempt, StoreError> {
        let Some((path, file)) = self.open(session_id)? else {
            return Ok(LeaseAttempt::Acquired(SessionLease { _file: None }));
        };
        match file.try_lock() {
            Ok(()) => Ok(LeaseAttempt::Acquired(held(&path, file))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(LeaseAttempt::Held {
                pid: holder_pid(&path),
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(lease_error(&path, e)),
        }
    }

    /// Take the lease, waiting (blocking this thread) while another process holds it.
    pub fn acquire(&self, session_id: &str) -> Result<SessionLease, StoreError> {
        let Some((path, file)) = self.open(session_id)? else {
            return Ok(SessionLease { _file: None });
        };
        file.lock().map_err(|e| lease_error(&path, e))?;
        Ok(held(&path, file))
    }

    /// Remove a deleted session's lock file, unless someone holds it (best effort).
    pub fn remove(&self, session_id: &str) {
        if let Ok(LeaseAttempt::Acquired(lease)) = self.try_acquire(session_id)
            && let Some(dir) = &self.0
        {
            let _ = std::fs::remove_file(dir.join(file_name(session_id)));
            drop(lease);
        }
    }
}

/// A freshly locked file becomes a lease carrying this process's pid.
fn held(path: &Path, mut file: File) -> SessionLease {
    let written = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| writeln!(file, "{}", std::process::id()));
    if let Err(e) = written {
        // The pid is only for messages; the lock is what counts.
        tracing::debug!(%e, path = %path.display(), "cannot write the lease holder's pid");
    }
    SessionLease { _file: Some(file) }
}

fn holder_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let leases = LeaseDir::for_database(Some(&dir.path().join("pincer.db")));
        let LeaseAttempt::Acquired(first) = leases.try_acquire("s-1").unwrap() else {
            panic!("a free lease is taken at once");
        };
        match leases.try_acquire("s-1").unwrap() {
            LeaseAttempt::Held { pid } => assert_eq!(pid, Some(std::process::id())),
            LeaseAttempt::Acquired(_) => panic!("a held lease is not taken twice"),
        }
        assert!(matches!(
            leases.try_acquire("other").unwrap(),
            LeaseAttempt::Acquired(_)
        ));
        drop(first);
        assert!(matches!(
            leases.try_acquire("s-1").unwrap(),
            LeaseAttempt::Acquired(_)
        ));
    }

    #[test]
    fn a_waiter_gets_the_lease_when_the_holder_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let leases = LeaseDir::for_database(Some(&dir.path().join("pincer.db")));
        let first = leases.acquire("s").unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let leases = leases.clone();
            std::thread::spawn(move || {
                let lease = leases.acquire("s").unwrap();
                tx.send(()).unwrap();
                lease
            })
        };
        assert!(rx.try_recv().is_err(), "still waiting while held");
        drop(first);
        rx.recv().unwrap();
        drop(waiter.join().unwrap());
    }

    #[test]
    fn odd_ids_get_safe_file_names_and_memory_has_no_leases() {
        assert_eq!(file_name("0123-ab_c"), "0123-ab_c.lock");
        let odd = file_name("../x y");
        assert!(odd.starts_with("x-") && !odd.contains('/'));
        assert_ne!(file_name("a/b"), file_name("a/c"));
        let memory = LeaseDir::for_database(None);
        let _a = memory.acquire("s").unwrap();
        assert!(matches!(
            memory.try_acquire("s").unwrap(),
            LeaseAttempt::Acquired(_)
        ));
    }
}
