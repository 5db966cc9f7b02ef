//! UI state and how runtime events change it. Keys are handled in `input.rs`, drawing in
//! `view.rs`; nothing here touches the terminal.

use std::time::{Duration, Instant};

use super::approval::{Approvals, Request};
use super::cells::CellKind;
use super::composer::Composer;
use super::markdown::Highlighter;
use super::theme::Theme;
use super::tool_cell::ToolCell;
use super::transcript::Transcript;
use super::user_cell::UserCell;
use crate::protocol::{
    ApprovalMode, Event, HistoryItem, NoticeLevel, OnboardingReport, PasteSpan, ProviderInfo,
    TurnOutcome,
};

/// Status hint while an interrupt is on its way.
pub const INTERRUPTING: &str = "interrupting…";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnState {
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
pub struct LastTurn {
    /// `None` when the turn used no tokens worth reporting (failed before any reply).
    pub tokens: Option<u64>,
    pub estimated: bool,
    pub duration: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help,
}

pub struct App {
    /// Where the time comes from (frozen in unit tests, so snapshots hold no wall-clock value).
    pub clock: super::clock::Clock,
    pub theme: Theme,
    pub highlighter: Highlighter,
    pub transcript: Transcript,
    pub composer: Composer,
    pub provider: Option<ProviderInfo>,
    /// Which `[routing]` tier answered last (status line).
    pub tier: Option<crate::protocol::TierAnswer>,
    /// MCP servers: ready / connecting / failed (status line).
    pub mcp: crate::protocol::McpStatus,
    pub onboarding: Option<OnboardingReport>,
    /// First line of the welcome box shown (PgUp / PgDn; clamped when drawn).
    pub(super) onboarding_scroll: u16,
    pub session_id: Option<String>,
    pub turn: TurnState,
    pub last_turn: Option<LastTurn>,
    pub session_tokens: u64,
    pub session_tokens_estimated: bool,
    /// Messages sent while a turn runs, not yet started by the runtime.
    pub queued: usize,
    pub overlay: Option<Overlay>,
    /// The runtime has stopped.
    pub runtime_gone: bool,
    pub spinner: usize,
    /// One-line hint shown in the status line until the next key.
    pub hint: Option<String>,
    /// Selected row of the slash popup.
    pub slash_selected: usize,
    /// Esc hides the slash popup until the composer text changes.
    pub slash_dismissed: bool,
    /// Tool calls waiting for the user, in order.
    pub approvals: Approvals,
    /// How tool calls are gated (shown in the status line).
    pub mode: ApprovalMode,
    /// Tool cells show their whole output (Ctrl+O).
    pub tools_expanded: bool,
    /// The session pane (F2), when open.
    pub sessions: Option<super::session_pane::SessionPane>,
    /// The `/fork` message picker, when open.
    pub fork_picker: Option<super::fork_picker::ForkPicker>,
    /// This session's stored user messages `(item id, text)`, oldest first (for `/fork`).
    pub user_items: Vec<(i64, String)>,
    /// Context window use `(used, window)` in tokens, when known.
    pub context: Option<(u64, u64, crate::protocol::WindowSource)>,
    /// The home directory, shown as `~` in the session pane.
    pub home: Option<String>,
    /// Everything leaving the UI (ops, quit, suspend, editor, copy), drained by the loop.
    pub effects: super::effect::Effects,
    /// Every skill the runtime found (for the popup and the skills pane).
    pub skills: Vec<crate::protocol::SkillInfo>,
    pub skills_user_dir: String,
    /// The first `SkillsChanged` arrived.
    pub skills_loaded: bool,
    /// A restricted skill is active in this session: read-only tools (shown in the status).
    pub restricted_skill: bool,
    /// The skills pane (F3), when open.
    pub skills_pane: Option<super::skills_pane::SkillsPane>,
    /// The one-time "trust this project?" question.
    pub trust_request: Option<super::skill_ui::TrustRequest>,
    /// Composer conventions (Ctrl+R search, `@` completion, quit arming, …): `input_state.rs`.
    pub conv: super::input_state::InputState,
    /// The memory pane (F4, `/memory`), when open.
    pub memory_pane: Option<super::memory_pane::MemoryPane>,
    /// Help overlay: first visible row.
    pub help_scroll: u16,
    /// The `/task` pane (`task_pane.rs`): the last run, shown while `visible`.
    pub task_pane: Option<super::task_pane::TaskPane>,
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

    pub fn push_error(&mut self, kind: crate::protocol::ErrorKind, message: impl Into<String>) {
        self.transcript.push(CellKind::Error {
            kind,
            message: message.into(),
        });
        self.transcript.end();
    }

    pub fn push_notice(&mut self, level: NoticeLevel, message: impl Into<String>) {
        self.transcript.push(CellKind::Notice {
            level,
            message: message.into(),
        });
    }

    /// Stored items as transcript cells (a resumed session, or items another pincer wrote).
    fn push_history(&mut self, history: Vec<HistoryItem>) {
        for item in history {
            let cell = match item {
                HistoryItem::User { text, pastes, .. } => {
                    CellKind::User(UserCell::pasted(text, &pastes, self.tools_expanded))
                }
                HistoryItem::Error { kind, message } => CellKind::Error { kind, message },
                HistoryItem::Compaction { summary } => CellKind::Compaction {
                    headline: "older turns above were summarised for the model here".into(),
                    summary,
                    expanded: self.tools_expanded,
                },
                HistoryItem::Assistant { text, interrupted } => CellKind::Assistant {
                    turn_id: None,
                    text,
                    streaming: false,
                    interrupted,
                },
                HistoryItem::Tool {
                    call_id,
                    tool,
                    summary,
                    status,
                    decided_by,
                    output,
                    exit_code,
                    duration_ms,
                } => CellKind::Tool(ToolCell {
                    status: Some(status),
                    decided_by,
                    output,
                    exit_code,
                    duration_ms,
                    expanded: self.tools_expanded,
                    ..ToolCell::started(call_id, tool, summary)
                }),
            };
            self.transcript.push(cell);
        }
    }

    /// F1, `?`, `/help`: the help overlay, from its top.
    pub fn open_help(&mut self) {
        self.overlay = Some(Overlay::Help);
        self.help_scroll = 0;
    }

    /// Apply one runtime event to the state.
    pub fn on_event(&mut self, event: Event) {
        self.expire_quit_arming();
        match event {
            Event::FileList(listing) => self.conv.paths.set_listing(listing),
            Event::Queue(state) => self.on_queue(state),
            Event::QueueWithdrawn(taken) => self.on_queue_withdrawn(taken),
            Event::MemoryList(listing) => self.on_memory_list(listing),
            Event::MemoryChanged(change) => self.on_memory_changed(change),
            Event::TurnDiagnostics(_) => {} // shown on demand by /context
            Event::ContextReport(report) => {
                self.push_notice(NoticeLevel::Info, super::context_view::text(&report))
            }
            Event::ProviderHealth(h) => {
                if h.discard_partial {
                    // The next profile or tier starts the reply over.
                    self.transcript.remove_streaming_reply(h.turn_id);
                }
                let level = match h.change {
                    crate::protocol::HealthChange::CacheHit { .. }
                    | crate::protocol::HealthChange::BreakerClosed => NoticeLevel::Info,
                    _ => NoticeLevel::Warning,
                };
                self.push_notice(level, h.message);
            }
            Event::TierAnswered(answer) => self.tier = Some(answer),
            Event::McpStatus(status) => self.mcp = status,
            Event::Task(update) => self.on_task(update),
            Event::SessionConfigured {
                session_id,
                provider,
                history,
                input_history,
                session_tokens,
            } => {
                self.session_id = session_id;
                self.provider = provider;
                self.transcript.clear();
                self.approvals.clear();
                self.user_items = history
                    .iter()
                    .filter_map(|h| match h {
                        HistoryItem::User {
                            text,
                            item_id: Some(id),
                            pastes,
                        } => Some((*id, PasteSpan::fold(text, pastes))),
                        _ => None,
                    })
                    .collect();
                self.context = None;
                self.push_history(history);
                self.composer.set_history(input_history);
                self.session_tokens = session_tokens;
                self.session_tokens_estimated = false;
                self.last_turn = None;
                self.turn = TurnState::Idle;
                self.queued = 0;
            }
            Event::ProviderChanged { provider } => {
                self.push_notice(
                    NoticeLevel::Info,
                    format!(
                        "now using {} · {}",
                        provider.profile,
                        display_model(&provider.model)
                    ),
                );
                self.provider = Some(provider);
                self.onboarding = None;
            }
            Event::Onboarding { report } => self.onboarding = Some(report),
            Event::SessionStored { session_id } => self.session_id = Some(session_id),
            Event::SessionItemsAppended { items, count } => {
                self.push_notice(
                    NoticeLevel::Info,
                    format!(
                        "another pincer wrote to this session: {count} item(s) loaded (below); the model sees them"
                    ),
                );
                self.user_items.extend(items.iter().filter_map(|h| match h {
                    HistoryItem::User {
                        text,
                        item_id: Some(id),
                        pastes,
                    } => Some((*id, PasteSpan::fold(text, pastes))),
                    _ => None,
                }));
                self.push_history(items);
                self.transcript.end();
            }
            Event::SessionBusy {
                holder_pid,
                waiting,
            } => {
                if waiting {
                    // Shown as a running turn, so Esc stops waiting.
                    self.turn = TurnState::Thinking {
                        since: self.clock.now(),
                    };
                    let who = holder_pid.map_or_else(String::new, |pid| format!(" (pid {pid})"));
                    self.push_notice(
                        NoticeLevel::Info,
                        format!(
                            "this session is busy in another pincer{who}: your message is queued and runs when that turn ends (Esc stops waiting)"
                        ),
                    );
                } else {
                    self.queued = 0;
                    self.turn = TurnState::Idle;
                }
            }
            Event::UserMessage {
                text,
                item_id,
                pastes,
            } => {
                self.queued = self.queued.saturating_sub(1);
                let cell = UserCell::pasted(text, &pastes, self.tools_expanded);
                if let Some(id) = item_id {
                    self.user_items.push((id, cell.folded_text()));
                }
                self.transcript.push(CellKind::User(cell));
                self.transcript.end();
            }
            Event::TurnStarted { .. } => {
                self.turn = TurnState::Thinking {
                    since: self.clock.now(),
                };
            }
            Event::AssistantDelta { turn_id, text } => {
                if let TurnState::Thinking { since } = self.turn {
                    self.turn = TurnState::Streaming { since };
                }
                match self.transcript.streaming_reply(turn_id) {
                    Some(cell) => {
                        if let CellKind::Assistant { text: t, .. } = &mut cell.kind {
                            t.push_str(&text);
                        }
                        cell.invalidate();
                    }
                    None => self.transcript.push(CellKind::Assistant {
                        turn_id: Some(turn_id),
                        text,
                        streaming: true,
                        interrupted: false,
                    }),
                }
            }
            Event::AssistantMessageDone {
                turn_id,
                text,
                interrupted,
            } => {
                let kind = CellKind::Assistant {
                    turn_id: Some(turn_id),
                    text,
                    streaming: false,
                    interrupted,
                };
                match self.transcript.streaming_reply(turn_id) {
                    Some(cell) => {
                        cell.kind = kind;
                        cell.invalidate();
                    }
                    None => self.transcript.push(kind),
                }
            }
            Event::Retrying {
                turn_id,
                attempt,
                max_attempts,
                delay_ms,
                reason,
                discard_partial,
            } => {
                // The retry's reply starts over: what streamed of the failed attempt goes.
                self.transcript.remove_streaming_reply(turn_id);
                if let Some(since) = self.turn.since() {
                    self.turn = TurnState::Thinking { since };
                }
                let discarded = if discard_partial {
                    " (the partial reply was dropped)"
                } else {
                    ""
                };
                self.push_notice(
                    NoticeLevel::Warning,
                    format!(
                        "{reason} — retry {attempt}/{max_attempts} in {:.1} s{discarded}",
                        delay_ms as f64 / 1000.0
                    ),
                );
            }
            Event::TurnFinished {
                outcome,
                usage,
                duration_ms,
                turn_id,
            } => {
                self.transcript.remove_streaming_reply(turn_id);
                self.turn = TurnState::Idle;
                self.conv.paths.invalidate();
                self.conv.interrupt_sent = false;
                // Requests of a finished turn can no longer be answered.
                self.approvals.clear();
                let tokens = usage.map(|u| u.total());
                let estimated = usage.is_some_and(|u| u.estimated);
                self.session_tokens += tokens.unwrap_or(0);
                self.session_tokens_estimated |= estimated;
                self.last_turn = Some(LastTurn {
                    tokens,
                    estimated,
                    duration: Duration::from_millis(duration_ms),
                });
                if outcome == TurnOutcome::Interrupted && self.hint.as_deref() == Some(INTERRUPTING)
                {
                    self.hint = None;
                }
            }
            Event::PolicyConfigured { mode, .. } => self.mode = mode,
            // The status line shows the mode; the transcript gets no line for it.
            Event::ModeChanged { mode } => self.mode = mode,
            Event::ToolCallStarted {
                call_id,
                tool,
                summary,
                turn_id,
                ..
            } => {
                // Text streamed before the call belongs above it.
                if let Some(cell) = self.transcript.streaming_reply(turn_id) {
                    if let CellKind::Assistant { streaming, .. } = &mut cell.kind {
                        *streaming = false;
                    }
                    cell.invalidate();
                }
                let mut cell = ToolCell::started(call_id, tool, summary);
                cell.expanded = self.tools_expanded;
                self.transcript.push(CellKind::Tool(cell));
            }
            Event::ApprovalRequested {
                request_id,
                call_id,
                tool,
                summary,
                reason,
                preview,
                decisions,
                suggested_rule,
                session_rule,
                taint,
            } => {
                self.set_tool_waiting(&call_id, true);
                self.approvals.push(Request {
                    request_id,
                    call_id,
                    tool,
                    summary,
                    reason,
                    preview,
                    decisions,
                    suggested_rule,
                    session_rule,
                    taint,
                });
                self.transcript.end();
            }
            Event::ApprovalWithdrawn { request_id } => self.approvals.withdraw(request_id),
            Event::ToolCallFinished {
                call_id,
                status,
                decided_by,
                output,
                exit_code,
                duration_ms,
                ..
            } => self.update_tool(&call_id, |t| {
                t.awaiting_approval = false;
                t.status = Some(status);
                t.decided_by = decided_by;
                t.output = output;
                t.exit_code = exit_code;
                t.duration_ms = duration_ms;
            }),
            Event::ToolCallRunning { call_id, .. } => self.update_tool(&call_id, |t| {
                t.awaiting_approval = false;
                t.running = true;
            }),
            Event::Error { kind, message, .. } => self.push_error(kind, message),
            Event::Notice { level, message } => self.on_runtime_notice(level, message),
            Event::ShutdownComplete => self.runtime_gone = true,
            Event::SessionList {
                scope,
                sessions,
                current,
            } => self.on_session_list(scope, sessions, current),
            Event::SessionPreview { id, items } => self.on_session_preview(id, items),
            Event::SkillsChanged {
                skills,
                user_dir,
                restricted_active,
            } => self.on_skills_changed(skills, user_dir, restricted_active),
            Event::SkillPreview { name, body } => self.on_skill_preview(name, body),
            Event::SkillActivated { name, restricted } => self.on_skill_activated(name, restricted),
            Event::SkillCreated { name, path } => self.on_skill_created(name, path),
            Event::ProjectTrustRequest {
                path,
                skill_folders,
            } => {
                self.trust_request = Some(super::skill_ui::TrustRequest {
                    path,
                    folders: skill_folders,
                });
            }
            Event::ContextUsage {
                used_tokens,
                window_tokens,
                window_source,
            } => self.context = Some((used_tokens, window_tokens, window_source)),
            Event::ModelList(listing) => {
                let text = super::model_list::describe(&listing);
                self.push_notice(NoticeLevel::Info, text);
            }
            Event::Compacted {
                summary,
                replaced_messages,
                tokens_before,
                tokens_after,
            } => {
                self.transcript.push(CellKind::Compaction {
                    headline: format!(
                        "{replaced_messages} earlier messages summarised for the model ({tokens_before} → {tokens_after} tokens); they stay above"
                    ),
                    summary,
                    expanded: self.tools_expanded,
                });
            }
        }
    }

    fn set_tool_waiting(&mut self, call_id: &str, waiting: bool) {
        self.update_tool(call_id, |t| t.awaiting_approval = waiting);
    }

    /// Change the (latest) tool cell of `call_id` and lay it out again.
    fn update_tool(&mut self, call_id: &str, change: impl FnOnce(&mut ToolCell)) {
        let found = self
            .transcript
            .cells
            .iter_mut()
            .rev()
            .find(|c| matches!(&c.kind, CellKind::Tool(t) if t.call_id == call_id));
        if let Some(cell) = found {
            if let CellKind::Tool(t) = &mut cell.kind {
                change(t);
            }
            cell.invalidate();
        }
    }

    /// Ctrl+O: show every tool cell's whole output, or fold them again.
    pub fn toggle_tool_output(&mut self) {
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

    /// Advance the spinner (only called while a turn runs).
    pub fn tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
    }
}

/// One line about what a mode does.
pub fn mode_help(mode: ApprovalMode) -> String {
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
pub fn display_model(model: &str) -> String {
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
