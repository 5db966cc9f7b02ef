//! Skills in the runtime: the catalog (scanned at start and again whenever the watcher says a
//! skill folder changed), the prompt's catalog section, `/name args`, previews, and the
//! project-trust question. Scans run on the blocking pool; nothing runs while nothing changes.

use crate::protocol::{SkillActivated, SkillCreated, SkillPreview, SkillsChanged};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::mpsc::UnboundedSender;

use super::Runtime;
use crate::protocol::{ErrorKind, Event, NoticeLevel, SkillInfo, SkillState};
use crate::skills::{
    Catalog, SkillRoots, SkillWatcher, Status, Trust, activate, diff, env_var, expand_arguments,
    has_binary_on_path,
};

/// The runtime's skills: what was found, and whether a restricted one is active.
pub(super) struct Skills {
    pub roots: SkillRoots,
    pub catalog: Arc<Catalog>,
    /// Shared with running turns: set when a restricted skill is activated.
    pub restricted: Arc<AtomicBool>,
    pub watcher: Option<SkillWatcher>,
    /// What the watcher sends on (kept to restart it).
    pub wake: UnboundedSender<()>,
    /// The catalog's token budget in the system prompt.
    pub budget: usize,
    /// The prompt's catalog section for `catalog` (computed once per scan), and the skills
    /// that did not fit the budget.
    pub prompt: Option<String>,
    pub dropped: Vec<String>,
}

impl Skills {
    pub(super) fn set_catalog(&mut self, catalog: Catalog) {
        let (text, dropped) = catalog.prompt_section(self.budget);
        self.prompt = (!text.is_empty()).then_some(text);
        self.dropped = dropped;
        self.catalog = Arc::new(catalog);
    }

    /// Watch the roots again (after the project folder was trusted).
    pub fn restart_watcher(&mut self) {
        drop(self.watcher.take());
        self.watcher = SkillWatcher::start(self.roots.watch_paths(), self.wake.clone()).ok();
    }
}

/// Skills a stored session activated: `activate_skill` calls and `/name` of restricted ones.
pub(super) fn skills_used(items: &[crate::store::StoredItem]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| {
            let v: serde_json::Value = serde_json::from_str(&item.content).ok()?;
            match item.kind {
                crate::store::ItemKind::ToolCall if v["name"] == super::skill_tool::NAME => {
                    let args: serde_json::Value =
                        serde_json::from_str(v["arguments"].as_str()?).ok()?;
                    Some(args["name"].as_str()?.to_string())
                }
                crate::store::ItemKind::Notice => Some(v["restricted_skill"].as_str()?.to_string()),
                _ => None,
            }
        })
        .collect()
}

pub(super) fn scan(roots: &SkillRoots) -> Catalog {
    Catalog::scan(roots, &env_var, &has_binary_on_path)
}

fn info(catalog: &Catalog) -> Vec<SkillInfo> {
    catalog
        .entries()
        .iter()
        .map(|e| SkillInfo {
            name: e.name.clone(),
            description: e.description.clone(),
            source: e.source.label().to_string(),
            path: e.file.display().to_string(),
            restricted: e.trust == Trust::Restricted,
            status: match &e.status {
                Status::Ok => SkillState::Ok,
                Status::Warning { .. } => SkillState::Warning,
                Status::Error { .. } => SkillState::Error,
                Status::Unavailable { .. } => SkillState::Unavailable,
                Status::Shadowed { .. } => SkillState::Shadowed,
            },
            detail: e.status.detail(),
        })
        .collect()
}

/// Project folders that hold skills (shown in the trust question).
pub(super) fn project_skill_dirs(
    workspace: &std::path::Path,
    include_claude: bool,
) -> Vec<PathBuf> {
    let mut dirs = vec![
        workspace.join(".pincer").join("skills"),
        workspace.join(".agents").join("skills"),
    ];
    if include_claude {
        dirs.push(workspace.join(".claude").join("skills"));
    }
    dirs.into_iter().filter(|d| d.is_dir()).collect()
}

