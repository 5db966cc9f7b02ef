//! Draw the whole screen from `App` state: transcript (or onboarding), slash popup, composer,
//! status line, help overlay.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::app::{App, Overlay, TurnState, display_model};
use super::input::popup_items;
use super::slash;
use super::theme::Theme;
use crate::protocol::OnboardingReport;

const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn render(app: &mut App, frame: &mut Frame) {
    let area = frame.area();
    let composer_height = app
        .composer
        .height(area.width)
        .min(area.height.saturating_sub(2).max(3));
    let [main, composer, status] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(composer_height),
        Constraint::Length(1),
    ])
    .areas(area);

    let mut transcript_area = main;
    if app.provider.is_none() {
        if let Some(report) = &app.onboarding {
            let lines = onboarding_lines(report, &app.theme);
            let inner = main.width.saturating_sub(4).max(1) as usize;
            let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
            let height = (rows as u16 + 2).min(main.height);
            let [top, rest] =
                Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(main);
            frame.render_widget(
                Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                    Block::bordered()
                        .border_type(BorderType::Rounded)
                        .border_style(app.theme.border)
                        .padding(ratatui::widgets::Padding::horizontal(1))
                        .title(Span::styled(" Welcome to pincer ", app.theme.heading)),
                ),
                top,
            );
            transcript_area = rest;
        }
    } else if app.transcript.is_empty() {
        render_welcome(app, frame, main);
    }
    let (theme, hl) = (&app.theme, &app.highlighter);
    app.transcript.render(frame, transcript_area, theme, hl);

    app.composer.render(frame, composer);
    let items = popup_items(app);
    slash::render_popup(
        frame,
        composer,
        &items,
        app.slash_selected.min(items.len().saturating_sub(1)),
        &app.theme,
    );
    super::input_state::render_popups(app, frame, composer);
    render_status(app, frame, status);
    if let Some(pane) = &app.sessions {
        let now_ms = app.clock.wall_ms();
        pane.render(area, frame.buffer_mut(), &app.theme, now_ms);
    }
    if let Some(pane) = &app.skills_pane {
        pane.render(area, frame.buffer_mut(), &app.theme);
    }
    if let Some(picker) = &app.fork_picker {
        picker.render(main, frame.buffer_mut(), &app.theme);
    }
    if let Some(req) = &app.trust_request {
        super::skill_ui::render_trust(req, main, frame.buffer_mut(), &app.theme);
    }
    if app.approvals.is_open() {
        let (theme, hl) = (&app.theme, &app.highlighter);
        app.approvals.render(frame, main, theme, hl);
    } else if app.overlay == Some(Overlay::Help) {
        render_help(&app.theme, app.conv.shift_enter, frame, main);
    }
}

fn render_welcome(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let mut lines = vec![Line::from(Span::styled("pincer", t.heading))];
    if let Some(p) = &app.provider {
        lines.push(Line::from(Span::styled(
            format!("{} · {}", p.profile, display_model(&p.model)),
            t.accent,
        )));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        format!(
            "Enter sends · {}: new line · / commands · ? help",
            super::input_keys::newline_keys(app.conv.shift_enter)
        ),
        t.muted,
    )));
    let height = lines.len() as u16;
    let y = area.y + area.height.saturating_sub(height) / 2;
    let centered = Rect::new(area.x, y, area.width, height.min(area.height));
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(ratatui::layout::Alignment::Center)
            .wrap(Wrap { trim: true }),
        centered,
    );
}

pub fn onboarding_lines(report: &OnboardingReport, t: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::from(Span::styled(
            "No model is configured yet.",
            t.text.add_modifier(Modifier::BOLD),
        )),
        Line::from(Span::styled(report.reason.clone(), t.muted)),
        Line::default(),
    ];
    if !report.probe_done {
        lines.push(Line::from(Span::styled(
            "Looking for local model servers…",
            t.muted,
        )));
    } else if report.findings.is_empty() {
        lines.push(Line::from(Span::styled(
            "Found no local model server (Ollama, llama.cpp, LM Studio, vLLM) and no API key.",
            t.warning,
        )));
    }
    if !report.findings.is_empty() {
        lines.push(Line::from(Span::styled("Found:", t.heading)));
        for f in &report.findings {
            let mut spans = vec![
                Span::styled("  ✓ ", t.success),
                Span::styled(f.label.clone(), t.text),
            ];
            if !f.models.is_empty() {
                let shown: Vec<&str> = f.models.iter().take(3).map(String::as_str).collect();
                let more = f.models.len().saturating_sub(3);
                let list = if more > 0 {
                    format!("{} +{more}", shown.join(", "))
                } else {
                    shown.join(", ")
                };
                spans.push(Span::styled(format!(" — {list}"), t.muted));
            }
            if let Some(profile) = &f.profile {
                spans.push(Span::styled("  → type ", t.muted));
                spans.push(Span::styled(format!("/model {profile}"), t.inline_code));
            }
            lines.push(Line::from(spans));
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled("To set one up:", t.heading)));
    let how = [
        (
            "OpenAI",
            "export OPENAI_API_KEY=sk-…  and start pincer again",
        ),
        (
            "Anthropic",
            "export ANTHROPIC_API_KEY=…  and start pincer again",
        ),
        ("Ollama", "ollama serve  then  pincer --provider ollama"),
        (
            "llama.cpp",
            "llama-server -m model.gguf --port 8080  then  pincer --provider llamacpp",
        ),
        (
            "Other",
            "pincer --base-url http://HOST:PORT/v1 --model NAME",
        ),
    ];
    for (name, cmd) in how {
        lines.push(Line::from(vec![
            Span::styled(format!("  {name:<10}"), t.accent),
            Span::styled(cmd, t.text),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled("  Config    ", t.accent),
        Span::styled(
            format!("pincer config init  writes {}", report.config_path),
            t.text,
        ),
    ]));
    lines
}

