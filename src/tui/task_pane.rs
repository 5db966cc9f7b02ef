//! The task pane: `/task plan FILE` and `/task apply FILE` show the plan, then each step as
//! it starts and ends (outcome, exit code, the tail of its output), then the outcome. The
//! runtime does the work (`Op::Task`, `Event::Task`); the run's one approval comes through the
//! ordinary approval overlay, drawn above this pane. Esc hides the pane (the run goes on;
//! `/task` shows it again), Ctrl+C stops the run. No I/O.

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Widget, Wrap};

use super::app::App;
use super::keymap::KeyHelp;
use super::theme::Theme;
use crate::protocol::{
    NoticeLevel, Op, TaskAction, TaskChange, TaskOutcome, TaskRequest, TaskStep, TaskUpdate,
};

/// The pane's keys (its legend and its help section).
pub const KEYS: &[KeyHelp] = &[
    KeyHelp {
        keys: "↑↓",
        short: "scroll",
        long: "scroll the plan and the steps (PgUp PgDn Home End too)",
    },
    KeyHelp {
        keys: "Ctrl+C",
        short: "stop",
        long: "stop the running task (the running step is killed)",
    },
    KeyHelp {
        keys: "Esc",
        short: "hide",
        long: "hide the pane; the run goes on (/task shows it again)",
    },
];

