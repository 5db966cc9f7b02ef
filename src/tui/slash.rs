//! Slash commands: handled by the TUI itself, never sent to a model.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlashCommand {
    pub name: &'static str,
    pub args: &'static str,
    pub help: &'static str,
}

pub const COMMANDS: &[SlashCommand] = &[
    SlashCommand {
        name: "help",
        args: "",
        help: "show keys and commands",
    },
    SlashCommand {
        name: "new",
        args: "",
        help: "start a new session",
    },
    SlashCommand {
        name: "model",
        args: "[NAME]",
        help: "switch profile or model; no name lists them",
    },
    SlashCommand {
        name: "mode",
        args: "[MODE]",
        help: "gate tool calls: plan, ask, auto-edit, yolo",
    },
    SlashCommand {
        name: "sessions",
        args: "",
        help: "browse, search, resume, fork (F2)",
    },
    SlashCommand {
        name: "skills",
        args: "",
        help: "skills: status, preview, edit, create (F3)",
    },
    SlashCommand {
        name: "memory",
        args: "",
        help: "memory: search, edit, forget, pin (F4)",
    },
    SlashCommand {
        name: "task",
        args: "plan|apply",
        help: "a declarative .cw task: plan or run it (FILE)",
    },
    SlashCommand {
        name: "init",
        args: "",
        help: "ask the model to write or improve AGENTS.md",
    },
    SlashCommand {
        name: "fork",
        args: "",
        help: "branch from one of your messages",
    },
    SlashCommand {
        name: "rename",
        args: "TITLE",
        help: "rename this session",
    },
    SlashCommand {
        name: "compact",
        args: "",
        help: "summarise older turns for the model now",
    },
    SlashCommand {
        name: "context",
        args: "[MESSAGE]",
        help: "what the last and next request contain, and why",
    },
    SlashCommand {
        name: "export",
        args: "[md|jsonl]",
        help: "write this session to a file",
    },
    SlashCommand {
        name: "copy",
        args: "",
        help: "copy the last code block (or reply) to the clipboard",
    },
    SlashCommand {
        name: "quit",
        args: "",
        help: "leave pincer",
    },
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Help,
    New,
    Model(String),
    Mode(String),
    Sessions,
    Skills,
    Memory,
    Task(String),
    Init,
    Fork,
    Rename(String),
    Compact,
    Context(String),
    Export(String),
    Copy,
    Quit,
    Unknown(String),
}

/// A composer text that is a command. `//text` is not a command: it sends `/text`.
pub fn parse(text: &str) -> Option<Parsed> {
    let rest = text.trim_start().strip_prefix('/')?;
    if rest.starts_with('/') {
        return None;
    }
    let (name, args) = rest
        .split_once(char::is_whitespace)
        .map(|(n, a)| (n, a.trim()))
        .unwrap_or((rest.trim_end(), ""));
    Some(match name {
        "help" | "?" => Parsed::Help,
        "new" | "clear" => Parsed::New,
        "model" => Parsed::Model(args.to_string()),
        "mode" => Parsed::Mode(args.to_string()),
        "sessions" | "resume" => Parsed::Sessions,
        "fork" => Parsed::Fork,
        "skills" => Parsed::Skills,
        "memory" => Parsed::Memory,
        "task" => Parsed::Task(args.to_string()),
        "init" => Parsed::Init,
        "rename" => Parsed::Rename(args.to_string()),
        "compact" => Parsed::Compact,
        "context" => Parsed::Context(args.to_string()),
        "export" => Parsed::Export(args.to_string()),
        "copy" => Parsed::Copy,
        "quit" | "exit" | "q" => Parsed::Quit,
        other => Parsed::Unknown(other.to_string()),
    })
}

/// Commands the popup offers for the composer text, best match first. Empty when the text is
/// not a command being typed (no leading `/`, or already past the name).
pub fn matches(text: &str) -> Vec<&'static SlashCommand> {
    let Some(typed) = text.strip_prefix('/') else {
        return Vec::new();
    };
    if typed.contains(char::is_whitespace) || typed.starts_with('/') {
        return Vec::new();
    }
    let mut prefix: Vec<_> = COMMANDS
        .iter()
        .filter(|c| c.name.starts_with(typed))
        .collect();
    let inner = COMMANDS
        .iter()
        .filter(|c| !c.name.starts_with(typed) && c.name.contains(typed));
    prefix.extend(inner);
    prefix
}

/// One row of the popup: a command or a skill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopupItem {
    pub name: String,
    pub args: String,
    pub help: String,
}

