//! Draw the whole screen from `App` state: transcript (or onboarding), slash popup, composer,
//! status line, help overlay.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::app::{App, TurnState, display_model};
use super::input::popup_items;
use super::layers::{self, Layer};
use super::slash;

const SPINNER: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub fn render(app: &mut App, frame: &mut Frame) {
    render_layers(app, frame);
}

/// Draw the base, then every open layer bottom to top; returns the layer drawn last (the one
/// `layers::top` gives focus to).
pub fn render_layers(app: &mut App, frame: &mut Frame) -> Layer {
    let area = frame.area();
    let composer_height = app
        .composer
        .height(area.width)
        .min(area.height.saturating_sub(2).max(3));
    let queue_height =
        super::queue_view::height(app).min(area.height.saturating_sub(composer_height + 2));
    let [main, queue, composer, status] = screen_rows(area, composer_height, queue_height);

    let mut transcript_area = main;
    if app.provider.is_none() {
        if let Some(rest) = super::onboarding::render(app, frame, main) {
            transcript_area = rest;
        }
    } else if app.transcript.is_empty() {
        render_welcome(app, frame, main);
    }
    let (theme, hl) = (&app.theme, &app.highlighter);
    app.transcript.render(frame, transcript_area, theme, hl);

    super::queue_view::render(app, frame, queue);
    app.composer.render(frame, composer);
    let items = popup_items(app);
    slash::render_popup(
        frame,
        composer,
        &items,
        app.slash_selected.min(items.len().saturating_sub(1)),
        &app.theme,
    );
    render_status(app, frame, status);
    draw_layers(app, frame, [area, main, composer])
}

/// Draw the open layers above the base, bottom to top (`layers::open_layers`); returns the
/// layer drawn last, which is the one that has focus.
/// `areas`: the whole screen, the transcript's area, the composer's.
pub fn draw_layers(app: &mut App, frame: &mut Frame, areas: [Rect; 3]) -> Layer {
    let open = layers::open_layers(app);
    for layer in &open {
        draw_layer(app, *layer, frame, areas);
    }
    open.last().copied().unwrap_or(Layer::Base)
}

fn draw_layer(app: &mut App, layer: Layer, frame: &mut Frame, areas: [Rect; 3]) {
    let [area, main, composer] = areas;
    match layer {
        Layer::Base => {} // drawn by `render` (it sizes the composer and status line)
        Layer::PathCompletion => super::input_state::render_paths(app, frame, composer),
        Layer::PromptSearch => super::input_state::render_search(app, frame, composer),
        Layer::Help => super::help_view::render_help(app, frame, area),
        Layer::Sessions => {
            if let Some(pane) = &app.sessions {
                let now_ms = app.clock.wall_ms();
                pane.render(area, frame.buffer_mut(), &app.theme, now_ms);
            }
        }
        Layer::Skills => {
            if let Some(pane) = &app.skills_pane {
                pane.render(area, frame.buffer_mut(), &app.theme, &app.highlighter);
            }
        }
        Layer::Memory => {
            if let Some(pane) = &app.memory_pane {
                let now_ms = app.clock.wall_ms();
                pane.render(area, frame.buffer_mut(), &app.theme, now_ms);
            }
        }
        Layer::Task => {
            if let Some(pane) = &app.task_pane {
                pane.render(area, frame.buffer_mut(), &app.theme);
            }
        }
        Layer::ForkPicker => {
            if let Some(picker) = &app.fork_picker {
                picker.render(main, frame.buffer_mut(), &app.theme);
            }
        }
        Layer::Trust => {
            if let Some(req) = &app.trust_request {
                super::skill_ui::render_trust(req, main, frame.buffer_mut(), &app.theme);
            }
        }
        Layer::Approval => {
            let (theme, hl) = (&app.theme, &app.highlighter);
            app.approvals.render(frame, main, theme, hl);
        }
    }
}

/// The screen's rows: the status line at the bottom, the composer and the queue above it (each
/// gets what is left when the terminal is too short), the transcript on top. Plain arithmetic:
/// solving the constraints cost more than the rest of an idle frame on a cold layout cache.
fn screen_rows(area: Rect, composer_height: u16, queue_height: u16) -> [Rect; 4] {
    let mut bottom = area.bottom();
    let mut take = |height: u16| {
        let height = height.min(bottom - area.top());
        bottom -= height;
        Rect::new(area.x, bottom, area.width, height)
    };
    let status = take(1);
    let composer = take(composer_height);
    let queue = take(queue_height);
    let main = Rect::new(area.x, area.y, area.width, bottom - area.top());
    [main, queue, composer, status]
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
    if let Some(a) = &app.tier {
        let escalated = if a.escalated { ", escalated" } else { "" };
        let answered = format!(" {} tier: {}{escalated} ·", a.tier.as_str(), a.profile);
        left.push(Span::styled(answered, t.muted));
    }
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
    let mcp = app.mcp.summary();
    if !mcp.is_empty() {
        let failed = app.mcp.counts().2 > 0;
        left.push(Span::styled(
            format!(" {mcp} ·"),
            if failed { t.warning } else { t.muted },
        ));
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
    // On the left, so it shows at any width: new output is arriving below.
    if !matches!(app.transcript.scroll, super::transcript::Scroll::Follow) {
        left.push(Span::styled(" · scrolled · End", t.accent));
    }
    if let Some(hint) = &app.hint {
        left.push(Span::styled(format!("  {hint}"), t.warning));
    }

    let mut right = Vec::new();
    if width >= 60 {
        let mut parts = Vec::new();
        if app.queued > 0 {
            parts.push(format!("{} queued", app.queued));
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
        if let Some((used, window, source)) = app.context
            && window > 0
        {
            parts.push(super::model_list::context_label(used, window, source));
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
    let r_width = right_width.min(area.width);
    let l = Rect {
        width: area.width - r_width,
        ..area
    };
    let r = Rect {
        x: l.right(),
        width: r_width,
        ..area
    };
    frame.render_widget(Paragraph::new(Line::from(left)), l);
    frame.render_widget(Paragraph::new(Line::from(right)), r);
}

#[cfg(test)]
mod tests {
    use ratatui::layout::{Constraint, Layout, Rect};

    use super::screen_rows;

    #[test]
    fn screen_rows_are_what_the_constraint_solver_gave_whenever_they_fit() {
        for height in 5..50u16 {
            for composer in 3..12u16 {
                for queue in 0..6u16 {
                    if 1 + composer + queue + 1 > height {
                        continue;
                    }
                    let area = Rect::new(3, 2, 40, height);
                    let solved: [Rect; 4] = Layout::vertical([
                        Constraint::Min(1),
                        Constraint::Length(queue),
                        Constraint::Length(composer),
                        Constraint::Length(1),
                    ])
                    .areas(area);
                    assert_eq!(screen_rows(area, composer, queue), solved);
                }
            }
        }
    }

    #[test]
    fn a_terminal_too_short_keeps_the_status_line_and_what_fits_of_the_composer() {
        let [main, queue, composer, status] = screen_rows(Rect::new(0, 0, 20, 3), 5, 2);
        assert_eq!(status, Rect::new(0, 2, 20, 1));
        assert_eq!(composer, Rect::new(0, 0, 20, 2));
        assert_eq!((queue.height, main.height), (0, 0));
    }
}
