//! How a stored row is shown when its session is resumed, when that differs from its content
//! (the `display` column, JSON). The content is what the model got; this is what the user saw:
//! `/skill args` instead of the skill's body, an `@file` read or a `!command` as the tool cell
//! it was, a pasted part of a message folded.

use serde::{Deserialize, Serialize};

use crate::protocol::{HistoryItem, PasteSpan};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "shown", rename_all = "snake_case")]
pub enum Shown {
    /// What the user typed (`/name args`) for a message whose content is something else.
    Typed { text: String },
    /// The content as is, with the parts the user pasted.
    Pasted { pastes: Vec<PasteSpan> },
    /// Something that ran for the user (an `@file` attachment, a `!command`): shown as that.
    Item { item: HistoryItem },
}

impl Shown {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The stored `display` column; `None` when absent or unreadable (the content is shown).
    pub fn parse(display: Option<&str>) -> Option<Shown> {
        display.and_then(|d| serde_json::from_str(d).ok())
    }

    /// The prompt this row stands for (composer history, the session's first prompt and
    /// title): the typed text, the content, or nothing for what the user did not type.
    pub fn prompt<'a>(shown: Option<&'a Shown>, content: &'a str) -> Option<&'a str> {
        match shown {
            None | Some(Shown::Pasted { .. }) => Some(content),
            Some(Shown::Typed { text }) => Some(text),
            Some(Shown::Item { .. }) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_garbage() {
        let shown = Shown::Typed {
            text: "/greet Ada".into(),
        };
        assert_eq!(Shown::parse(Some(&shown.to_json())), Some(shown));
        assert_eq!(Shown::parse(Some("{not json")), None);
        assert_eq!(Shown::parse(Some(r#"{"shown":"from_the_future"}"#)), None);
        assert_eq!(Shown::parse(None), None);
    }

    /// The display travels with its row: loaded, copied by a fork, exported and imported;
    /// the composer's history and the title use what was typed.
    #[test]
    fn display_is_kept_by_load_fork_export_and_import() {
        use crate::store::test_support::session;
        use crate::store::{ItemKind, Store};
        let store = Store::open_in_memory().unwrap();
        let id = session(&store, "/a");
        let typed = Shown::Typed {
            text: "/greet Ada".into(),
        };
        let item = Shown::Item {
            item: HistoryItem::Error {
                kind: crate::protocol::ErrorKind::Config,
                message: "shown instead".into(),
            },
        };
        store
            .append_user_shown(&id, "Say hello to Ada.", &typed)
            .unwrap();
        store
            .append_user_shown(&id, "[Attached by the user as @x:]", &item)
            .unwrap();
        store
            .append_item(&id, ItemKind::User, "plain", false, None)
            .unwrap();
        let displays = |id: &str| -> Vec<Option<Shown>> {
            let loaded = store.load_session(id).unwrap();
            loaded
                .items
                .iter()
                .map(|i| Shown::parse(i.display.as_deref()))
                .collect()
        };
        let expected = vec![Some(typed.clone()), Some(item.clone()), None];
        assert_eq!(displays(&id), expected);
        assert_eq!(store.get_session(&id).unwrap().unwrap().title, "/greet Ada");
        assert_eq!(
            store.recent_prompts(10).unwrap(),
            vec!["/greet Ada", "plain"]
        );
        let fork = store.fork_session(&id, None, "f1").unwrap();
        assert_eq!(displays(&fork.id), expected);
        let imported = store
            .import_jsonl(&store.export_jsonl(&id).unwrap())
            .unwrap();
        assert_eq!(displays(&imported), expected);
        // Rows copied in bulk are recounted from what was typed, not from the content.
        for copy in [fork.id.as_str(), imported.as_str()] {
            let listed = store.get_session(copy).unwrap().unwrap();
            assert_eq!(listed.first_prompt, "/greet Ada", "{copy}");
        }
        let markdown = store.export_markdown(&id).unwrap();
        assert!(markdown.contains("/greet Ada") && !markdown.contains("Say hello"));
        // A damaged display column shows the content instead of failing.
        store
            .conn
            .execute("UPDATE items SET display = '{oops'", [])
            .unwrap();
        assert_eq!(displays(&id), vec![None, None, None]);
    }
}