/// Commands and then usable skills matching the composer text.
pub fn matches_with_skills(text: &str, skills: &[crate::protocol::SkillInfo]) -> Vec<PopupItem> {
    let mut items: Vec<PopupItem> = matches(text)
        .into_iter()
        .map(|c| PopupItem {
            name: c.name.to_string(),
            args: c.args.to_string(),
            help: c.help.to_string(),
        })
        .collect();
    let Some(typed) = text.strip_prefix('/') else {
        return items;
    };
    if typed.contains(char::is_whitespace) || typed.starts_with('/') {
        return items;
    }
    let mut prefix = Vec::new();
    let mut inner = Vec::new();
    for skill in skills.iter().filter(|s| s.status.usable()) {
        let (name, description) = (&skill.name, &skill.description);
        if COMMANDS.iter().any(|c| c.name == name) {
            continue;
        }
        let item = PopupItem {
            name: name.clone(),
            args: "[ARGS]".into(),
            help: format!("skill: {}", description.lines().next().unwrap_or("")),
        };
        if name.starts_with(typed) {
            prefix.push(item);
        } else if name.contains(typed) {
            inner.push(item);
        }
    }
    items.extend(prefix);
    items.extend(inner);
    exact_first(&mut items, typed);
    items
}

/// An exact name wins over longer ones it prefixes (`/mode` + Enter runs `/mode`, not
/// `/model`): it moves to the top, the rest keep their order.
fn exact_first(items: &mut [PopupItem], typed: &str) {
    if let Some(pos) = items.iter().position(|i| i.name == typed) {
        items[..=pos].rotate_right(1);
    }
}

/// The popup, drawn just above `composer`.
pub fn render_popup(
    frame: &mut Frame,
    composer: Rect,
    items: &[PopupItem],
    selected: usize,
    theme: &Theme,
) {
    if items.is_empty() {
        return;
    }
    let height = (items.len() as u16 + 2).min(composer.y);
    if height < 3 {
        return;
    }
    let width = composer.width.min(72);
    let area = Rect::new(composer.x, composer.y - height, width, height);
    // Keep the selected command visible when the list is taller than the popup.
    let visible = (height - 2) as usize;
    let first = selected.saturating_sub(visible.saturating_sub(1));
    // The name column fits the longest name shown (skills can be long), at least 18 wide.
    let name_w = items
        .iter()
        .skip(first)
        .take(visible)
        .map(|c| c.name.chars().count() + c.args.chars().count() + 4)
        .max()
        .unwrap_or(0)
        .max(18);
    let lines: Vec<Line> = items
        .iter()
        .enumerate()
        .skip(first)
        .take(visible)
        .map(|(i, c)| {
            let name = format!(" /{} {}", c.name, c.args);
            let line = Line::from(vec![
                Span::styled(format!("{name:<name_w$}"), theme.accent),
                Span::styled(c.help.clone(), theme.muted),
            ]);
            if i == selected {
                line.style(theme.selection)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(theme.border)
                .title(Span::styled(
                    " commands · Tab completes · Enter runs ",
                    theme.muted,
                )),
        ),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_args() {
        assert_eq!(parse("/help"), Some(Parsed::Help));
        assert_eq!(
            parse("/model  llama3 "),
            Some(Parsed::Model("llama3".into()))
        );
        assert_eq!(parse("/model"), Some(Parsed::Model(String::new())));
        assert_eq!(parse("/quit"), Some(Parsed::Quit));
        assert_eq!(parse("/nope x"), Some(Parsed::Unknown("nope".into())));
        assert_eq!(parse("hello /help"), None);
        assert_eq!(parse("//etc/passwd?"), None);
    }

    #[test]
    fn popup_filters_as_you_type() {
        let names = |t: &str| matches(t).iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(
            names("/"),
            vec![
                "help", "new", "model", "mode", "sessions", "skills", "memory", "task", "init",
                "fork", "rename", "compact", "context", "export", "copy", "quit"
            ]
        );
        assert_eq!(
            names("/m"),
            vec!["model", "mode", "memory", "rename", "compact"]
        );
        assert_eq!(names("/se"), vec!["sessions"]);
        assert!(names("/model x").is_empty());
        assert!(names("hi").is_empty());
    }

    #[test]
    fn exact_name_comes_first() {
        let names = |t: &str| {
            matches_with_skills(t, &[])
                .into_iter()
                .map(|i| i.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("/mode"), vec!["mode", "model"]);
        assert_eq!(names("/model"), vec!["model"]);
        assert_eq!(names("/mo")[0], "model", "no exact name: order unchanged");
    }
}
