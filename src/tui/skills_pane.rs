//! The skills pane: every skill the runtime found, with its status, source and trust, the
//! selected one's detail and a preview of its body. No I/O: the caller feeds it the list
//! (`set_skills`, from `Event::SkillsChanged`) and bodies (`set_preview`, from
//! `Event::SkillPreview`), and turns the returned [`SkillsAction`]s into `Op`s or editor runs.
//!
//! Letters type into the filter (a case-insensitive substring of name or description), so the
//! commands are on Ctrl: ^E edit, ^N new, ^R reload. Drawing lives in `skills_pane/render.rs`
//! (layout), `rows.rs` and `detail.rs`.

mod detail;
mod render;
mod rows;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::filter_list::{FilterKey, FilterList, Typing};
use super::session_pane::one_line;
use crate::protocol::{SkillInfo, SkillState};

/// Longest filter the pane takes.
const MAX_FILTER: usize = 200;
/// Longest skill name (the Agent Skills naming rule).
pub const MAX_NAME: usize = 64;
/// Paths of skills shipped inside the binary start with this; they cannot be edited.
const BUNDLED_PREFIX: &str = "bundled:";

/// What the caller should do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkillsAction {
    None,
    /// Close the pane.
    Close,
    /// Open this `SKILL.md` in `$VISUAL` / `$EDITOR` (terminal suspended), then reload.
    Edit {
        path: String,
    },
    /// Create `<user_dir>/<name>/SKILL.md` from the template, then edit it.
    Create {
        name: String,
    },
    /// Copy the bundled skill into `<user_dir>/<name>/SKILL.md`, then edit it.
    CopyBundled {
        name: String,
    },
    /// Scan the skill folders again (`Op::ReloadSkills`).
    Reload,
    /// The selection is on a skill whose body is not cached (`Op::PreviewSkill`).
    NeedPreview(String),
    /// Put "/name " into the composer and close the pane.
    Use {
        name: String,
    },
}

/// What the keys edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkillsMode {
    Browse,
    /// The one-line name editor of a new skill.
    NewName {
        text: String,
    },
    /// "Copy bundled «name» into your skills folder to edit it? y/n"
    ConfirmCopy {
        name: String,
    },
}

/// A cached body; `fresh` is false after a new list arrived (the file may have changed), so
/// it is asked for again but still shown until the answer comes.
#[derive(Debug, Clone)]
struct Preview {
    body: String,
    fresh: bool,
}

#[derive(Debug)]
pub struct SkillsPane {
    skills: Vec<SkillInfo>,
    user_dir: String,
    restricted_active: bool,
    /// False until the first list: the pane shows "loading…".
    loaded: bool,
    /// Indices into `skills` of the visible rows; the filter (letters are commands — e, n,
    /// r, j, k, q — until `/`), the selection and scroll.
    list: FilterList<usize>,
    previews: HashMap<String, Preview>,
    /// Previews asked for and not yet received (each is asked once per list).
    requested: HashSet<String>,
    mode: SkillsMode,
    /// A one-shot message in the legend line; `error` draws it in the error style.
    notice: Option<Notice>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Notice {
    text: String,
    error: bool,
}

impl Default for SkillsPane {
    fn default() -> Self {
        SkillsPane::new()
    }
}

impl SkillsPane {
    /// An empty pane showing "loading…" until the first `set_skills`.
    pub fn new() -> SkillsPane {
        SkillsPane {
            skills: Vec::new(),
            user_dir: String::new(),
            restricted_active: false,
            loaded: false,
            list: FilterList::new(Typing::AfterSlash, MAX_FILTER),
            previews: HashMap::new(),
            requested: HashSet::new(),
            mode: SkillsMode::Browse,
            notice: None,
        }
    }

    pub fn filter(&self) -> &str {
        self.list.filter()
    }

    pub fn mode(&self) -> &SkillsMode {
        &self.mode
    }

    pub fn skills(&self) -> &[SkillInfo] {
        &self.skills
    }

    /// The legend's one-shot message, if any.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_ref().map(|n| n.text.as_str())
    }

    /// The skill under the cursor.
    pub fn selected_skill(&self) -> Option<&SkillInfo> {
        self.list.selected_row().and_then(|&i| self.skills.get(i))
    }

    /// A list arrived (`Event::SkillsChanged`). Keeps the selection on the same skill (same
    /// name and file, else the same name) when it is still listed. Cached bodies are kept for
    /// drawing but asked for again, since a reload usually means a file changed. Returns
    /// `NeedPreview` when the selected skill has no fresh body.
    pub fn set_skills(
        &mut self,
        skills: Vec<SkillInfo>,
        user_dir: String,
        restricted_active: bool,
    ) -> SkillsAction {
        let keep = self
            .selected_skill()
            .map(|s| (s.name.clone(), s.path.clone()));
        self.previews
            .retain(|name, _| skills.iter().any(|s| &s.name == name));
        self.skills = skills;
        self.user_dir = user_dir;
        self.restricted_active = restricted_active;
        self.loaded = true;
        let rows = self.matching_rows();
        let skills = &self.skills;
        let is = |i: usize, exact: bool| {
            keep.as_ref().is_some_and(|(name, path)| {
                skills
                    .get(i)
                    .is_some_and(|s| &s.name == name && (!exact || &s.path == path))
            })
        };
        // The same file when it is still listed, else the same name.
        let exact = rows.iter().any(|&i| is(i, true));
        self.list.set_rows(rows, |&i| is(i, exact));
        self.forget_previews()
    }

