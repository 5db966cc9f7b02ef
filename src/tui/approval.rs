//! The approval overlay: a modal over the transcript for each pending request, in order.
//! Shows the one-line summary, why it asks, then the command / highlighted diff / text, with a
//! legend of the answers the runtime offered. `s`, `a` and `n` open a one-line editor (the
//! exact rule "this session" applies, the rule "always" saves — both shown before they apply and
//! editable — or a reason for the model). A turn that has read untrusted content says so.

use std::collections::VecDeque;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::markdown::{Highlighter, wrap_spans};
use super::theme::Theme;
use crate::policy::{self, CallSubject, SubjectKind};
use crate::protocol::{ApprovalDecision, ApprovalPreview, DecisionKind};
use crate::text::sanitize;

/// One pending approval, exactly as the runtime asked it.
pub type Request = crate::protocol::ApprovalRequested;

/// Why the overlay refuses to save `rule` for this request: it must cover the call being
/// approved (checked by the policy, which is pure). `None` when it may be saved, or when the
/// preview does not carry what the rule would be matched against.
fn refuse_rule(request: &Request, rule: &str) -> Option<String> {
    let kind = policy::tool_subject_kind(&request.tool)?;
    let text = match (&request.preview, kind) {
        (ApprovalPreview::Command { command, .. }, SubjectKind::Command) => command.clone(),
        (ApprovalPreview::Diff { path, .. }, SubjectKind::Path) => path.clone(),
        _ => return None,
    };
    // A network shell call's rule names `shell_network`, which allows what `shell` may not.
    let tool = match rule.split_once(':') {
        Some((t, _)) if t.trim() == policy::NETWORK_SHELL && request.tool == "shell" => {
            policy::NETWORK_SHELL.to_string()
        }
        _ => request.tool.clone(),
    };
    let subject = CallSubject::new(tool, kind, text);
    policy::rule_covers(rule, &subject).err()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorKind {
    /// The rule "this session" applies.
    SessionRule,
    /// The rule "always" saves.
    Rule,
    /// Why the call is denied (told to the model).
    Reason,
}

#[derive(Debug, Default)]
pub struct Approvals {
    pub queue: VecDeque<Request>,
    pub scroll: usize,
    pub editor: Option<(EditorKind, String)>,
    /// Why the rule in the editor was refused (cleared on the next edit).
    pub editor_error: Option<String>,
    /// Preview lines laid out for (request id, width).
    layout: Option<(u64, u16, Vec<Line<'static>>)>,
}

impl Approvals {
    pub fn is_open(&self) -> bool {
        !self.queue.is_empty()
    }

    pub fn push(&mut self, r: Request) {
        self.queue.push_back(r);
    }

    /// Drop every pending request (the turn ended or a new session started).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.scroll = 0;
        self.editor = None;
        self.editor_error = None;
        self.layout = None;
    }

    /// Drop a request that no longer needs an answer.
    pub fn withdraw(&mut self, request_id: u64) {
        let was_front = self
            .queue
            .front()
            .is_some_and(|r| r.request_id == request_id);
        self.queue.retain(|r| r.request_id != request_id);
        if was_front {
            self.scroll = 0;
            self.editor = None;
            self.editor_error = None;
        }
    }

    /// Is a question about this call waiting?
    pub fn is_waiting(&self, call_id: &str) -> bool {
        self.queue.iter().any(|r| r.call_id == call_id)
    }

    fn offers(&self, kind: DecisionKind) -> bool {
        self.queue
            .front()
            .is_some_and(|r| r.decisions.contains(&kind))
    }

    /// A key while the overlay is open: the answer to send, if one was given.
    pub fn handle_key(&mut self, key: KeyEvent) -> Option<(u64, ApprovalDecision)> {
        let front_id = self.queue.front()?.request_id;
        if let Some((kind, text)) = &mut self.editor {
            match key.code {
                KeyCode::Esc => {
                    self.editor = None;
                    self.editor_error = None;
                }
                KeyCode::Enter => {
                    if matches!(kind, EditorKind::Rule | EditorKind::SessionRule)
                        && text.trim().is_empty()
                    {
                        return None;
                    }
                    let decision = match kind {
                        EditorKind::SessionRule => ApprovalDecision::ApproveSession {
                            rule: Some(text.trim().to_string()),
                        },
                        EditorKind::Rule => ApprovalDecision::ApproveAlways {
                            rule: text.trim().to_string(),
                        },
                        EditorKind::Reason => ApprovalDecision::Deny {
                            reason: Some(text.trim().to_string()).filter(|r| !r.is_empty()),
                        },
                    };
                    let proposed = match &decision {
                        ApprovalDecision::ApproveAlways { rule } => Some(rule.as_str()),
                        ApprovalDecision::ApproveSession { rule: Some(rule) } => {
                            Some(rule.as_str())
                        }
                        _ => None,
                    };
                    if let Some(rule) = proposed {
                        if rule.is_empty() {
                            return None;
                        }
                        let refusal = self.queue.front().and_then(|r| refuse_rule(r, rule));
                        if refusal.is_some() {
                            self.editor_error = refusal;
                            return None;
                        }
                    }
                    return self.answer(front_id, decision);
                }
                KeyCode::Backspace => {
                    text.pop();
                    self.editor_error = None;
                }
                KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    text.clear();
                    self.editor_error = None;
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    text.push(c);
                    self.editor_error = None;
                }
                _ => {}
            }
            return None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('y') if self.offers(DecisionKind::ApproveOnce) => {
                self.answer(front_id, ApprovalDecision::ApproveOnce)
            }
            KeyCode::Char('s') if self.offers(DecisionKind::ApproveSession) => {
                let rule = self
                    .queue
                    .front()
                    .map(|r| r.session_rule.clone())
                    .unwrap_or_default();
                self.editor = Some((EditorKind::SessionRule, rule));
                None
            }
            KeyCode::Char('a') if self.offers(DecisionKind::ApproveAlways) => {
                let rule = self
                    .queue
                    .front()
                    .map(|r| r.suggested_rule.clone())
                    .unwrap_or_default();
                self.editor = Some((EditorKind::Rule, rule));
                None
            }
            KeyCode::Char('n') if self.offers(DecisionKind::Deny) => {
                self.editor = Some((EditorKind::Reason, String::new()));
                None
            }
            KeyCode::Esc if self.offers(DecisionKind::DenyAndStop) => {
                self.answer(front_id, ApprovalDecision::DenyAndStop)
            }
            KeyCode::Char('c') if ctrl && self.offers(DecisionKind::DenyAndStop) => {
                self.answer(front_id, ApprovalDecision::DenyAndStop)
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll += 1;
                None
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                None
            }
            KeyCode::PageDown | KeyCode::Char(' ') => {
                self.scroll += 10;
                None
            }
            KeyCode::PageUp => {
                self.scroll = self.scroll.saturating_sub(10);
                None
            }
            KeyCode::Home => {
                self.scroll = 0;
                None
            }
            _ => None,
        }
    }

    /// A paste while the overlay is open: into the one-line rule / reason editor when it is
    /// open (line breaks become spaces), otherwise dropped — never an answer.
    pub fn paste(&mut self, pasted: &str) {
        if let Some((_, text)) = &mut self.editor {
            let clean = crate::text::sanitize(pasted);
            text.extend(
                clean
                    .chars()
                    .map(|c| if c.is_whitespace() { ' ' } else { c }),
            );
            self.editor_error = None;
        }
    }

    fn answer(&mut self, id: u64, decision: ApprovalDecision) -> Option<(u64, ApprovalDecision)> {
        self.queue.pop_front();
        self.scroll = 0;
        self.editor = None;
        self.editor_error = None;
        Some((id, decision))
    }

    pub fn render(&mut self, frame: &mut Frame, area: Rect, theme: &Theme, hl: &Highlighter) {
        let Some(req) = self.queue.front().cloned() else {
            return;
        };
        if area.height < 6 || area.width < 20 {
            return;
        }
        let inner_width = area.width.saturating_sub(4);
        let stale =
            !matches!(&self.layout, Some((id, w, _)) if *id == req.request_id && *w == inner_width);
        if stale {
            self.layout = Some((
                req.request_id,
                inner_width,
                preview_lines(&req.preview, inner_width, theme, hl),
            ));
        }
        let preview: &[Line<'static>] = self
            .layout
            .as_ref()
            .map(|(_, _, l)| l.as_slice())
            .unwrap_or(&[]);

        let mut head: Vec<Line> = wrap_spans(
            vec![Span::styled(
                sanitize(&req.summary).into_owned(),
                theme.accent.add_modifier(Modifier::BOLD),
            )],
            inner_width,
        );
        head.extend(wrap_spans(
            vec![Span::styled(
                format!("why: {}", sanitize(&req.reason)),
                theme.muted,
            )],
            inner_width,
        ));
        if let Some(taint) = &req.taint {
            head.extend(wrap_spans(
                vec![Span::styled(
                    format!("this turn has read untrusted content: {}", sanitize(taint)),
                    theme.warning,
                )],
                inner_width,
            ));
        }
        head.push(Line::default());
        let foot = self.footer(&req, theme, inner_width);

        let chrome = head.len() + foot.len() + 3; // borders + blank before the footer
        let max_height = area.height as usize;
        let height = (chrome + preview.len())
            .min(max_height)
            .max(chrome.min(max_height));
        let room = height.saturating_sub(chrome);
        let max_scroll = preview.len().saturating_sub(room);
        self.scroll = self.scroll.min(max_scroll);
        let mut lines = head;
        lines.extend(preview.iter().skip(self.scroll).take(room).cloned());
        lines.push(Line::default());
        lines.extend(foot);

        let popup = Rect::new(
            area.x,
            area.y + area.height - height as u16,
            area.width,
            height as u16,
        );
        let count = if self.queue.len() > 1 {
            format!(" · 1 of {}", self.queue.len())
        } else {
            String::new()
        };
        let scroll_hint = if max_scroll > 0 {
            format!(
                " · ↑↓ {}/{} ",
                self.scroll + room.min(preview.len()),
                preview.len()
            )
        } else {
            " ".to_string()
        };
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(theme.warning)
                    .padding(ratatui::widgets::Padding::horizontal(1))
                    .title(Span::styled(
                        format!(" Approve {}?{count}{scroll_hint}", req.tool),
                        theme.warning.add_modifier(Modifier::BOLD),
                    )),
            ),
            popup,
        );
    }

    fn footer(&self, req: &Request, t: &Theme, width: u16) -> Vec<Line<'static>> {
        if let Some((kind, text)) = &self.editor {
            let label = match kind {
                EditorKind::SessionRule => "allow this session: ",
                EditorKind::Rule => "always allow: ",
                EditorKind::Reason => "reason (optional): ",
            };
            let hint = match kind {
                EditorKind::SessionRule => {
                    "Enter applies exactly this rule until the session ends, and runs (widen it with *) · Esc back"
                }
                EditorKind::Rule => "Enter saves the rule to your config and runs · Esc back",
                EditorKind::Reason => "Enter denies and tells the model · Esc back",
            };
            let mut lines = vec![Line::from(vec![
                Span::styled(label, t.accent),
                Span::styled(text.clone(), t.text),
                Span::styled("▏", t.accent),
            ])];
            if let Some(error) = &self.editor_error {
                lines.push(Line::from(Span::styled(
                    sanitize(error).to_string(),
                    t.warning,
                )));
            }
            lines.push(Line::from(Span::styled(hint, t.muted)));
            return lines;
        }
        let key = |k: &'static str, what: &'static str| {
            vec![
                Span::styled(k, t.accent.add_modifier(Modifier::BOLD)),
                Span::styled(format!(" {what}   "), t.text),
            ]
        };
        let mut spans = Vec::new();
        for d in &req.decisions {
            spans.extend(match d {
                DecisionKind::ApproveOnce => key("y", "yes"),
                DecisionKind::ApproveSession => key("s", "this session…"),
                DecisionKind::ApproveAlways => key("a", "always…"),
                DecisionKind::Deny => key("n", "no…"),
                DecisionKind::DenyAndStop => key("Esc", "no, stop"),
            });
        }
        wrap_spans(spans, width)
    }
}

