//! Every layer's keys as data. The base layer dispatches through `BASE` (key → action); the
//! panes, pickers and overlays handle their own keys and list them here. The help overlay and
//! the pane footers are built from these tables, so they cannot drift from what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// One documented key (or key group) of a layer.
#[derive(Debug, Clone, Copy)]
pub struct KeyHelp {
    /// As shown: `Ctrl+C`, `↑↓`, `F2 · Ctrl+S`.
    pub keys: &'static str,
    /// Short label for a footer legend.
    pub short: &'static str,
    /// One line for the help overlay.
    pub long: &'static str,
}

const fn k(keys: &'static str, short: &'static str, long: &'static str) -> KeyHelp {
    KeyHelp { keys, short, long }
}

/// What a base-layer key does (the composer's own editing keys are not listed as actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseAction {
    ClearOrQuit,
    Suspend,
    Stop,
    ToggleToolOutput,
    CycleMode,
    Sessions,
    Skills,
    Memory,
    UndoMemory,
    UseFound,
    Help,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Ctrl+D on an empty composer.
    Quit,
    /// Ctrl+R: the prompt search layer.
    SearchPrompts,
    /// Ctrl+G (or Ctrl+X Ctrl+E): the prompt in `$EDITOR`.
    EditPrompt,
    /// Ctrl+X: the next Ctrl+E edits the prompt.
    EditChordPrefix,
}

/// When a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    Always,
    /// Only while the composer is empty (otherwise the key types or moves the cursor).
    EmptyComposer,
}

#[derive(Debug, Clone, Copy)]
pub struct Chord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
    pub guard: Guard,
}

const fn plain(code: KeyCode) -> Chord {
    Chord {
        code,
        mods: KeyModifiers::NONE,
        guard: Guard::Always,
    }
}

const fn ctrl(c: char) -> Chord {
    Chord {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
        guard: Guard::Always,
    }
}

const fn when_empty(code: KeyCode, mods: KeyModifiers) -> Chord {
    Chord {
        code,
        mods,
        guard: Guard::EmptyComposer,
    }
}

/// A base-layer binding: the chords that trigger `action` (none: the composer handles it).
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub chords: &'static [Chord],
    pub action: Option<BaseAction>,
    pub help: KeyHelp,
}

const fn bind(chords: &'static [Chord], action: BaseAction, help: KeyHelp) -> Binding {
    Binding {
        chords,
        action: Some(action),
        help,
    }
}

const fn composer(help: KeyHelp) -> Binding {
    Binding {
        chords: &[],
        action: None,
        help,
    }
}

/// The newline chords; Shift+Enter is dropped from what is shown where the terminal does not
/// report it (`input_keys::newline_keys`).
pub const NEWLINE_KEYS: &str = "Shift+Enter · Alt+Enter · Ctrl+J";