/// Output lines shown under a finished step.
const TAIL_SHOWN: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
enum StepState {
    Pending,
    Running,
    Done {
        outcome: String,
        ok: bool,
        exit_code: Option<i32>,
        tail: String,
        duration_ms: u64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct StepRow {
    step: TaskStep,
    state: StepState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskPaneAction {
    None,
    Hide,
    Stop,
}

#[derive(Debug, Clone)]
pub struct TaskPane {
    action: TaskAction,
    task: String,
    file: String,
    plan: Vec<String>,
    compiling: Option<String>,
    steps: Vec<StepRow>,
    outcome: Option<TaskOutcome>,
    /// First row shown; `None` follows the end while the run goes on.
    scroll: Option<usize>,
    pub visible: bool,
}

impl TaskPane {
    pub fn new(action: TaskAction, file: &str) -> TaskPane {
        TaskPane {
            action,
            task: file.to_string(),
            file: file.to_string(),
            plan: Vec::new(),
            compiling: None,
            steps: Vec::new(),
            outcome: None,
            scroll: None,
            visible: true,
        }
    }

    pub fn running(&self) -> bool {
        self.outcome.is_none()
    }

    pub fn apply(&mut self, update: TaskUpdate) {
        self.task = update.task;
        self.file = update.file;
        match update.change {
            TaskChange::Plan { lines, .. } => self.plan = lines,
            TaskChange::Compiling { by } => self.compiling = Some(by),
            TaskChange::Steps { steps } => {
                self.steps = steps
                    .into_iter()
                    .map(|step| StepRow {
                        step,
                        state: StepState::Pending,
                    })
                    .collect();
            }
            TaskChange::StepStarted { index } => {
                if let Some(row) = self.steps.get_mut(index) {
                    row.state = StepState::Running;
                }
            }
            TaskChange::StepFinished {
                index,
                outcome,
                ok,
                exit_code,
                tail,
                duration_ms,
            } => {
                if let Some(row) = self.steps.get_mut(index) {
                    row.state = StepState::Done {
                        outcome,
                        ok,
                        exit_code,
                        tail,
                        duration_ms,
                    };
                }
            }
            TaskChange::Finished(outcome) => self.outcome = Some(outcome),
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> TaskPaneAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let at = self.scroll.unwrap_or(usize::MAX);
        match key.code {
            KeyCode::Esc => return TaskPaneAction::Hide,
            KeyCode::Char('c') if ctrl => {
                return if self.running() {
                    TaskPaneAction::Stop
                } else {
                    TaskPaneAction::Hide
                };
            }
            KeyCode::Up => self.scroll = Some(at.saturating_sub(1)),
            KeyCode::Down => self.scroll = Some(at.saturating_add(1)),
            KeyCode::PageUp => self.scroll = Some(at.saturating_sub(10)),
            KeyCode::PageDown => self.scroll = Some(at.saturating_add(10)),
            KeyCode::Home => self.scroll = Some(0),
            KeyCode::End => self.scroll = None,
            _ => {}
        }
        TaskPaneAction::None
    }

    /// Every row of the pane's body, top to bottom.
    fn lines(&self, t: &Theme) -> Vec<Line<'static>> {
        let mut out = vec![Line::from(Span::styled(
            "plan",
            t.heading.add_modifier(Modifier::BOLD),
        ))];
        if self.plan.is_empty() && self.outcome.is_none() {
            out.push(Line::from(Span::styled("  reading the task…", t.muted)));
        }
        out.extend(self.plan.iter().map(|l| plan_line(l, t)));
        if let Some(by) = &self.compiling {
            out.push(Line::default());
            let state = if self.steps.is_empty() && self.outcome.is_none() {
                "compiling with"
            } else {
                "compiled by"
            };
            out.push(Line::from(Span::styled(format!("{state} {by}"), t.muted)));
        }
        if !self.steps.is_empty() {
            out.push(Line::default());
            out.push(Line::from(Span::styled(
                "steps",
                t.heading.add_modifier(Modifier::BOLD),
            )));
        }
        for (i, row) in self.steps.iter().enumerate() {
            out.extend(step_lines(i, row, t));
        }
        if let Some(o) = &self.outcome {
            out.push(Line::default());
            let style = if o.ok { t.success } else { t.error };
            for (n, l) in o.message.lines().enumerate() {
                let mark = if n > 0 {
                    "  "
                } else if o.ok {
                    "✓ "
                } else {
                    "✗ "
                };
                out.push(Line::from(Span::styled(format!("{mark}{l}"), style)));
            }
            if o.session_id.is_some() {
                out.push(Line::from(Span::styled(
                    "stored as a session: browse it with /sessions (F2)",
                    t.muted,
                )));
            }
        }
        out
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, t: &Theme) {
        let area = area.intersection(buf.area);
        if area.width < 10 || area.height < 4 {
            return;
        }
        Clear.render(area, buf);
        let verb = match self.action {
            TaskAction::Plan => "plan",
            _ => "apply",
        };
        let state = match &self.outcome {
            None => "running",
            Some(o) if o.ok => "done",
            Some(_) => "failed",
        };
        let legend: Vec<String> = KEYS
            .iter()
            .map(|k| format!("{} {}", k.keys, k.short))
            .collect();
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(t.border)
            .title(Span::styled(
                format!(" task {verb} {} · {state} ", self.task),
                t.accent.add_modifier(Modifier::BOLD),
            ))
            .title_bottom(Span::styled(format!(" {} ", legend.join(" · ")), t.muted));
        let inner = super::session_pane::render::padded(block.inner(area));
        block.render(area, buf);
        let lines = self.lines(t);
        let height = usize::from(inner.height);
        let wrapped = wrapped_rows(&lines, inner.width);
        let last_first = wrapped.saturating_sub(height);
        let first = self.scroll.map_or(last_first, |s| s.min(last_first));
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(first).unwrap_or(u16::MAX), 0))
            .render(inner, buf);
    }
}

/// How many rows `lines` take wrapped at `width`.
fn wrapped_rows(lines: &[Line<'_>], width: u16) -> usize {
    let w = usize::from(width.max(1));
    lines.iter().map(|l| l.width().max(1).div_ceil(w)).sum()
}

fn plan_line(l: &str, t: &Theme) -> Line<'static> {
    // `  1. create file.a  (…)`: the verb after the number.
    let trimmed = l
        .trim_start()
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches('.')
        .trim_start();
    let style = if trimmed.starts_with('+') || trimmed.starts_with("create") {
        t.diff_added
    } else if trimmed.starts_with('-') || trimmed.starts_with("delete") {
        t.diff_removed
    } else if trimmed.starts_with('~') || trimmed.starts_with("update") {
        t.warning
    } else {
        t.text
    };
    Line::from(Span::styled(format!("  {l}"), style))
}

fn step_lines(i: usize, row: &StepRow, t: &Theme) -> Vec<Line<'static>> {
    let (mark, mark_style, note) = match &row.state {
        StepState::Pending => ("·", t.muted, String::new()),
        StepState::Running => ("▸", t.accent, "running…".to_string()),
        StepState::Done {
            outcome,
            ok,
            exit_code,
            duration_ms,
            ..
        } => {
            let code = exit_code.map_or(String::new(), |c| format!(", exit {c}"));
            let note = format!("{outcome}{code}, {}", seconds(*duration_ms));
            if *ok {
                ("✓", t.success, note)
            } else {
                ("✗", t.error, note)
            }
        }
    };
    let mut head = vec![
        Span::styled(format!("{mark} "), mark_style),
        Span::styled(format!("{:>2}. ", i + 1), t.muted),
        Span::styled(row.step.purpose.clone(), t.text),
    ];
    if !note.is_empty() {
        head.push(Span::styled(format!("  {note}"), t.muted));
    }
    let mut out = vec![
        Line::from(head),
        Line::from(Span::styled(
            format!("      $ {}", row.step.command),
            t.inline_code,
        )),
    ];
    if let StepState::Done { ok, tail, .. } = &row.state {
        let lines: Vec<&str> = tail.lines().collect();
        let shown = if *ok { 2 } else { TAIL_SHOWN };
        let style: Style = if *ok { t.muted } else { t.text };
        for l in &lines[lines.len().saturating_sub(shown)..] {
            out.push(Line::from(Span::styled(format!("      │ {l}"), style)));
        }
    }
    out
}