/// The preview laid out to `width`: a command, a coloured and highlighted diff, or text.
pub fn preview_lines(
    preview: &ApprovalPreview,
    width: u16,
    t: &Theme,
    hl: &Highlighter,
) -> Vec<Line<'static>> {
    match preview {
        ApprovalPreview::Command { command, cwd } => {
            let mut lines = Vec::new();
            for (i, raw) in sanitize(command).lines().enumerate() {
                let prompt = if i == 0 { "$ " } else { "  " };
                lines.extend(wrap_spans(
                    vec![
                        Span::styled(prompt, t.muted),
                        Span::styled(raw.to_string(), t.inline_code),
                    ],
                    width,
                ));
            }
            lines.push(Line::from(Span::styled(
                format!("in {}", sanitize(cwd)),
                t.muted,
            )));
            lines
        }
        ApprovalPreview::Diff { path, diff } => diff_lines(path, diff, width, t, hl),
        ApprovalPreview::Text { text } => sanitize(text)
            .lines()
            .flat_map(|l| wrap_spans(vec![Span::styled(l.to_string(), t.text)], width))
            .collect(),
    }
}

fn language_of(path: &str) -> &str {
    path.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("")
}

fn diff_lines(
    path: &str,
    diff: &str,
    width: u16,
    t: &Theme,
    hl: &Highlighter,
) -> Vec<Line<'static>> {
    let lang = language_of(path);
    let clean = sanitize(diff);
    let mut out = Vec::new();
    for raw in clean.lines() {
        let (style, bg): (Style, Option<Style>) =
            if raw.starts_with("+++") || raw.starts_with("---") {
                (t.muted.add_modifier(Modifier::BOLD), None)
            } else if raw.starts_with("@@") {
                (t.accent, None)
            } else if raw.starts_with('+') {
                (t.success, Some(t.diff_added))
            } else if raw.starts_with('-') {
                (
                    t.error.remove_modifier(Modifier::BOLD),
                    Some(t.diff_removed),
                )
            } else {
                (t.text, None)
            };
        let is_code = !(raw.starts_with("+++") || raw.starts_with("---") || raw.starts_with("@@"));
        let spans = if is_code && hl.enabled() && !lang.is_empty() && raw.len() > 1 {
            let (sign, code) = raw.split_at(1);
            let mut spans = vec![Span::styled(sign.to_string(), style)];
            let highlighted = hl.highlight(code, lang);
            for line in highlighted.iter().take(1) {
                for (color, piece) in line {
                    let mut s = t.text;
                    if let Some(c) = color {
                        s = s.fg(*c);
                    }
                    if let Some(bg) = bg {
                        s = s.patch(bg);
                    }
                    spans.push(Span::styled(piece.clone(), s));
                }
            }
            spans
        } else {
            let s = match bg {
                Some(bg) => style.patch(bg),
                None => style,
            };
            vec![Span::styled(raw.to_string(), s)]
        };
        out.extend(wrap_spans(spans, width));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: u64) -> Request {
        Request {
            request_id: id,
            call_id: format!("c{id}"),
            tool: "shell".into(),
            summary: "Run `cargo test` in ~/proj".into(),
            reason: "mode ask: exec tools ask".into(),
            preview: ApprovalPreview::Command {
                command: "cargo test".into(),
                cwd: "~/proj".into(),
            },
            decisions: vec![
                DecisionKind::ApproveOnce,
                DecisionKind::ApproveSession,
                DecisionKind::ApproveAlways,
                DecisionKind::Deny,
                DecisionKind::DenyAndStop,
            ],
            suggested_rule: "shell: cargo test*".into(),
            session_rule: "shell: cargo test".into(),
            taint: None,
        }
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn answers_go_in_queue_order() {
        let mut a = Approvals::default();
        a.push(request(1));
        a.push(request(2));
        assert_eq!(
            a.handle_key(key(KeyCode::Char('y'))),
            Some((1, ApprovalDecision::ApproveOnce))
        );
        assert_eq!(a.handle_key(key(KeyCode::Char('s'))), None);
        assert_eq!(
            a.editor,
            Some((EditorKind::SessionRule, "shell: cargo test".into()))
        );
        assert_eq!(
            a.handle_key(key(KeyCode::Enter)),
            Some((
                2,
                ApprovalDecision::ApproveSession {
                    rule: Some("shell: cargo test".into())
                }
            ))
        );
        assert!(!a.is_open());
    }

    #[test]
    fn this_session_shows_the_exact_rule_and_can_widen_it() {
        let mut a = Approvals::default();
        a.push(request(3));
        a.handle_key(key(KeyCode::Char('s')));
        a.handle_key(key(KeyCode::Char('*')));
        assert_eq!(
            a.handle_key(key(KeyCode::Enter)),
            Some((
                3,
                ApprovalDecision::ApproveSession {
                    rule: Some("shell: cargo test*".into())
                }
            ))
        );
        // An emptied rule applies nothing.
        a.push(request(4));
        a.handle_key(key(KeyCode::Char('s')));
        a.handle_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(a.handle_key(key(KeyCode::Enter)), None);
        assert!(a.is_open());
    }

    #[test]
    fn always_edits_the_rule_first() {
        let mut a = Approvals::default();
        a.push(request(7));
        assert_eq!(a.handle_key(key(KeyCode::Char('a'))), None);
        for _ in 0.."test*".len() {
            a.handle_key(key(KeyCode::Backspace));
        }
        for c in "*".chars() {
            a.handle_key(key(KeyCode::Char(c)));
        }
        assert_eq!(
            a.handle_key(key(KeyCode::Enter)),
            Some((
                7,
                ApprovalDecision::ApproveAlways {
                    rule: "shell: cargo *".into()
                }
            ))
        );
    }

    #[test]
    fn the_rule_editor_refuses_a_rule_that_does_not_cover_the_call() {
        let mut a = Approvals::default();
        a.push(request(3));
        a.handle_key(key(KeyCode::Char('a')));
        a.editor = Some((EditorKind::Rule, String::new()));
        for c in "shell: cargo build*".chars() {
            a.handle_key(key(KeyCode::Char(c)));
        }
        assert_eq!(a.handle_key(key(KeyCode::Enter)), None);
        let error = a.editor_error.clone().unwrap_or_default();
        assert!(error.contains("does not cover"), "{error}");
        assert!(a.is_open() && a.editor.is_some());
        // A typo in the tool name is refused too.
        a.editor = Some((EditorKind::Rule, "shel: cargo test*".into()));
        assert_eq!(a.handle_key(key(KeyCode::Enter)), None);
        let error = a.editor_error.clone().unwrap_or_default();
        assert!(error.contains("no tool `shel`"), "{error}");
        // Editing clears the message; a covering rule is sent.
        a.editor = Some((EditorKind::Rule, "shell: cargo test".into()));
        a.handle_key(key(KeyCode::Char('*')));
        assert!(a.editor_error.is_none());
        assert_eq!(
            a.handle_key(key(KeyCode::Enter)),
            Some((
                3,
                ApprovalDecision::ApproveAlways {
                    rule: "shell: cargo test*".into()
                }
            ))
        );
    }

    #[test]
    fn deny_with_reason_and_deny_and_stop() {
        let mut a = Approvals::default();
        a.push(request(1));
        a.push(request(2));
        a.handle_key(key(KeyCode::Char('n')));
        for c in "not now".chars() {
            a.handle_key(key(KeyCode::Char(c)));
        }
        assert_eq!(
            a.handle_key(key(KeyCode::Enter)),
            Some((
                1,
                ApprovalDecision::Deny {
                    reason: Some("not now".into())
                }
            ))
        );
        assert_eq!(
            a.handle_key(key(KeyCode::Esc)),
            Some((2, ApprovalDecision::DenyAndStop))
        );
    }

    #[test]
    fn esc_in_editor_goes_back() {
        let mut a = Approvals::default();
        a.push(request(1));
        a.handle_key(key(KeyCode::Char('n')));
        assert_eq!(a.handle_key(key(KeyCode::Esc)), None);
        assert!(a.is_open() && a.editor.is_none());
    }
}