/// The composer and transcript.
pub const BASE: &[Binding] = &[
    composer(k(
        "Enter",
        "send",
        "send the message (queued while a reply runs)",
    )),
    composer(k(NEWLINE_KEYS, "new line", "new line")),
    composer(k(
        "@path",
        "attach",
        "attach a workspace file (a list pops up; Tab / Enter picks)",
    )),
    composer(k(
        "!command",
        "shell",
        "run a shell command (gated); its output joins the conversation",
    )),
    composer(k(
        "↑ · Esc · Ctrl+U",
        "queued",
        "↑ on an empty composer takes back the last queued message; Esc / Ctrl+U cancels it",
    )),
    composer(k(
        "↑ / ↓",
        "history",
        "earlier messages (first / last line); scroll while scrolled back",
    )),
    bind(
        &[plain(KeyCode::Esc)],
        BaseAction::Stop,
        k("Esc", "stop", "stop the reply · close the popup"),
    ),
    bind(
        &[ctrl('c')],
        BaseAction::ClearOrQuit,
        k("Ctrl+C", "quit", "clear the composer · twice: quit"),
    ),
    bind(
        &[when_empty(KeyCode::Char('d'), KeyModifiers::CONTROL)],
        BaseAction::Quit,
        k("Ctrl+D", "quit", "quit (on an empty composer)"),
    ),
    bind(
        &[ctrl('r')],
        BaseAction::SearchPrompts,
        k("Ctrl+R", "search", "search earlier prompts"),
    ),
    bind(
        &[ctrl('g')],
        BaseAction::EditPrompt,
        k(
            "Ctrl+G · Ctrl+X Ctrl+E",
            "editor",
            "edit the prompt in $VISUAL / $EDITOR",
        ),
    ),
    bind(&[ctrl('x')], BaseAction::EditChordPrefix, k("", "", "")),
    bind(
        &[ctrl('z')],
        BaseAction::Suspend,
        k(
            "Ctrl+Z",
            "suspend",
            "suspend to the shell (fg to come back)",
        ),
    ),
    bind(
        &[plain(KeyCode::PageUp)],
        BaseAction::PageUp,
        k("PgUp / PgDn · wheel", "scroll", "scroll the transcript"),
    ),
    bind(
        &[plain(KeyCode::PageDown)],
        BaseAction::PageDown,
        k("", "", ""),
    ),
    bind(
        &[
            Chord {
                code: KeyCode::Home,
                mods: KeyModifiers::CONTROL,
                guard: Guard::Always,
            },
            when_empty(KeyCode::Home, KeyModifiers::NONE),
        ],
        BaseAction::Top,
        k(
            "Home / End",
            "top / bottom",
            "top / bottom (Ctrl+ while typing)",
        ),
    ),
    bind(
        &[
            Chord {
                code: KeyCode::End,
                mods: KeyModifiers::CONTROL,
                guard: Guard::Always,
            },
            when_empty(KeyCode::End, KeyModifiers::NONE),
        ],
        BaseAction::Bottom,
        k("", "", ""),
    ),
    bind(
        &[plain(KeyCode::BackTab)],
        BaseAction::CycleMode,
        k(
            "Shift+Tab",
            "mode",
            "cycle mode: plan → ask → auto-edit → yolo",
        ),
    ),
    bind(
        &[ctrl('o')],
        BaseAction::ToggleToolOutput,
        k(
            "Ctrl+O",
            "tool output",
            "show / fold the full output of tool calls",
        ),
    ),
    bind(
        &[plain(KeyCode::F(2)), ctrl('s')],
        BaseAction::Sessions,
        k(
            "F2 · Ctrl+S",
            "sessions",
            "sessions pane: search, resume, fork",
        ),
    ),
    bind(
        &[plain(KeyCode::F(3))],
        BaseAction::Skills,
        k("F3", "skills", "skills pane: status, preview, edit, new"),
    ),
    bind(
        &[plain(KeyCode::F(4))],
        BaseAction::Memory,
        k(
            "F4",
            "memory",
            "memory pane: search, edit, forget, pin (/memory)",
        ),
    ),
    bind(
        &[Chord {
            code: KeyCode::Char('u'),
            mods: KeyModifiers::ALT,
            guard: Guard::Always,
        }],
        BaseAction::UndoMemory,
        k("Alt+U", "undo memory", "undo the latest memory change"),
    ),
    bind(
        &[when_empty(KeyCode::Char('y'), KeyModifiers::CONTROL)],
        BaseAction::UseFound,
        k(
            "Ctrl+Y",
            "use found",
            "no model yet: save what the welcome screen found as the default and start",
        ),
    ),
    bind(
        &[
            plain(KeyCode::F(1)),
            when_empty(KeyCode::Char('?'), KeyModifiers::NONE),
        ],
        BaseAction::Help,
        k("? · F1", "help", "this help"),
    ),
    composer(k(
        "/",
        "commands",
        "commands: /sessions /fork /copy /model …",
    )),
    composer(k("//text", "", "send text that starts with /")),
];

/// The base action `key` triggers, if any.
pub fn base_action(key: &KeyEvent, composer_empty: bool) -> Option<BaseAction> {
    // Shift is part of the character (`?`) or of the key (BackTab), not a chord of its own.
    let mods = match key.code {
        KeyCode::Char(_) | KeyCode::BackTab => key.modifiers.difference(KeyModifiers::SHIFT),
        _ => key.modifiers,
    };
    BASE.iter().find_map(|b| {
        let hit = b.chords.iter().any(|c| {
            c.code == key.code && c.mods == mods && (c.guard == Guard::Always || composer_empty)
        });
        if hit { b.action } else { None }
    })
}

/// The approval overlay.
pub const APPROVAL: &[KeyHelp] = &[
    k("y", "once", "approve this call once"),
    k(
        "s",
        "session",
        "approve for this session (edit the rule, Enter)",
    ),
    k(
        "a",
        "always",
        "approve always: save the rule to config.toml",
    ),
    k("n", "deny", "deny, with a reason for the model"),
    k("Esc · Ctrl+C", "stop", "deny and stop the turn"),
    k("↑↓ · PgUp/PgDn", "scroll", "scroll the preview"),
];