impl Runtime {
    /// Scan once and start watching (at start).
    pub(super) async fn start_skills(&mut self, wake: UnboundedSender<()>) {
        let Some(roots) = self.settings.skill_roots.clone() else {
            return;
        };
        let scan_roots = roots.clone();
        let catalog = tokio::task::spawn_blocking(move || scan(&scan_roots))
            .await
            .unwrap_or_default();
        let watcher = match SkillWatcher::start(roots.watch_paths(), wake.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                self.emit(Event::Notice {
                    level: NoticeLevel::Warning,
                    message: format!(
                        "skill folders are not watched ({e}); edits to skills take effect after /skills → r"
                    ),
                });
                None
            }
        };
        let mut skills = Skills {
            roots,
            catalog: Arc::default(),
            restricted: Arc::new(AtomicBool::new(false)),
            watcher,
            wake,
            budget: self.settings.config.skills.catalog_tokens,
            prompt: None,
            dropped: Vec::new(),
        };
        skills.set_catalog(catalog);
        self.skills = Some(skills);
        self.announce_skill_problems();
        self.apply_session_restriction(false);
        self.emit_skills();
    }

    /// Errors found at start (later ones are announced as changes).
    fn announce_skill_problems(&self) {
        let Some(skills) = &self.skills else { return };
        for e in skills.catalog.entries() {
            if let Status::Error { error } = &e.status {
                self.emit(Event::Notice {
                    level: NoticeLevel::Warning,
                    message: format!(
                        "{}: {}:{}: {} — disabled",
                        e.name,
                        error.file.display(),
                        error.line,
                        error.message
                    ),
                });
            }
        }
        for c in skills.catalog.capped() {
            self.emit(Event::Notice {
                level: NoticeLevel::Warning,
                message: c.message(),
            });
        }
        let dropped = &skills.dropped;
        if !dropped.is_empty() {
            self.emit(Event::Notice {
                level: NoticeLevel::Warning,
                message: format!(
                    "{} skill(s) left out of the model's catalog ([skills] catalog_tokens = {}): {}",
                    dropped.len(),
                    skills.budget,
                    dropped.join(", ")
                ),
            });
        }
    }

    pub(super) fn emit_skills(&self) {
        let Some(skills) = &self.skills else { return };
        self.emit(Event::SkillsChanged(SkillsChanged {
            skills: info(&skills.catalog),
            user_dir: skills.roots.user_dir.display().to_string(),
            restricted_active: skills.restricted.load(Ordering::Relaxed),
        }));
    }

    /// The watcher woke us (or the user asked): scan again and say what changed.
    pub(super) async fn rescan_skills(&mut self, announce_unchanged: bool) {
        let Some(skills) = &self.skills else { return };
        let roots = skills.roots.clone();
        let old = Arc::clone(&skills.catalog);
        let new = tokio::task::spawn_blocking(move || scan(&roots))
            .await
            .unwrap_or_default();
        let changes = diff(&old, &new);
        let newly_capped: Vec<String> = new
            .capped()
            .iter()
            .filter(|c| !old.capped().contains(c))
            .map(|c| c.message())
            .collect();
        if let Some(skills) = self.skills.as_mut() {
            skills.set_catalog(new);
        }
        for message in &newly_capped {
            self.emit(Event::Notice {
                level: NoticeLevel::Warning,
                message: message.clone(),
            });
        }
        for change in &changes {
            let level = match change {
                crate::skills::SkillChange::Broken { .. }
                | crate::skills::SkillChange::Warned { .. } => NoticeLevel::Warning,
                _ => NoticeLevel::Info,
            };
            self.emit(Event::Notice {
                level,
                message: change.notice(),
            });
        }
        if changes.is_empty() && newly_capped.is_empty() && announce_unchanged {
            self.emit(Event::Notice {
                level: NoticeLevel::Info,
                message: "skills scanned again: nothing changed".into(),
            });
        }
        if !changes.is_empty() || announce_unchanged {
            self.emit_skills();
        }
    }

    /// The catalog section of the system prompt (`None` without usable skills).
    pub(super) fn skills_prompt(&self) -> Option<&str> {
        self.skills.as_ref()?.prompt.as_deref()
    }

    pub(super) async fn preview_skill(&mut self, name: String) {
        let Some(skills) = &self.skills else { return };
        let Some(entry) = skills
            .catalog
            .entries()
            .iter()
            .find(|e| e.name == name)
            .cloned()
        else {
            return;
        };
        let body = tokio::task::spawn_blocking(move || match activate(&entry) {
            Ok(a) => a.body,
            Err(e) => format!("(cannot read this skill: {e})"),
        })
        .await
        .unwrap_or_default();
        self.emit(Event::SkillPreview(SkillPreview { name, body }));
    }

    /// `/name args`: the skill's body, read fresh, sent as the user's message.
    pub(super) async fn use_skill(&mut self, name: String, args: String) {
        let Some(skills) = &self.skills else {
            self.error(ErrorKind::Config, format!("no skill called {name}"));
            return;
        };
        let Some(entry) = skills.catalog.get(&name).cloned() else {
            self.error(
                ErrorKind::Config,
                format!("no usable skill called {name} (/skills lists them and says why)"),
            );
            return;
        };
        let restricted = entry.trust == Trust::Restricted;
        match tokio::task::spawn_blocking(move || activate(&entry)).await {
            Ok(Ok(a)) => {
                let text = expand_arguments(&a.body, &args);
                if restricted && let Some(skills) = &self.skills {
                    // Before the turn starts: its first request already gets read-only tools.
                    skills.restricted.store(true, Ordering::Relaxed);
                }
                let shown = if args.trim().is_empty() {
                    format!("/{name}")
                } else {
                    format!("/{name} {}", args.trim())
                };
                self.skill_message(shown, text).await;
                if restricted {
                    // After the message, so the session row exists to record it in.
                    self.mark_restricted(&name).await;
                }
            }
            Ok(Err(e)) => self.error(ErrorKind::Config, format!("skill {name}: {e}")),
            Err(e) => self.error(ErrorKind::Internal, e.to_string()),
        }
    }

    /// A new skill from the template in the per-user folder; the front end opens it.
    pub(super) async fn create_skill(&mut self, name: String) {
        let Some(skills) = &self.skills else { return };
        let dir = skills.roots.user_dir.clone();
        let key = name.clone();
        match tokio::task::spawn_blocking(move || crate::skills::new_skill(&key, &dir)).await {
            Ok(Ok(path)) => {
                self.emit(Event::SkillCreated(SkillCreated {
                    name,
                    path: path.display().to_string(),
                }));
                self.rescan_skills(false).await;
            }
            Ok(Err(e)) => self.error(
                ErrorKind::Config,
                format!("cannot create skill {name}: {e}"),
            ),
            Err(e) => self.error(ErrorKind::Internal, e.to_string()),
        }
    }

    /// `e` on a bundled skill, confirmed: the user's own copy, opened like a new skill.
    pub(super) async fn copy_bundled_skill(&mut self, name: String) {
        let Some(skills) = &self.skills else { return };
        let dir = skills.roots.user_dir.clone();
        let key = name.clone();
        match tokio::task::spawn_blocking(move || crate::skills::copy_bundled(&key, &dir)).await {
            Ok(Ok(path)) => {
                self.emit(Event::SkillCreated(SkillCreated {
                    name,
                    path: path.display().to_string(),
                }));
                self.rescan_skills(false).await;
            }
            Ok(Err(e)) => self.error(
                ErrorKind::Config,
                format!("cannot copy skill {name} into your skills folder: {e}"),
            ),
            Err(e) => self.error(ErrorKind::Internal, e.to_string()),
        }
    }

    pub(super) async fn mark_restricted(&mut self, name: &str) {
        // Kept in the session, so resuming it keeps the restriction.
        self.persist(
            crate::store::ItemKind::Notice,
            &serde_json::json!({ "restricted_skill": name }),
        )
        .await;
        self.emit(Event::SkillActivated(SkillActivated {
            name: name.to_string(),
            restricted: true,
        }));
    }

    /// A resumed session that had activated a restricted skill (by the model's
    /// `activate_skill` call or by `/name`) stays restricted. `defer`: the session's
    /// `SessionConfigured` is still to come, so the event waits for it.
    pub(super) fn apply_session_restriction(&mut self, defer: bool) {
        let Some(skills) = &self.skills else { return };
        let found = self.session_skills.iter().find(|name| {
            skills
                .catalog
                .entries()
                .iter()
                .any(|e| &e.name == *name && e.trust == Trust::Restricted)
        });
        let Some(name) = found.cloned() else { return };
        skills.restricted.store(true, Ordering::Relaxed);
        let event = Event::SkillActivated(SkillActivated {
            name,
            restricted: true,
        });
        if defer {
            self.after_configured.push(event);
        } else {
            self.emit(event);
        }
    }

    /// A new session: restricted skills are no longer active.
    pub(super) fn reset_restricted(&self) {
        if let Some(skills) = &self.skills
            && skills.restricted.swap(false, Ordering::Relaxed)
        {
            self.emit_skills();
        }
    }
}
