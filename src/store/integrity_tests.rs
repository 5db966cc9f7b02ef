use super::super::test_support::{items, session};
use super::super::{ItemKind, Store};
use super::*;

/// The copies of database files (not of their -wal / -shm).
fn damaged_copies(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.contains(".damaged-") && !name.ends_with("-wal") && !name.ends_with("-shm")
        })
        .collect();
    found.sort();
    found
}

/// A real database with enough rows for many pages, closed (WAL folded in).
fn filled_db(path: &Path) -> String {
    let store = Store::open(path).unwrap();
    let id = session(&store, "/a");
    let text = "lorem ipsum dolor sit amet ".repeat(40);
    for _ in 0..400 {
        items(
            &store,
            &id,
            &[(ItemKind::User, &text), (ItemKind::Assistant, &text)],
        );
    }
    assert_eq!(store.integrity_report(), None);
    id
}

#[test]
fn a_healthy_file_has_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pincer.db");
    filled_db(&path);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity_report(), None);
    assert!(damaged_copies(dir.path()).is_empty());
    assert_eq!(Store::open_in_memory().unwrap().integrity_report(), None);
}

#[test]
fn corrupted_pages_are_reported_and_the_file_copied_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pincer.db");
    let id = filled_db(&path);
    let mut bytes = std::fs::read(&path).unwrap();
    let original = bytes.clone();
    assert!(bytes.len() > 100 * 4096, "{}", bytes.len());
    // Garbage over the middle pages (page 1, with the header and schema, stays intact).
    let (from, to) = (bytes.len() / 3, bytes.len() / 2);
    for (i, b) in bytes[from..to].iter_mut().enumerate() {
        *b = (i * 7 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();

    let store = Store::open(&path).unwrap();
    let report = store
        .integrity_report()
        .expect("a report for a damaged file");
    let copies = damaged_copies(dir.path());
    assert_eq!(copies.len(), 1, "{copies:?}");
    let copy = &copies[0];
    assert!(report.contains(&copy.display().to_string()), "{report}");
    assert!(report.contains(".recover"), "{report}");
    assert!(report.contains("damaged"), "{report}");
    // The copy is the damaged file as it was found, not the original.
    assert_eq!(std::fs::read(copy).unwrap(), bytes);
    assert_ne!(bytes, original);
    // The damaged database stays in use: it still answers (the rows on damaged pages may not).
    let found = store.get_session(&id);
    assert!(found.is_ok(), "{found:?}");
}

#[test]
fn a_file_that_is_not_a_database_is_moved_aside_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pincer.db");
    let garbage = "this is not a database, just some notes\n".repeat(200);
    std::fs::write(&path, &garbage).unwrap();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::write(&wal, "stale wal").unwrap();

    let store = Store::open(&path).unwrap();
    let report = store.integrity_report().expect("a report");
    let copies = damaged_copies(dir.path());
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(std::fs::read_to_string(&copies[0]).unwrap(), garbage);
    let mut wal_copy = copies[0].as_os_str().to_owned();
    wal_copy.push("-wal");
    assert_eq!(std::fs::read_to_string(&wal_copy).unwrap(), "stale wal");
    assert!(
        report.contains(&copies[0].display().to_string()),
        "{report}"
    );
    assert!(report.contains("new, empty"), "{report}");

    let id = session(&store, "/a");
    items(&store, &id, &[(ItemKind::User, "fresh")]);
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity_report(), None);
    assert_eq!(store.load_session(&id).unwrap().items[0].content, "fresh");
    assert_eq!(damaged_copies(dir.path()).len(), 1);
}

#[test]
fn damaged_names_do_not_overwrite_earlier_copies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pincer.db");
    std::fs::write(&path, "x").unwrap();
    let first = set_aside(&path).unwrap();
    let second = set_aside(&path).unwrap();
    assert_ne!(first, second);
    assert!(first.exists() && second.exists());
}