/// `1.2 s` (no wall-clock value: a duration the runtime measured).
fn seconds(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
}

/// `/task …`: what the arguments ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskCommand {
    /// Show the last run's pane again.
    Show,
    Run(TaskRequest),
    Usage(String),
}

pub const USAGE: &str = "usage: /task plan FILE.cw · /task apply FILE.cw [--no-ai] · /task cancel · /task (show the pane)";

pub fn parse_args(args: &str) -> TaskCommand {
    let mut words = args.split_whitespace();
    let Some(verb) = words.next() else {
        return TaskCommand::Show;
    };
    let action = match verb {
        "plan" => TaskAction::Plan,
        "apply" => TaskAction::Apply,
        "cancel" | "stop" => {
            return TaskCommand::Run(TaskRequest {
                action: TaskAction::Cancel,
                file: String::new(),
                no_ai: false,
            });
        }
        other => return TaskCommand::Usage(format!("unknown /task action `{other}`; {USAGE}")),
    };
    let mut file = None;
    let mut no_ai = false;
    for w in words {
        match w {
            "--no-ai" => no_ai = true,
            w if file.is_none() && !w.starts_with("--") => file = Some(w.to_string()),
            other => {
                return TaskCommand::Usage(format!("unexpected `{other}`; {USAGE}"));
            }
        }
    }
    match file {
        Some(file) => TaskCommand::Run(TaskRequest {
            action,
            file,
            no_ai,
        }),
        None => TaskCommand::Usage(format!("name the task file; {USAGE}")),
    }
}

impl App {
    /// `/task ARGS` from the composer.
    pub fn task_command(&mut self, args: &str) -> Vec<Op> {
        match parse_args(args) {
            TaskCommand::Show => {
                match &mut self.task_pane {
                    Some(pane) => pane.visible = true,
                    None => self.push_notice(NoticeLevel::Info, USAGE),
                }
                Vec::new()
            }
            TaskCommand::Usage(text) => {
                self.push_notice(NoticeLevel::Warning, text);
                Vec::new()
            }
            TaskCommand::Run(req) if req.action == TaskAction::Cancel => vec![Op::Task(req)],
            TaskCommand::Run(req) => {
                if let Some(pane) = self.task_pane.as_mut().filter(|p| p.running()) {
                    pane.visible = true;
                    self.push_notice(
                        NoticeLevel::Warning,
                        "a task is running: wait for it, or stop it with /task cancel (Ctrl+C in its pane)",
                    );
                    return Vec::new();
                }
                self.task_pane = Some(TaskPane::new(req.action, &req.file));
                vec![Op::Task(req)]
            }
        }
    }

    /// `Event::Task`: the pane follows the run; its end is also a line in the transcript.
    pub fn on_task(&mut self, update: TaskUpdate) {
        if let TaskChange::Finished(o) = &update.change {
            let level = if o.ok {
                NoticeLevel::Info
            } else {
                NoticeLevel::Warning
            };
            let stored = if o.session_id.is_some() {
                " (stored as a session: /sessions)"
            } else {
                ""
            };
            self.push_notice(
                level,
                format!("task {}: {}{stored}", update.task, o.message),
            );
        }
        let pane = self
            .task_pane
            .get_or_insert_with(|| TaskPane::new(TaskAction::Apply, &update.file));
        pane.apply(update);
    }

    pub fn task_pane_key(&mut self, key: KeyEvent) -> Vec<Op> {
        let Some(pane) = &mut self.task_pane else {
            return Vec::new();
        };
        match pane.handle_key(key) {
            TaskPaneAction::None => Vec::new(),
            TaskPaneAction::Hide => {
                pane.visible = false;
                Vec::new()
            }
            TaskPaneAction::Stop => vec![Op::Task(TaskRequest {
                action: TaskAction::Cancel,
                file: String::new(),
                no_ai: false,
            })],
        }
    }
}

#[cfg(test)]
#[path = "task_pane_tests.rs"]
mod tests;