/// The session pane (F2).
pub const SESSIONS: &[KeyHelp] = &[
    k("↑↓", "move", "move the selection · type to filter"),
    k("Enter", "resume", "resume the selected session"),
    k(
        "Tab",
        "this dir/all",
        "this folder's sessions / all sessions",
    ),
    k("^R", "rename", "rename"),
    k("^F", "fork", "fork into a new session"),
    k("^A", "archive", "archive / unarchive"),
    k("^D", "delete", "delete (asks first)"),
    k("^E", "export md", "export as Markdown"),
    k("^J", "export jsonl", "export as JSONL"),
    k("^T", "-p runs", "show / hide headless (-p) runs"),
    k("Esc", "close", "close the pane"),
];

/// The skills pane asking to copy a bundled skill before editing it.
pub const SKILL_COPY: &[KeyHelp] = &[
    k(
        "y",
        "copy and edit",
        "copy the bundled skill into your folder and edit it",
    ),
    k("n · Esc", "cancel", "leave it"),
];

/// The memory pane (F4, `/memory`).
pub const MEMORY: &[KeyHelp] = &[
    k("↑↓", "move", "move the selection"),
    k("/", "search", "search memory as you type"),
    k("e", "edit", "open the entry's file in $EDITOR at its line"),
    k("f", "forget", "forget the entry (asks first)"),
    k("p", "pin", "pin / unpin (pinned entries do not fade)"),
    k("s", "superseded", "show / hide superseded entries"),
    k("Tab", "scope", "all / user / this project"),
    k("Esc", "close", "close the pane"),
];

/// The memory pane while typing a search.
pub const MEMORY_SEARCH: &[KeyHelp] = &[
    k("Enter", "keep", "keep the search, back to the keys"),
    k("Esc", "clear", "clear the search"),
    k("↑↓", "move", "move the selection"),
];

/// The memory pane asking before it forgets.
pub const MEMORY_FORGET: &[KeyHelp] = &[
    k("y", "forget", "forget it"),
    k("n · Esc", "keep it", "keep it"),
];

/// The session pane while renaming.
pub const RENAME: &[KeyHelp] = &[
    k("Enter", "save", "save the title"),
    k("Esc", "cancel", "cancel"),
];

/// The skills pane (F3).
pub const SKILLS: &[KeyHelp] = &[
    k("↑↓", "move", "move the selection"),
    k("Enter", "use", "put /name in the composer"),
    k("e", "edit", "edit SKILL.md in $EDITOR"),
    k("n", "new", "create a skill in your folder"),
    k("r", "reload", "scan the skill folders again"),
    k("/", "filter", "filter by name or description"),
    k("Esc", "close", "close the pane"),
];

/// The skills pane while naming a new skill.
pub const SKILL_NAME: &[KeyHelp] = &[
    k("Enter", "create", "create the skill"),
    k("Esc", "cancel", "cancel"),
];

/// The `/fork` picker.
pub const FORK: &[KeyHelp] = &[
    k("↑↓", "move", "pick the message to fork before"),
    k(
        "Enter",
        "fork here",
        "fork: the message returns to the composer",
    ),
    k("Esc", "cancel", "cancel"),
];

/// The project trust question.
pub const TRUST: &[KeyHelp] = &[
    k("y", "trust", "trust this project's skills (remembered)"),
    k("n", "no", "do not load them (remembered)"),
    k(
        "Esc",
        "not now",
        "skip for this run (asked again next time)",
    ),
];

/// The Ctrl+R prompt search popup.
pub const PROMPT_SEARCH: &[KeyHelp] = &[
    k("type", "filter", "narrow the list (fuzzy)"),
    k("Ctrl+R · ↑↓", "older/newer", "older / newer match"),
    k("Enter · Tab", "use", "put the prompt in the composer"),
    k("Esc · Ctrl+C", "close", "close, composer unchanged"),
];

/// The `@` file completion popup (other keys keep typing in the composer).
pub const PATH_COMPLETION: &[KeyHelp] = &[
    k("↑↓", "move", "move the selection"),
    k("Tab · Enter", "attach", "put the path in the composer"),
    k("Esc", "hide", "hide the list for this word"),
];

