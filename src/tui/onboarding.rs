//! The welcome screen while no model is configured: why, what the probe found, how to set one
//! up (the demo model included), and Ctrl+Y to write a working profile for what was found
//! (`Op::WriteProfile`: the runtime writes config.toml and switches, no restart). The box
//! scrolls with PgUp / PgDn when it does not fit.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Padding, Paragraph, Wrap};

use super::app::App;
use super::theme::Theme;
use crate::protocol::{NoticeLevel, OnboardingReport, Op, WriteProfile};

/// Draw the welcome box at the top of `main` (all of it when the text does not fit, then it
/// scrolls); returns the rest of `main` for the transcript, or `None` when there is no report.
pub fn render(app: &mut App, frame: &mut Frame, main: Rect) -> Option<Rect> {
    let report = app.onboarding.as_ref()?;
    let lines = onboarding_lines(report, &app.theme);
    let inner_w = main.width.saturating_sub(4).max(1) as usize;
    let rows: usize = lines.iter().map(|l| wrapped_rows(l, inner_w)).sum();
    let height = (rows as u16).saturating_add(2).min(main.height);
    let visible = usize::from(height.saturating_sub(2));
    let max_scroll = rows.saturating_sub(visible) as u16;
    app.onboarding_scroll = app.onboarding_scroll.min(max_scroll);
    let scroll = app.onboarding_scroll;
    let title = if max_scroll == 0 {
        " Welcome to pincer ".to_string()
    } else {
        format!(
            " Welcome to pincer · {}/{} · PgUp/PgDn ",
            scroll + 1,
            max_scroll + 1
        )
    };
    let [top, rest] =
        Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(main);
    let t = &app.theme;
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(t.border)
                    .padding(Padding::horizontal(1))
                    .title(Span::styled(title, t.heading)),
            ),
        top,
    );
    Some(rest)
}

/// Rows `line` takes when word-wrapped to `width` (as `Paragraph` with `Wrap` does: words
/// move to the next row whole, a word wider than the row is split).
fn wrapped_rows(line: &Line<'_>, width: usize) -> usize {
    use unicode_width::UnicodeWidthStr;
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let width = width.max(1);
    let (mut rows, mut used) = (1, 0);
    for word in text.split_inclusive(' ') {
        let w = word.width();
        let visible = word.trim_end_matches(' ').width();
        if used > 0 && used + visible > width {
            rows += 1;
            used = 0;
        }
        if used == 0 && visible > width {
            rows += (visible - 1) / width;
            used = visible % width;
            continue;
        }
        used += w;
    }
    rows
}

impl App {
    /// The welcome screen is showing (no model yet, a report came).
    pub fn onboarding_shown(&self) -> bool {
        self.provider.is_none() && self.onboarding.is_some()
    }

    /// PgUp / PgDn on the welcome screen (`render` clamps to the text).
    pub fn scroll_onboarding(&mut self, down: bool) {
        let step = 5;
        self.onboarding_scroll = if down {
            self.onboarding_scroll.saturating_add(step)
        } else {
            self.onboarding_scroll.saturating_sub(step)
        };
    }

    /// Ctrl+Y on the welcome screen: write a profile for the first usable finding.
    pub fn use_found_profile(&mut self) -> Vec<Op> {
        if !self.onboarding_shown() {
            return Vec::new();
        }
        let offer = self
            .onboarding
            .as_ref()
            .and_then(|r| WriteProfile::from_findings(&r.findings));
        match offer {
            Some(offer) => vec![Op::WriteProfile(offer)],
            None => {
                self.push_notice(
                    NoticeLevel::Info,
                    "nothing found to set up yet: start a local server or set an API key (see the welcome screen)",
                );
                Vec::new()
            }
        }
    }
}

/// The welcome screen's text for `report`.
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
    if let Some(offer) = WriteProfile::from_findings(&report.findings) {
        let what = match &offer.model {
            Some(m) => format!("{} ({m})", offer.profile),
            None => offer.profile.clone(),
        };
        lines.push(Line::from(vec![
            Span::styled("  Ctrl+Y ", t.accent.add_modifier(Modifier::BOLD)),
            Span::styled(
                format!("use {what}: save it as the default in config.toml and start"),
                t.text,
            ),
        ]));
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
        Span::styled("  Demo      ", t.accent),
        Span::styled(
            "no model handy? cargo run --example mock_model  then  pincer --base-url http://127.0.0.1:8765/v1 --model demo",
            t.text,
        ),
    ]));
    lines.push(Line::from(vec![
        Span::styled("  Config    ", t.accent),
        Span::styled(
            format!("pincer config init  writes {}", report.config_path),
            t.text,
        ),
    ]));
    lines
}
