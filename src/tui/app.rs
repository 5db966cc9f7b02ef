//! UI state and how runtime events change it. Keys are handled in `input.rs`, drawing in
//! `view.rs`; nothing here touches the terminal.

use std::time::{Duration, Instant};

use super::approval::Approvals;
use super::cells::CellKind;
use super::composer::Composer;
use super::markdown::Highlighter;
use super::theme::Theme;
use super::transcript::Transcript;
use crate::protocol::{ApprovalMode, Event, NoticeLevel, OnboardingReport, ProviderInfo};

/// Status hint while an interrupt is on its way.
pub(super) const INTERRUPTING: &str = "interrupting…";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TurnState {
    Idle,
    /// Request sent, nothing received yet.
    Thinking {
        since: Instant,
    },
    Streaming {
        since: Instant,
    },
}

impl TurnState {
    pub fn running(&self) -> bool {
        !matches!(self, TurnState::Idle)
    }

    pub fn since(&self) -> Option<Instant> {
        match self {
            TurnState::Idle => None,
            TurnState::Thinking { since } | TurnState::Streaming { since } => Some(*since),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LastTurn {
    /// `None` when the turn used no tokens worth reporting (failed before any reply).
    pub tokens: Option<u64>,
    pub estimated: bool,
    pub duration: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Overlay {
    Help,
}

pub struct App {
    /// Where the time comes from (frozen in unit tests, so snapshots hold no wall-clock value).
    pub(super) clock: super::clock::Clock,
    pub(super) theme: Theme,
    pub(super) highlighter: Highlighter,
    pub(super) transcript: Transcript,
    pub(super) composer: Composer,
    pub(super) provider: Option<ProviderInfo>,
    /// Which `[routing]` tier answered last (status line).
    pub(super) tier: Option<crate::protocol::TierAnswer>,
    /// MCP servers: ready / connecting / failed (status line).
    pub(super) mcp: crate::protocol::McpStatus,
    pub(super) onboarding: Option<OnboardingReport>,
    /// First line of the welcome box shown (PgUp / PgDn; clamped when drawn).
    pub(super) onboarding_scroll: u16,
    pub(super) session_id: Option<String>,
    pub(super) turn: TurnState,
    pub(super) last_turn: Option<LastTurn>,
    pub(super) session_tokens: u64,
    pub(super) session_tokens_estimated: bool,
    /// Messages sent while a turn runs, not yet started by the runtime.
    pub(super) queued: usize,
    pub(super) overlay: Option<Overlay>,
    /// The runtime has stopped.
    pub(super) runtime_gone: bool,
    pub(super) spinner: usize,
    /// One-line hint shown in the status line until the next key.
    pub(super) hint: Option<String>,
    /// Selected row of the slash popup.
    pub(super) slash_selected: usize,
    /// Esc hides the slash popup until the composer text changes.
    pub(super) slash_dismissed: bool,
    /// Tool calls waiting for the user, in order.
    pub(super) approvals: Approvals,
    /// How tool calls are gated (shown in the status line).
    pub(super) mode: ApprovalMode,
    /// Tool cells show their whole output (Ctrl+O).
    pub(super) tools_expanded: bool,
    /// The session pane (F2), when open.
    pub(super) sessions: Option<super::session_pane::SessionPane>,
    /// The `/fork` message picker, when open.
    pub(super) fork_picker: Option<super::fork_picker::ForkPicker>,
    /// This session's stored user messages `(item id, text)`, oldest first (for `/fork`).
    pub(super) user_items: Vec<(i64, String)>,
    /// Context window use `(used, window)` in tokens, when known.
    pub(super) context: Option<(u64, u64, crate::protocol::WindowSource)>,
    /// The home directory, shown as `~` in the session pane.
    pub(super) home: Option<String>,
    /// Everything leaving the UI (ops, quit, suspend, editor, copy), drained by the loop.
    pub(super) effects: super::effect::Effects,
    /// Every skill the runtime found (for the popup and the skills pane).
    pub(super) skills: Vec<crate::protocol::SkillInfo>,
    pub(super) skills_user_dir: String,
    /// The first `SkillsChanged` arrived.
    pub(super) skills_loaded: bool,
    /// A restricted skill is active in this session: read-only tools (shown in the status).
    pub(super) restricted_skill: bool,
    /// The skills pane (F3), when open.
    pub(super) skills_pane: Option<super::skills_pane::SkillsPane>,
    /// The one-time "trust this project?" question.
    pub(super) trust_request: Option<super::skill_ui::TrustRequest>,
    /// Composer conventions (Ctrl+R search, `@` completion, quit arming, …): `input_state.rs`.
    pub(super) conv: super::input_state::InputState,
    /// The memory pane (F4, `/memory`), when open.
    pub(super) memory_pane: Option<super::memory_pane::MemoryPane>,
    /// Help overlay: first visible row.
    pub(super) help_scroll: u16,
    /// The `/task` pane (`task_pane.rs`): the last run, shown while `visible`.
    pub(super) task_pane: Option<super::task_pane::TaskPane>,
}

impl App {
    pub fn new(theme: Theme) -> App {
        let highlighter = Highlighter::new(theme.syntax_theme.clone());
        let composer = Composer::new(&theme);
        App {
            clock: super::clock::Clock::default(),
            theme,
            highlighter,
            transcript: Transcript::default(),
            composer,
            provider: None,
            tier: None,
            mcp: Default::default(),
            onboarding: None,
            onboarding_scroll: 0,
            session_id: None,
            turn: TurnState::Idle,
            last_turn: None,
            session_tokens: 0,
            session_tokens_estimated: false,
            queued: 0,
            overlay: None,
            runtime_gone: false,
            spinner: 0,
            hint: None,
            slash_selected: 0,
            slash_dismissed: false,
            approvals: Approvals::default(),
            mode: ApprovalMode::default(),
            tools_expanded: false,
            sessions: None,
            fork_picker: None,
            user_items: Vec::new(),
            context: None,
            home: None,
            effects: super::effect::Effects::default(),
            skills: Vec::new(),
            skills_user_dir: String::new(),
            skills_loaded: false,
            restricted_skill: false,
            skills_pane: None,
            trust_request: None,
            conv: super::input_state::InputState::default(),
            memory_pane: None,
            help_scroll: 0,
            task_pane: None,
        }
    }

    pub(super) fn push_error(
        &mut self,
        kind: crate::protocol::ErrorKind,
        message: impl Into<String>,
    ) {
        self.transcript.push(CellKind::Error {
            kind,
            message: message.into(),
        });
        self.transcript.end();
    }

    pub(super) fn push_notice(&mut self, level: NoticeLevel, message: impl Into<String>) {
        self.transcript.push(CellKind::Notice {
            level,
            message: message.into(),
        });
    }

    /// F1, `?`, `/help`: the help overlay, from its top.
    pub(super) fn open_help(&mut self) {
        self.overlay = Some(Overlay::Help);
        self.help_scroll = 0;
    }

    /// Apply one runtime event to the state: one line per event, the work is in the
    /// `reduce_*` files (and the panes' own files).
    pub fn on_event(&mut self, event: Event) {
        self.expire_quit_arming();
        match event {
            Event::SessionConfigured(configured) => self.on_session_configured(configured),
            Event::ProviderChanged { provider } => self.on_provider_changed(provider),
            Event::Onboarding { report } => self.onboarding = Some(report),
            Event::PolicyConfigured { mode, .. } => self.mode = mode,
            Event::SessionStored { session_id } => self.session_id = Some(session_id),
            Event::SessionDropped(_) => self.on_session_dropped(),
            Event::SessionItemsAppended(appended) => self.on_items_appended(appended),
            Event::SessionBusy(busy) => self.on_session_busy(busy),
            Event::UserMessage(message) => self.on_user_message(message),
            Event::TurnStarted { .. } => self.on_turn_started(),
            Event::AssistantDelta(delta) => self.on_assistant_delta(delta),
            Event::AssistantMessageDone(done) => self.on_assistant_done(done),
            Event::Retrying(retry) => self.on_retrying(retry),
            Event::TurnFinished(finished) => self.on_turn_finished(finished),
            Event::Error { kind, message, .. } => self.push_error(kind, message),
            Event::Notice { level, message } => self.on_runtime_notice(level, message),
            Event::ToolCallStarted(started) => self.on_tool_started(started),
            Event::ToolCallRunning(running) => self.on_tool_running(running),
            Event::ApprovalRequested(request) => self.on_approval_requested(request),
            Event::ApprovalWithdrawn { request_id } => self.approvals.withdraw(request_id),
            Event::ToolCallFinished(finished) => self.on_tool_finished(finished),
            // The status line shows the mode; the transcript gets no line for it.
            Event::ModeChanged { mode } => self.mode = mode,
            Event::SessionList(list) => self.on_session_list(list),
            Event::SessionPreview(preview) => self.on_session_preview(preview),
            Event::ContextUsage(usage) => {
                self.context = Some((usage.used_tokens, usage.window_tokens, usage.window_source))
            }
            Event::Compacted(compacted) => self.on_compacted(compacted),
            Event::SkillsChanged(changed) => self.on_skills_changed(changed),
            Event::SkillActivated(activated) => self.on_skill_activated(activated),
            Event::SkillCreated(created) => self.on_skill_created(created),
            Event::SkillPreview(preview) => self.on_skill_preview(preview),
            Event::ProjectTrustRequest(request) => self.on_trust_request(request),
            Event::ModelList(listing) => {
                self.push_notice(NoticeLevel::Info, super::model_list::describe(&listing))
            }
            Event::MemoryList(listing) => self.on_memory_list(listing),
            Event::MemoryChanged(change) => self.on_memory_changed(change),
            Event::FileList(listing) => self.conv.paths.set_listing(listing),
            Event::Queue(state) => self.on_queue(state),
            Event::QueueWithdrawn(taken) => self.on_queue_withdrawn(taken),
            Event::TurnDiagnostics(_) => {} // shown on demand by /context
            Event::ContextReport(report) => {
                self.push_notice(NoticeLevel::Info, super::context_view::text(&report))
            }
            Event::ProviderHealth(health) => self.on_provider_health(health),
            Event::TierAnswered(answer) => self.tier = Some(answer),
            Event::McpStatus(status) => self.mcp = status,
            Event::Task(update) => self.on_task(update),
            Event::ShutdownComplete => self.runtime_gone = true,
        }
    }

    /// Ctrl+O: show every tool cell's whole output, or fold them again.
    pub(super) fn toggle_tool_output(&mut self) {
        self.tools_expanded = !self.tools_expanded;
        for cell in &mut self.transcript.cells {
            match &mut cell.kind {
                CellKind::Tool(t) => t.expanded = self.tools_expanded,
                CellKind::Compaction { expanded, .. } => *expanded = self.tools_expanded,
                CellKind::Memory(m) => m.expanded = self.tools_expanded,
                CellKind::User(u) => u.expanded = self.tools_expanded,
                _ => continue,
            }
            cell.invalidate();
        }
    }

    /// Scroll the transcript to its first line (what Home does; benches draw from there).
    pub fn scroll_to_top(&mut self) {
        self.transcript.home();
    }

    /// Advance the spinner (only called while a turn runs).
    pub(super) fn tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
    }
}

/// One line about what a mode does.
pub(super) fn mode_help(mode: ApprovalMode) -> String {
    let what = match mode {
        ApprovalMode::Plan => "read-only tools only",
        ApprovalMode::Ask => "read-only tools run, everything else asks",
        ApprovalMode::AutoEdit => "edits in the workspace run, shell and network ask",
        ApprovalMode::Yolo => "everything runs without asking (sandboxed, audited)",
    };
    format!("{} — {what}", mode.as_str())
}

/// A model name fit for one line: a file path shows its file name, and anything longer than
/// 40 columns keeps its start and end.
pub(super) fn display_model(model: &str) -> String {
    if model.is_empty() {
        return "server default".into();
    }
    let name = if model.starts_with('/') {
        model.rsplit('/').next().unwrap_or(model)
    } else {
        model
    };
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= 40 {
        return name.to_string();
    }
    let head: String = chars[..24].iter().collect();
    let tail: String = chars[chars.len() - 15..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
