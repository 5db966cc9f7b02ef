//! `@path` in a message: the workspace's files for completion (walked gitignore-aware on the
//! blocking pool, capped, cached until the next turn), and the files a message mentions,
//! attached before the model sees it. Each attachment is read by the `read_file` tool through
//! the gate like a call of the model (confinement, protected paths; outside the workspace it
//! asks), and its result — enveloped like any read_file result — follows the message as
//! context. The transcript keeps showing the message as typed (`@path`).

use std::path::Path;

use ignore::WalkBuilder;

use super::turn::{TurnEnv, TurnResult};
use super::{Runtime, tool_call, turn};
use crate::protocol::{Event, FileListing, ToolStatus};
use crate::provider::{ChatMessage, ToolCall};

/// The walk stops after this many files.
pub const MAX_LISTED_FILES: usize = 20_000;
/// At most this many `@` attachments per message.
const MAX_ATTACHMENTS: usize = 10;

impl Runtime {
    /// `Op::ListFiles`: the cached listing, or a fresh walk on the blocking pool.
    pub(super) async fn list_files(&mut self) {
        if self.file_cache.is_none() {
            let root = self.settings.workspace.clone();
            let listing = tokio::task::spawn_blocking(move || walk(&root, MAX_LISTED_FILES))
                .await
                .unwrap_or_default();
            self.file_cache = Some(listing);
        }
        if let Some(listing) = &self.file_cache {
            self.emit(Event::FileList(listing.clone()));
        }
    }
}

/// Files under `root` (relative, sorted by path), skipping what git ignores, hidden entries
/// and `.git`; at most `cap`.
pub fn walk(root: &Path, cap: usize) -> FileListing {
    let mut listing = FileListing::default();
    let walker = WalkBuilder::new(root)
        .hidden(true)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if listing.files.len() >= cap {
            listing.truncated = true;
            break;
        }
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        listing.files.push(rel.to_string_lossy().replace('\\', "/"));
    }
    listing
}

/// The `@path` words of a message that name an existing file (relative to the workspace, or
/// absolute / `~/`), in order, without repeats. `@` inside a word (an e-mail address) is not one.
pub fn mentioned_files(text: &str, workspace: &Path, home: Option<&Path>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let Some(path) = word.strip_prefix('@') else {
            continue;
        };
        let path = path.trim_end_matches([',', ';', ':', ')', '?', '!', '.', '"', '\'']);
        if path.is_empty() || found.iter().any(|f| f == path) {
            continue;
        }
        let full = match (path.strip_prefix("~/"), home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => workspace.join(path),
        };
        if full.is_file() {
            found.push(path.to_string());
        }
        if found.len() >= MAX_ATTACHMENTS {
            break;
        }
    }
    found
}

/// Read each attachment through the gate, add what was read to the conversation (and the
/// store), then run the turn.
pub async fn run_with_attachments(
    env: TurnEnv,
    mut conversation: Vec<ChatMessage>,
    paths: Vec<String>,
) -> TurnResult {
    for (n, path) in paths.iter().enumerate() {
        if env.cancel.is_cancelled() {
            break;
        }
        let call = ToolCall {
            id: format!("attach-{}-{n}", env.turn_id),
            name: "read_file".into(),
            arguments: serde_json::json!({ "path": path }).to_string(),
        };
        let gated = tool_call::gate(&env, &call).await;
        let done = tool_call::run(&env, gated).await;
        if done.status != ToolStatus::Ok {
            continue;
        }
        let text = attachment_message(path, &done.stored.model_content);
        if let (Some(store), Some(id)) = (env.store.clone(), env.session_id.clone()) {
            let stored = text.clone();
            // Shown again as the read it was, not as the envelope the model got.
            let shown = super::history::shown_as_tool(&done.stored);
            if let Err(e) = store
                .call(move |s| s.append_user_shown(&id, &stored, &shown))
                .await
            {
                tracing::error!(%e, "storing an attachment failed");
            }
        }
        conversation.push(ChatMessage::user(text));
    }
    turn::run(env, conversation).await
}

/// What the model is told about an attached file.
pub fn attachment_message(path: &str, content: &str) -> String {
    format!("[Attached by the user as @{path}:]\n{content}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_respects_gitignore_hidden_and_cap() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::create_dir_all(root.join("target/debug")).unwrap();
        std::fs::write(root.join(".gitignore"), "target/\n*.log\n").unwrap();
        std::fs::write(root.join("src/main.rs"), "").unwrap();
        std::fs::write(root.join("README.md"), "").unwrap();
        std::fs::write(root.join("run.log"), "").unwrap();
        std::fs::write(root.join("target/debug/bin"), "").unwrap();
        std::fs::write(root.join(".env"), "SECRET=1").unwrap();
        let listing = walk(root, 100);
        assert_eq!(listing.files, vec!["README.md", "src/main.rs"]);
        assert!(!listing.truncated);
        let capped = walk(root, 1);
        assert_eq!(capped.files.len(), 1);
        assert!(capped.truncated);
    }

    #[test]
    fn mentions_are_existing_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/lib.rs"), "").unwrap();
        let text = "look at @src/lib.rs, and @src/lib.rs again; mail me@example.com @nope.rs @src";
        assert_eq!(mentioned_files(text, root, None), vec!["src/lib.rs"]);
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("notes.txt"), "").unwrap();
        assert_eq!(
            mentioned_files("see @~/notes.txt", root, Some(home.path())),
            vec!["~/notes.txt"]
        );
    }
}