    /// The bodies may have changed on disk (an editor closed): keep showing the cached ones
    /// but ask again, starting with the selected skill's (`NeedPreview`).
    pub fn forget_previews(&mut self) -> SkillsAction {
        for p in self.previews.values_mut() {
            p.fresh = false;
        }
        self.requested.clear();
        self.preview_request()
    }

    /// A body arrived (`Event::SkillPreview`).
    pub fn set_preview(&mut self, name: String, body: String) {
        self.requested.remove(&name);
        self.previews.insert(name, Preview { body, fresh: true });
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> SkillsAction {
        self.notice = None;
        match self.mode {
            SkillsMode::Browse => self.browse_key(key),
            SkillsMode::NewName { .. } => self.name_key(key),
            SkillsMode::ConfirmCopy { .. } => self.copy_key(key),
        }
    }

    fn browse_key(&mut self, key: KeyEvent) -> SkillsAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        if self.list.is_filtering() {
            // `/` started typing a filter: letters go there until Enter or Esc.
            match self.list.filter_key(key) {
                FilterKey::Changed => return self.filter_changed(),
                FilterKey::Kept => return SkillsAction::None,
                FilterKey::Ignored => {}
            }
        }
        match key.code {
            KeyCode::Esc if !self.list.filter().is_empty() => self.set_filter(String::new()),
            KeyCode::Esc => SkillsAction::Close,
            KeyCode::Char('q') if !ctrl && !alt => SkillsAction::Close,
            KeyCode::Char('c') if ctrl => SkillsAction::Close,
            KeyCode::Enter => self.use_selected(),
            KeyCode::Char('e') if !alt => self.edit_selected(),
            KeyCode::Char('n') if !alt => {
                self.mode = SkillsMode::NewName {
                    text: String::new(),
                };
                SkillsAction::None
            }
            KeyCode::Char('r') if !alt => SkillsAction::Reload,
            KeyCode::Char('/') if !ctrl && !alt => {
                self.list.start_filtering();
                SkillsAction::None
            }
            _ if self.list.nav_key(key, true) => self.preview_request(),
            _ => match self.list.filter_key(key) {
                FilterKey::Changed => self.filter_changed(),
                FilterKey::Kept | FilterKey::Ignored => SkillsAction::None,
            },
        }
    }

    fn use_selected(&mut self) -> SkillsAction {
        let Some(s) = self.selected_skill() else {
            return SkillsAction::None;
        };
        if s.status.usable() {
            return SkillsAction::Use {
                name: s.name.clone(),
            };
        }
        let name = one_line(&s.name);
        let detail = one_line(&s.detail);
        let why = match s.status {
            SkillState::Error => format!("{name} is disabled by an error — e to fix it"),
            SkillState::Unavailable if detail.is_empty() => {
                format!("{name} is unavailable here")
            }
            SkillState::Unavailable => format!("{name} is unavailable: {detail}"),
            SkillState::Shadowed => {
                format!("this {name} is shadowed — the one higher in the list is used")
            }
            SkillState::Ok | SkillState::Warning => String::new(),
        };
        self.set_notice(why, true);
        SkillsAction::None
    }

    fn edit_selected(&mut self) -> SkillsAction {
        let Some(s) = self.selected_skill() else {
            return SkillsAction::None;
        };
        if s.path.starts_with(BUNDLED_PREFIX) {
            if s.status == SkillState::Shadowed {
                // The user's copy (or another skill of the name) is listed above: edit that.
                self.set_notice(
                    format!(
                        "{} is bundled and read-only; the one higher in the list is used — e on it edits it",
                        one_line(&s.name)
                    ),
                    true,
                );
                return SkillsAction::None;
            }
            self.mode = SkillsMode::ConfirmCopy {
                name: s.name.clone(),
            };
            return SkillsAction::None;
        }
        if s.path.trim().is_empty() {
            return SkillsAction::None;
        }
        SkillsAction::Edit {
            path: s.path.clone(),
        }
    }

    /// y copies the bundled skill into the user's folder (then it opens in the editor).
    fn copy_key(&mut self, key: KeyEvent) -> SkillsAction {
        let SkillsMode::ConfirmCopy { name } = &self.mode else {
            return SkillsAction::None;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let action = match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') if !ctrl => {
                SkillsAction::CopyBundled { name: name.clone() }
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => SkillsAction::None,
            KeyCode::Char('c') if ctrl => SkillsAction::None,
            _ => return SkillsAction::None,
        };
        self.mode = SkillsMode::Browse;
        action
    }

