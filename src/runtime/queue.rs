//! Messages in, turns out: the queue of user messages, starting a turn with everything it
//! needs, finishing it (conversation, usage, storage errors), and storing the user's message.
//!
//! Several pincer processes may share a session. A turn runs only while this runtime holds
//! the session's lease (`store::LeaseDir`): taken before the user's message is stored,
//! released when the turn has finished. When another pincer holds it, the front end is told
//! (`SessionBusy`) and the queued messages wait — in `flock` on the blocking pool, woken when
//! the holder lets go or dies. Once the lease is held, items another pincer wrote since this
//! runtime last looked are loaded first (`sessions.rs`, `sync_session`), so the model sees them.

use crate::protocol::{SessionBusy, TurnFinished, UserMessage};
use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::{ActiveTurn, Runtime, context, turn};
use crate::protocol::{ErrorKind, Event, NoticeLevel, PasteSpan, SessionOrigin, TurnOutcome};
use crate::provider::ChatMessage;
use crate::provider::retry::RetryPolicy;
use crate::store::{ItemKind, LeaseAttempt, NewSession, Shown, title_from};
use crate::tools::registry::ToolBox;
use crate::tools::shell::ShellEnv;
use crate::tools::{ToolContext, ToolLimits};

/// One thing waiting to run: a message for the model, or a `!command` from the user.
pub(super) enum Queued {
    /// A message, with the parts the user pasted.
    Message {
        text: String,
        pastes: Vec<PasteSpan>,
    },
    Shell(String),
    /// A skill run as `/name args`: the body goes to the model (and the store), the
    /// transcript shows what the user typed.
    Skill {
        shown: String,
        body: String,
    },
}

impl Runtime {
    /// A message from the user (or a skill's body sent by `/name`): queued, then started.
    pub(super) async fn user_message(&mut self, text: String, pastes: Vec<PasteSpan>) {
        if text.trim().is_empty() {
            return;
        }
        if self.provider.is_none() {
            self.error(
                ErrorKind::NoProvider,
                format!(
                    "{} — your message was not sent",
                    self.unconfigured_reason
                        .as_deref()
                        .unwrap_or("no model provider configured")
                ),
            );
            return;
        }
        let pastes = PasteSpan::valid_in(&pastes, &text);
        self.enqueue(Queued::Message { text, pastes }).await;
    }

    /// A skill's body, shown as `/name args` (`shown`) in the transcript.
    pub(super) async fn skill_message(&mut self, shown: String, body: String) {
        if body.trim().is_empty() {
            return;
        }
        if self.provider.is_none() {
            self.error(
                ErrorKind::NoProvider,
                format!("{shown} was not run: no model provider is configured yet (see the setup notes, or /model PROFILE)"),
            );
            return;
        }
        self.enqueue(Queued::Skill { shown, body }).await;
    }

    /// Queue a message or a `!command` and start it when idle.
    pub(super) async fn enqueue(&mut self, next: Queued) {
        let id = self.queue_ids.take();
        self.queue.push_back((id, next));
        if self.active.is_none() {
            self.start_next().await;
        }
    }