/// The help overlay itself.
pub const HELP: &[KeyHelp] = &[
    k("↑↓ · PgUp/PgDn · wheel", "scroll", "scroll this help"),
    k("any other key", "close", "close the help"),
];

/// Every section of the help overlay: title and keys.
pub fn help_sections() -> Vec<(&'static str, Vec<KeyHelp>)> {
    let base: Vec<KeyHelp> = BASE
        .iter()
        .map(|b| b.help)
        .filter(|h| !h.keys.is_empty())
        .collect();
    vec![
        ("Chat", base),
        ("Approval", APPROVAL.to_vec()),
        ("Sessions pane · F2", SESSIONS.to_vec()),
        ("Renaming a session", RENAME.to_vec()),
        ("Skills pane · F3", SKILLS.to_vec()),
        ("Naming a new skill", SKILL_NAME.to_vec()),
        ("Editing a bundled skill", SKILL_COPY.to_vec()),
        ("Memory pane · F4", MEMORY.to_vec()),
        ("Searching memory", MEMORY_SEARCH.to_vec()),
        ("Forgetting a memory", MEMORY_FORGET.to_vec()),
        ("Fork picker · /fork", FORK.to_vec()),
        ("Task · /task", super::task_pane::KEYS.to_vec()),
        ("Prompt search · Ctrl+R", PROMPT_SEARCH.to_vec()),
        ("File list · @", PATH_COMPLETION.to_vec()),
        ("Project trust question", TRUST.to_vec()),
        ("Help", HELP.to_vec()),
    ]
}

/// `(keys, short label)` pairs for a footer legend.
pub fn legend(keys: &[KeyHelp]) -> Vec<(&'static str, &'static str)> {
    keys.iter()
        .filter(|h| !h.short.is_empty())
        .map(|h| (h.keys, h.short))
        .collect()
}

/// A one-line hint for a popup's title: `keys label` pairs, two spaces apart.
pub fn hint_line(keys: &[KeyHelp]) -> String {
    legend(keys)
        .into_iter()
        .map(|(k, s)| format!("{k} {s}"))
        .collect::<Vec<_>>()
        .join("  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn every_base_action_has_a_chord_and_every_chord_one_action() {
        for b in BASE {
            assert_eq!(b.action.is_some(), !b.chords.is_empty(), "{:?}", b.help);
            for c in b.chords {
                let hits: Vec<_> = BASE
                    .iter()
                    .filter(|o| {
                        o.chords
                            .iter()
                            .any(|d| d.code == c.code && d.mods == c.mods)
                    })
                    .collect();
                assert_eq!(hits.len(), 1, "{:?} bound twice", c.code);
            }
        }
    }

    #[test]
    fn guarded_keys_type_while_the_composer_has_text() {
        let q = key(KeyCode::Char('?'), KeyModifiers::NONE);
        assert_eq!(base_action(&q, true), Some(BaseAction::Help));
        assert_eq!(base_action(&q, false), None);
        let home = key(KeyCode::Home, KeyModifiers::NONE);
        assert_eq!(base_action(&home, false), None);
        let ctrl_home = key(KeyCode::Home, KeyModifiers::CONTROL);
        assert_eq!(base_action(&ctrl_home, false), Some(BaseAction::Top));
    }

    #[test]
    fn the_help_lists_every_pane_and_every_documented_key() {
        let sections = help_sections();
        for title in [
            "Chat", "Approval", "Sessions", "Skills", "Memory", "Fork", "trust", "Help", "Ctrl+R",
            "@",
        ] {
            assert!(
                sections.iter().any(|(t, _)| t.contains(title)),
                "no section {title}"
            );
        }
        let listed: usize = sections.iter().map(|(_, keys)| keys.len()).sum();
        let documented = BASE.iter().filter(|b| !b.help.keys.is_empty()).count()
            + APPROVAL.len()
            + SESSIONS.len()
            + RENAME.len()
            + SKILLS.len()
            + SKILL_NAME.len()
            + SKILL_COPY.len()
            + MEMORY.len()
            + MEMORY_SEARCH.len()
            + MEMORY_FORGET.len()
            + FORK.len()
            + super::super::task_pane::KEYS.len()
            + PROMPT_SEARCH.len()
            + PATH_COMPLETION.len()
            + TRUST.len()
            + HELP.len();
        assert_eq!(listed, documented);
    }
}
