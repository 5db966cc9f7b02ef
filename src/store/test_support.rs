//! Helpers shared by the store's tests.

use super::{ItemKind, NewSession, Store, new_session_id};

/// A new session in `cwd` with an empty title; returns its id.
pub fn session(store: &Store, cwd: &str) -> String {
    let id = new_session_id();
    store
        .create_session(&NewSession {
            id: id.clone(),
            title: String::new(),
            cwd: cwd.into(),
            provider: "p".into(),
            model: "m".into(),
        })
        .unwrap();
    id
}

/// Append finished items of the given kinds and texts; returns their ids.
pub fn items(store: &Store, id: &str, rows: &[(ItemKind, &str)]) -> Vec<i64> {
    rows.iter()
        .map(|(kind, text)| store.append_item(id, *kind, text, false, None).unwrap())
        .collect()
}

/// A row count of any query.
pub fn count(store: &Store, sql: &str) -> i64 {
    store.conn.query_row(sql, [], |r| r.get(0)).unwrap()
}