    /// Start the next queued message, if any and if idle.
    pub(super) async fn start_next(&mut self) {
        if self.active.is_some() || self.lease_wait.is_some() || self.queue.is_empty() {
            return;
        }
        if !self.take_lease().await {
            return;
        }
        let Some((_, next)) = self.queue.pop_front() else {
            return;
        };
        self.cancel_extraction();
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => {
                self.lease = None;
                self.error(ErrorKind::Internal, e);
                return;
            }
        };
        self.sync_session().await;
        // What the model gets, what the transcript shows, and how the store keeps the
        // difference (`Shown`), so a resumed session shows the same.
        let (text, shown, pastes, display) = match next {
            Queued::Message { text, pastes } if pastes.is_empty() => {
                (text.clone(), text, pastes, None)
            }
            Queued::Message { text, pastes } => {
                let display = Shown::Pasted {
                    pastes: pastes.clone(),
                };
                (text.clone(), text, pastes, Some(display))
            }
            Queued::Skill { shown, body } => {
                let display = Shown::Typed {
                    text: shown.clone(),
                };
                (body, shown, Vec::new(), Some(display))
            }
            Queued::Shell(command) => return self.start_shell(client, command).await,
        };
        let home = self.settings.env.as_ref()("HOME").map(std::path::PathBuf::from);
        let attachments =
            super::attach::mentioned_files(&text, &self.settings.workspace, home.as_deref());
        let item_id = self.persist_user(&text, display).await;
        self.emit(Event::UserMessage(UserMessage {
            text: shown,
            item_id,
            pastes,
        }));
        self.conversation.push(ChatMessage::user(text.clone()));
        self.maybe_compact(context::Trigger::Full).await;
        let turn_id = self.take_turn_id();
        let plan = self.plan_turn(&text, turn_id).await;
        let (env, cancel) = self.turn_env(client, turn_id, plan);
        self.emit(Event::TurnStarted { turn_id });
        let conversation = self.conversation.clone();
        self.active = Some(ActiveTurn {
            id: turn_id,
            cancel,
            task: tokio::spawn(super::attach::run_with_attachments(
                env,
                conversation,
                attachments,
            )),
            started: Instant::now(),
        });
    }

    /// A fresh turn id.
    pub(super) fn take_turn_id(&mut self) -> u64 {
        let turn_id = self.next_turn_id;
        self.next_turn_id += 1;
        turn_id
    }

    /// Everything a turn (or a `!command`) needs under `plan`, with a fresh cancel token.
    pub(super) fn turn_env(
        &mut self,
        client: Arc<crate::provider::ProviderClient>,
        turn_id: u64,
        plan: crate::pipeline::TurnPlan,
    ) -> (turn::TurnEnv, CancellationToken) {
        let route = self.chain.route(plan.diagnostics.policy.tier);
        let cancel = CancellationToken::new();
        let s = &self.settings;
        // The policy's bounds (never above [limits]).
        let mut limits = s.config.limits.clone();
        let bounds = plan.diagnostics.policy.bounds;
        limits.max_rounds = bounds.max_rounds;
        limits.max_tool_calls_per_round = bounds.max_tool_calls_per_round;
        limits.max_consecutive_tool_errors = bounds.max_consecutive_tool_errors;
        let mcp = self.mcp_turn(&plan.tools);
        let env = turn::TurnEnv {
            turn_id,
            client,
            system: context::with_summary(plan.system.as_deref(), self.summary.as_deref()),
            offered: plan.tools,
            toolbox: if s.tools_enabled {
                Arc::clone(&self.toolbox)
            } else {
                Arc::new(ToolBox::empty())
            },
            tool_ctx: ToolContext {
                workspace: s.workspace.clone(),
                temp_dir: s.temp_dir.clone(),
                limits: ToolLimits {
                    shell_timeout: std::time::Duration::from_secs(limits.shell_timeout_secs),
                    ..ToolLimits::default()
                },
                outside_workspace_approved: false,
            },
            shell_env: ShellEnv {
                exe: s.exe.clone(),
                sandboxed: self.gate.lock().sandbox_available,
                default_timeout: std::time::Duration::from_secs(limits.shell_timeout_secs),
                env: crate::tools::shell::env_filter(&s.config),
            },
            gate: self.gate.clone(),
            approvals: self.approvals.clone(),
            interactive: s.interactive,
            limits,
            retry: RetryPolicy::from(&s.config.network),
            cancel: cancel.clone(),
            events: self.events.clone(),
            store: self.store.clone(),
            session_id: self.session_id.clone(),
            base_system: plan.system,
            summary: self.summary.clone(),
            window: self.window(),
            context: s.config.context.clone(),
            skills: self.skills.as_ref().map(|k| Arc::clone(&k.catalog)),
            restricted: self
                .skills
                .as_ref()
                .map(|k| Arc::clone(&k.restricted))
                .unwrap_or_default(),
            taint: turn::Taint::default(),
            memory: if s.tools_enabled {
                self.memory_service()
            } else {
                None
            },
            chain: Arc::clone(&self.chain),
            route,
            mcp,
        };
        (env, cancel)
    }

    pub(super) async fn stop_active(&mut self) {
        if let Some(mut active) = self.active.take() {
            active.cancel.cancel();
            let result = (&mut active.task).await;
            self.finish_turn(active, result).await;
        }
    }

    pub(super) async fn finish_turn(
        &mut self,
        active: ActiveTurn,
        result: Result<turn::TurnResult, tokio::task::JoinError>,
    ) {
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                self.error(
                    ErrorKind::Internal,
                    format!("the turn stopped unexpectedly: {e}"),
                );
                turn::TurnResult {
                    conversation: self.conversation.clone(),
                    compacted: None,
                    context_tokens: None,
                    outcome: TurnOutcome::Failed,
                    usage: None,
                    resolved_client: None,
                    storage_error: None,
                    used_tools: false,
                    tainted: false,
                    first_request: None,
                }
            }
        };
        // The turn already announced the model the server chose; remember it.
        if let Some(client) = result.resolved_client {
            let model = client.provider().model.clone();
            if let Some(p) = self.provider.as_mut() {
                let before = p.clone();
                p.model = model.clone();
                self.models.carry_window(&before, p);
            }
            self.client = Some(client);
            // Not reported yet for the server's default (the first turn raced the question asked
            // at start): ask again for the named model. Nothing is asked when it is known,
            // configured, or when the front end does not learn windows (headless).
            if self.settings.learn_window_at_start {
                self.learn_window();
            }
            if let (Some(store), Some(id)) = (self.store.clone(), self.session_id.clone())
                && let Err(e) = store.call(move |s| s.set_session_model(&id, &model)).await
            {
                tracing::warn!(%e, "storing the session's model failed");
            }
        }
        self.after_turn(result.used_tools, result.first_request);
        if result.outcome == TurnOutcome::Completed && !result.tainted {
            self.start_extraction(&result.conversation);
        }
        if let Some(e) = result.storage_error {
            self.storage_failed(e);
        }
        self.conversation = result.conversation;
        if let Some(summary) = result.compacted {
            self.summary = Some(summary);
            self.reported_context = 0;
        }
        if let Some(tokens) = result.context_tokens {
            self.reported_context = tokens;
        }
        tracing::info!(
            turn = active.id,
            outcome = ?result.outcome,
            ms = active.started.elapsed().as_millis() as u64,
            "turn finished"
        );
        // The turn's items are all stored: another pincer may go on with this session.
        self.lease = None;
        self.drop_unanswered_session(result.outcome).await;
        self.emit(Event::TurnFinished(TurnFinished {
            turn_id: active.id,
            outcome: result.outcome,
            usage: result.usage,
            duration_ms: active.started.elapsed().as_millis() as u64,
        }));
        self.emit_context_usage();
    }

    /// Store a user message (creating the session row first, titled after what the user
    /// typed); returns its row id. `display`: how it is shown, when not as `text`.
    pub(super) async fn persist_user(&mut self, text: &str, display: Option<Shown>) -> Option<i64> {
        let had_session = self.session_id.is_some();
        self.ensure_session(Shown::prompt(display.as_ref(), text).unwrap_or(text))
            .await;
        self.fresh_session |= !had_session && self.session_id.is_some();
        let (Some(store), Some(id)) = (self.store.clone(), self.session_id.clone()) else {
            return None;
        };
        let text = text.to_string();
        match store
            .call(move |s| match &display {
                Some(shown) => s.append_user_shown(&id, &text, shown),
                None => s.append_item(&id, ItemKind::User, &text, false, None),
            })
            .await
        {
            Ok(item_id) => Some(item_id),
            Err(e) => {
                self.storage_failed(e);
                None
            }
        }
    }

    /// Create the session's stored row (titled after `text`) if it has none yet.
    pub(super) async fn ensure_session(&mut self, text: &str) {
        let Some(store) = self.store.clone() else {
            return;
        };
        if self.session_id.is_none() {
            let id = self
                .planned_session
                .take()
                .unwrap_or_else(crate::store::new_session_id);
            let provider = self.provider.as_ref();
            let row = NewSession {
                id: id.clone(),
                title: title_from(text),
                cwd: self.settings.workspace.display().to_string(),
                provider: provider.map(|p| p.profile.clone()).unwrap_or_default(),
                model: provider.map(|p| p.model.clone()).unwrap_or_default(),
            };
            let origin = if self.settings.interactive {
                SessionOrigin::Tui
            } else {
                SessionOrigin::Headless
            };
            match store
                .call(move |s| s.create_session_from(&row, origin))
                .await
            {
                Ok(()) => {
                    self.emit(Event::SessionStored {
                        session_id: id.clone(),
                    });
                    self.session_id = Some(id);
                }
                Err(e) => self.storage_failed(e),
            }
        }
    }

    /// Hold the session's lease (true), or start waiting for it (false). Without a store
    /// there is nothing to share; a lease file that cannot be used is reported and the turn
    /// runs without one.
    async fn take_lease(&mut self) -> bool {
        let Some(store) = self.store.clone() else {
            return true;
        };
        if self.lease.is_some() {
            return true;
        }
        let id = match &self.session_id {
            Some(id) => id.clone(),
            None => self
                .planned_session
                .get_or_insert_with(crate::store::new_session_id)
                .clone(),
        };
        match store.try_lease(id.clone()).await {
            Ok(LeaseAttempt::Acquired(lease)) => {
                self.lease = Some(lease);
                true
            }
            Ok(LeaseAttempt::Held { pid }) => {
                self.emit(Event::SessionBusy(SessionBusy {
                    holder_pid: pid,
                    waiting: true,
                }));
                self.lease_wait = Some(store.wait_lease(id));
                false
            }
            Err(e) => {
                tracing::warn!(%e, "session lease unavailable");
                self.emit(Event::Notice {
                    level: NoticeLevel::Warning,
                    message: format!(
                        "{e} — this turn runs without checking for other pincer processes on the session"
                    ),
                });
                true
            }
        }
    }

    /// The lease waited for arrived (or waiting failed): go on with the queue.
    pub(super) async fn lease_waited(&mut self, result: super::LeaseWaited) {
        self.lease_wait = None;
        match result {
            Ok(Ok(lease)) => self.lease = Some(lease),
            Ok(Err(e)) => {
                tracing::warn!(%e, "waiting for the session lease failed");
                self.emit(Event::Notice {
                    level: NoticeLevel::Warning,
                    message: format!(
                        "{e} — this turn runs without checking for other pincer processes on the session"
                    ),
                });
            }
            Err(e) => {
                self.error(
                    ErrorKind::Internal,
                    format!("waiting for the session failed: {e}"),
                );
                return;
            }
        }
        if self.queue.is_empty() {
            self.lease = None;
        }
        self.start_next().await;
    }

    /// Give up waiting for another pincer (Esc while waiting): the queued messages are dropped.
    pub(super) fn stop_waiting(&mut self) {
        if self.lease_wait.take().is_none() {
            return;
        }
        let dropped = self.queue.len();
        self.queue.clear();
        self.emit(Event::SessionBusy(SessionBusy {
            holder_pid: None,
            waiting: false,
        }));
        self.emit(Event::Notice {
            level: NoticeLevel::Info,
            message: format!("stopped waiting for the other pincer: {dropped} message(s) not sent"),
        });
    }

    /// Forget the session's lease and any wait for it (the runtime moves to another session).
    pub(super) fn leave_session(&mut self) {
        self.lease = None;
        self.lease_wait = None;
        self.planned_session = None;
        self.fresh_session = false;
        self.seen_item = 0;
    }

    /// Stop writing after the first failure (what is stored stays stored) and say so once.
    pub(super) fn storage_failed(&mut self, e: crate::store::StoreError) {
        tracing::error!(%e, "storage failed");
        if self.store.take().is_some() {
            self.error(
                ErrorKind::Storage,
                format!("{e} — the rest of this session is kept in memory only"),
            );
        }
    }
}
