//! Skills in the TUI: the list the slash popup offers, `/name args`, the restricted-tier status,
//! the one-time project trust question, and the editor requests of the skills pane.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget, Wrap};

use super::app::App;
use super::theme::Theme;
use crate::protocol::{
    NoticeLevel, Op, ProjectTrustRequest, SkillActivated, SkillCreated, SkillPreview, SkillsChanged,
};

/// "Trust this project?" — asked once per folder that has project skills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustRequest {
    pub path: String,
    pub folders: Vec<String>,
}

impl App {
    pub(super) fn on_skills_changed(&mut self, changed: SkillsChanged) {
        self.skills_loaded = true;
        self.skills = changed.skills;
        self.skills_user_dir = changed.user_dir;
        self.restricted_skill = changed.restricted_active;
        self.refresh_skills_pane();
    }

    /// `/name args` for a usable skill, or `None` when `name` is not one.
    pub fn skill_command(&self, name: &str, args: &str) -> Option<Op> {
        self.skills
            .iter()
            .any(|s| s.name == name && s.status.usable())
            .then(|| Op::UseSkill {
                name: name.to_string(),
                args: args.to_string(),
            })
    }

    pub(super) fn on_skill_activated(
        &mut self,
        SkillActivated { name, restricted }: SkillActivated,
    ) {
        if restricted {
            self.restricted_skill = true;
            self.push_notice(
                NoticeLevel::Warning,
                format!(
                    "restricted skill {name} is active: the model gets read-only tools for the rest of this session"
                ),
            );
        }
    }

    /// `Event::ProjectTrustRequest`: the question opens.
    pub(super) fn on_trust_request(&mut self, request: ProjectTrustRequest) {
        self.trust_request = Some(TrustRequest {
            path: request.path,
            folders: request.skill_folders,
        });
    }

    /// Keys while the trust question is open: y trusts, n declines (both remembered), Esc
    /// leaves it for another time.
    pub fn trust_key(&mut self, key: KeyEvent) -> Vec<Op> {
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                self.trust_request = None;
                vec![Op::TrustProject { trust: true }]
            }
            KeyCode::Char('n') | KeyCode::Char('N') => {
                self.trust_request = None;
                vec![Op::TrustProject { trust: false }]
            }
            KeyCode::Esc => {
                self.trust_request = None;
                self.push_notice(
                    NoticeLevel::Info,
                    "project skills stay off for this run; you will be asked again next time",
                );
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}

/// The trust question, centred over `area`.
pub fn render_trust(req: &TrustRequest, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let mut lines = vec![
        Line::from(Span::styled(
            "This folder has its own skills (and may have its own rules):",
            theme.text,
        )),
        Line::from(Span::styled(req.path.clone(), theme.heading)),
    ];
    for f in &req.folders {
        lines.push(Line::from(Span::styled(format!("  {f}"), theme.muted)));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Skills tell the model what to do; load them only if you trust who wrote this project.",
        theme.text,
    )));
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled("y", theme.accent),
        Span::styled(" trust and load (remembered)   ", theme.muted),
        Span::styled("n", theme.accent),
        Span::styled(" don't (remembered)   ", theme.muted),
        Span::styled("Esc", theme.accent),
        Span::styled(" ask next time", theme.muted),
    ]));
    let width = area.width.saturating_sub(4).min(90);
    let inner = width.saturating_sub(4).max(1) as usize;
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let height = (rows as u16 + 2).min(area.height);
    if width < 10 || height < 3 {
        return;
    }
    let rect = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + area.height.saturating_sub(height) / 2,
        width,
        height,
    );
    Clear.render(rect, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(theme.border)
                .padding(ratatui::widgets::Padding::horizontal(1))
                .title(Span::styled(" Trust this project? ", theme.heading)),
        )
        .render(rect, buf);
}

impl App {
    /// F3 / `/skills`.
    pub fn open_skills_pane(&mut self) -> Vec<Op> {
        let mut pane = super::skills_pane::SkillsPane::new();
        // Until the runtime's first list arrives the pane says "loading…".
        let action = if self.skills_loaded {
            pane.set_skills(
                self.skills.clone(),
                self.skills_user_dir.clone(),
                self.restricted_skill,
            )
        } else {
            super::skills_pane::SkillsAction::None
        };
        self.skills_pane = Some(pane);
        self.skills_action(action)
    }

    /// A new list arrived: the open pane follows it.
    fn refresh_skills_pane(&mut self) {
        let Some(pane) = self.skills_pane.as_mut() else {
            return;
        };
        let action = pane.set_skills(
            self.skills.clone(),
            self.skills_user_dir.clone(),
            self.restricted_skill,
        );
        let ops = self.skills_action(action);
        self.effects.ops(ops);
    }

    pub(super) fn on_skill_preview(&mut self, preview: SkillPreview) {
        if let Some(pane) = self.skills_pane.as_mut() {
            pane.set_preview(preview.name, preview.body);
        }
    }

    pub fn skills_pane_key(&mut self, key: KeyEvent) -> Vec<Op> {
        let Some(pane) = self.skills_pane.as_mut() else {
            return Vec::new();
        };
        let action = pane.handle_key(key);
        self.skills_action(action)
    }

    pub fn skills_pane_paste(&mut self, text: &str) -> Vec<Op> {
        let Some(pane) = self.skills_pane.as_mut() else {
            return Vec::new();
        };
        let action = pane.paste(text);
        self.skills_action(action)
    }

    fn skills_action(&mut self, action: super::skills_pane::SkillsAction) -> Vec<Op> {
        use super::skills_pane::SkillsAction as A;
        match action {
            A::None => Vec::new(),
            A::Close => {
                self.skills_pane = None;
                Vec::new()
            }
            A::Edit { path } => {
                self.effects.push(super::effect::Effect::Edit(path));
                Vec::new()
            }
            A::Create { name } => vec![Op::CreateSkill { name }],
            A::CopyBundled { name } => {
                vec![Op::CopyBundledSkill(crate::protocol::CopyBundledSkill {
                    name,
                })]
            }
            A::Reload => vec![Op::ReloadSkills],
            A::NeedPreview(name) => vec![Op::PreviewSkill { name }],
            A::Use { name } => {
                self.skills_pane = None;
                self.composer.set_text(&format!("/{name} "));
                Vec::new()
            }
        }
    }

    /// The editor closed: the pane asks for fresh bodies (an edit may not change the list).
    pub fn after_editor(&mut self) {
        self.refresh_memory_pane();
        if let Some(pane) = self.skills_pane.as_mut() {
            let action = pane.forget_previews();
            let ops = self.skills_action(action);
            self.effects.ops(ops);
        }
    }

    /// `Event::SkillCreated`: open the new SKILL.md in the editor.
    pub(super) fn on_skill_created(&mut self, SkillCreated { name, path }: SkillCreated) {
        self.push_notice(NoticeLevel::Info, format!("created skill {name}: {path}"));
        self.effects.push(super::effect::Effect::Edit(path));
    }
}