fn short_tokens(n: u64) -> String {
    match n {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}k", n as f64 / 1000.0),
        _ => format!("{:.1}M", n as f64 / 1_000_000.0),
    }
}

fn seconds(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.1}s")
    } else {
        format!("{s:.0}s")
    }
}

pub fn status_spans(
    app: &App,
    now: Instant,
    width: u16,
) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
    let t = &app.theme;
    let mut left = vec![Span::styled(
        match &app.provider {
            Some(p) => format!(" {} · {} ", p.profile, display_model(&p.model)),
            None => " no model ".to_string(),
        },
        t.status.add_modifier(Modifier::BOLD),
    )];
    let mode_style = match app.mode {
        crate::protocol::ApprovalMode::Yolo => t.error,
        crate::protocol::ApprovalMode::AutoEdit => t.warning,
        _ => t.muted,
    };
    left.push(Span::styled(
        format!(" {} ·", app.mode.as_str()),
        mode_style,
    ));
    if app.restricted_skill {
        left.push(Span::styled(" restricted skill: read-only ·", t.warning));
    }
    let state = match app.turn {
        _ if app.approvals.is_open() => Span::styled(" waiting for your approval", t.warning),
        TurnState::Idle => Span::styled(" idle", t.muted),
        TurnState::Thinking { since } | TurnState::Streaming { since } => {
            let verb = if matches!(app.turn, TurnState::Thinking { .. }) {
                "thinking"
            } else {
                "streaming"
            };
            let frame = SPINNER[app.spinner % SPINNER.len()];
            Span::styled(
                format!(
                    " {frame} {verb} {} · Esc to stop",
                    seconds(now.saturating_duration_since(since))
                ),
                t.accent,
            )
        }
    };
    left.push(state);
    if let Some(hint) = &app.hint {
        left.push(Span::styled(format!("  {hint}"), t.warning));
    }

    let mut right = Vec::new();
    if width >= 60 {
        let mut parts = Vec::new();
        if app.queued > 0 {
            parts.push(format!("{} queued", app.queued));
        }
        if !matches!(app.transcript.scroll, super::transcript::Scroll::Follow) {
            parts.push("scrolled · End".to_string());
        }
        if let Some(last) = app.last_turn {
            let approx = if last.estimated { "~" } else { "" };
            parts.push(match last.tokens {
                Some(tokens) => format!(
                    "last {approx}{} tok · {}",
                    short_tokens(tokens),
                    seconds(last.duration)
                ),
                None => format!("last {}", seconds(last.duration)),
            });
        }
        if let Some((used, window)) = app.context
            && window > 0
        {
            parts.push(format!("ctx {}%", (used * 100 / window).min(999)));
        }
        if app.session_tokens > 0 {
            let approx = if app.session_tokens_estimated {
                "~"
            } else {
                ""
            };
            parts.push(format!(
                "session {approx}{} tok",
                short_tokens(app.session_tokens)
            ));
        }
        if !parts.is_empty() {
            right.push(Span::styled(format!("{} ", parts.join(" · ")), t.muted));
        }
    }
    (left, right)
}

fn render_status(app: &App, frame: &mut Frame, area: Rect) {
    let (left, mut right) = status_spans(app, app.clock.now(), area.width);
    let left_width: usize = left.iter().map(Span::width).sum();
    let mut right_width: u16 = right.iter().map(|s| s.width() as u16).sum();
    if left_width + right_width as usize + 1 > area.width as usize {
        // The state on the left matters more than the counters on the right.
        right.clear();
        right_width = 0;
    }
    let [l, r] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(right_width)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)), l);
    frame.render_widget(Paragraph::new(Line::from(right)), r);
}

pub const HELP_KEYS: &[(&str, &str)] = &[
    ("Enter", "send the message"),
    ("Up / Down", "earlier messages (on the first / last line)"),
    ("Esc", "stop the reply · close the popup"),
    ("Ctrl+C", "clear the composer · twice: quit"),
    ("Ctrl+Z", "suspend to the shell (fg to come back)"),
    ("PgUp / PgDn", "scroll the transcript"),
    (
        "Home / End",
        "top / bottom (Ctrl+Home / Ctrl+End while typing)",
    ),
    ("Shift+Tab", "cycle mode: plan → ask → auto-edit → yolo"),
    ("Ctrl+O", "show / fold the full output of tool calls"),
    (
        "F2 · Ctrl+S",
        "sessions: search, resume, fork, rename, export",
    ),
    (
        "y · s · a · n · Esc",
        "approve: once · session · always · deny · stop",
    ),
    ("? · F1", "this help"),
    (
        "/",
        "commands: /sessions /fork /compact /new /model /mode …",
    ),
    ("//text", "send text that starts with /"),
];

fn render_help(t: &Theme, shift_enter: bool, frame: &mut Frame, area: Rect) {
    let newline = [(super::input_keys::newline_keys(shift_enter), "new line")];
    let mut lines: Vec<Line> = HELP_KEYS[..1]
        .iter()
        .chain(&newline)
        .chain(&HELP_KEYS[1..])
        .chain(super::input_keys::CONVENTION_KEYS)
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!(" {k:<34}"), t.accent),
                Span::styled(*v, t.text),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        " Mouse capture is off: select and copy text as usual.",
        t.muted,
    )));
    let width = area.width.min(90);
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(t.border)
                .title(Span::styled(" Keys · any key closes ", t.heading)),
        ),
        popup,
    );
}