    fn name_key(&mut self, key: KeyEvent) -> SkillsAction {
        let SkillsMode::NewName { text } = &mut self.mode else {
            return SkillsAction::None;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Esc => self.mode = SkillsMode::Browse,
            KeyCode::Char('c') if ctrl => self.mode = SkillsMode::Browse,
            KeyCode::Enter => {
                let name = text.trim().to_string();
                let problem = name_problem(&name).or_else(|| self.exists(&name));
                if let Some(problem) = problem {
                    self.set_notice(problem, true);
                    return SkillsAction::None;
                }
                self.mode = SkillsMode::Browse;
                return SkillsAction::Create { name };
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Char(c)
                if !ctrl && !alt && !c.is_control() && text.chars().count() < MAX_NAME + 16 =>
            {
                text.push(c);
            }
            _ => {}
        }
        SkillsAction::None
    }

    /// "a skill named x already exists" unless only a bundled one has that name (a user
    /// skill of the same name then replaces it).
    fn exists(&self, name: &str) -> Option<String> {
        self.skills
            .iter()
            .find(|s| s.name == name && !s.path.starts_with(BUNDLED_PREFIX))
            .map(|s| {
                format!(
                    "{name} already exists ({}) — e edits it",
                    one_line(&s.source)
                )
            })
    }

    /// Paste into the filter (or the name editor); newlines become spaces.
    pub fn paste(&mut self, text: &str) -> SkillsAction {
        // A huge paste keeps only what a filter or a name can use.
        let head: String = text.chars().take(MAX_FILTER * 4).collect();
        let clean = one_line(&head);
        match &mut self.mode {
            SkillsMode::Browse => match self.list.paste(&clean) {
                FilterKey::Changed => self.filter_changed(),
                FilterKey::Kept | FilterKey::Ignored => SkillsAction::None,
            },
            SkillsMode::ConfirmCopy { .. } => SkillsAction::None,
            SkillsMode::NewName { text } => {
                let room = (MAX_NAME + 16).saturating_sub(text.chars().count());
                text.extend(clean.chars().take(room));
                SkillsAction::None
            }
        }
    }

    fn set_notice(&mut self, text: String, error: bool) {
        self.notice = Some(Notice { text, error });
    }

    fn set_filter(&mut self, filter: String) -> SkillsAction {
        match self.list.set_filter(filter) {
            FilterKey::Changed => self.filter_changed(),
            FilterKey::Kept | FilterKey::Ignored => SkillsAction::None,
        }
    }

    /// The filter text changed: the matches again, the best one selected.
    fn filter_changed(&mut self) -> SkillsAction {
        let rows = self.matching_rows();
        self.list.set_rows_from_top(rows);
        self.preview_request()
    }

    /// `NeedPreview` for the selected skill, once per list, unless a fresh body is cached.
    /// Shadowed skills get none: a preview by name would show the skill that shadows them.
    fn preview_request(&mut self) -> SkillsAction {
        let Some(s) = self.selected_skill() else {
            return SkillsAction::None;
        };
        if s.status == SkillState::Shadowed {
            return SkillsAction::None;
        }
        let name = s.name.clone();
        if self.previews.get(&name).is_some_and(|p| p.fresh) || !self.requested.insert(name.clone())
        {
            return SkillsAction::None;
        }
        SkillsAction::NeedPreview(name)
    }

    /// The visible rows: all skills in the runtime's order without a filter; with one, those
    /// whose name contains it first, then those whose description does.
    fn matching_rows(&self) -> Vec<usize> {
        let needle = self.list.filter().trim().to_lowercase();
        if needle.is_empty() {
            (0..self.skills.len()).collect()
        } else {
            let (mut by_name, mut by_desc) = (Vec::new(), Vec::new());
            for (i, s) in self.skills.iter().enumerate() {
                if s.name.to_lowercase().contains(&needle) {
                    by_name.push(i);
                } else if s.description.to_lowercase().contains(&needle) {
                    by_desc.push(i);
                }
            }
            by_name.extend(by_desc);
            by_name
        }
    }
}

/// Why `name` cannot be a new skill's name (the Agent Skills rule), or `None`.
pub fn name_problem(name: &str) -> Option<String> {
    let len = name.chars().count();
    if len == 0 {
        return Some("type a name: lowercase letters, digits and hyphens".into());
    }
    if len > MAX_NAME {
        return Some(format!("a name has at most {MAX_NAME} characters ({len})"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        let shown = if c == ' ' {
            "a space".to_string()
        } else {
            format!("«{c}»")
        };
        return Some(format!(
            "{shown} is not allowed: use lowercase letters, digits and hyphens"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("a name cannot start or end with a hyphen".into());
    }
    if name.contains("--") {
        return Some("a name cannot have two hyphens in a row".into());
    }
    None
}
