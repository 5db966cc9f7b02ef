//! The pipeline in the runtime: before each turn the message is compiled into a task spec,
//! the policy picks tools and bounds, and the system prompt is assembled (`crate::pipeline`);
//! the decisions go out as `Event::TurnDiagnostics`. `/context` (`Op::ShowContext`) reports the
//! last request and what the next one would be.

use std::sync::Arc;

use super::{Runtime, compact, skill_tool};
use crate::pipeline::{self, TurnInputs, TurnPlan};
use crate::protocol::{ApprovalMode, ContextReport, Event, TaskType, TurnDiagnostics};
use crate::provider::ToolDef;

/// What is read from disk for the prompt: project instructions and core memory.
#[derive(Debug, Clone, Default)]
pub(super) struct Injections {
    pub instructions: String,
    pub core_memory: String,
    /// `[memory] auto_recall`'s block for the message being planned (`auto_recall.rs`).
    pub retrieved: String,
}

/// Tokens the core memory may take when it is read (the retrieval budget trims it further).
const CORE_MEMORY_CAP: usize = 2_000;

impl Runtime {
    /// Read the project instructions and core memory again (they may have changed), on the
    /// blocking pool; problems become notices once.
    pub(super) async fn refresh_injections(&mut self) {
        let workspace = self.settings.workspace.clone();
        let claude_md = self.settings.config.instructions.claude_md;
        let memory_dir = self.settings.memory_dir.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            let root = crate::memory::dirs::project_root(&workspace);
            let found = pipeline::instructions::load(&workspace, &root, claude_md);
            let mut problems = found.problems.clone();
            let core = memory_dir.map(|dir| {
                let dirs = crate::memory::MemoryDirs::under(&dir, &workspace);
                crate::memory::load_core(&dirs, CORE_MEMORY_CAP)
            });
            let core_text = match core {
                Some(c) => {
                    problems.extend(c.problems);
                    c.text
                }
                None => String::new(),
            };
            (found.text(), core_text, problems)
        })
        .await;
        let Ok((instructions, core_memory, problems)) = loaded else {
            return;
        };
        for p in problems {
            if !self.reported_problems.contains(&p) {
                self.emit(Event::Notice {
                    level: crate::protocol::NoticeLevel::Warning,
                    message: p.clone(),
                });
                self.reported_problems.push(p);
            }
        }
        self.injections = Injections {
            instructions,
            core_memory,
            retrieved: String::new(),
        };
    }

    /// Every tool that exists this turn: the toolbox's, `activate_skill` when skills exist,
    /// the memory tools, the ready MCP servers' (or the MCP search fallback).
    fn all_tool_defs(&self, mcp: Option<Vec<ToolDef>>) -> Vec<ToolDef> {
        if !self.settings.tools_enabled {
            return Vec::new();
        }
        let mut defs = self.toolbox.definitions(ApprovalMode::Yolo);
        if let Some(def) = self
            .skills
            .as_ref()
            .and_then(|k| skill_tool::definition(&k.catalog))
        {
            defs.push(def);
        }
        if self.memory_service().is_some() && self.store.is_some() {
            defs.extend(crate::tools::memory_specs::definitions(false));
        }
        defs.extend(mcp.unwrap_or_default());
        defs
    }

    fn restricted(&self) -> bool {
        self.skills
            .as_ref()
            .is_some_and(|k| k.restricted.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// The plan for `message` as the next turn (nothing is emitted or stored).
    pub(super) fn plan_for(&self, message: &str) -> TurnPlan {
        let mcp = self.mcp_offer();
        let mcp_read_only = mcp
            .as_ref()
            .map(|m| m.read_only.clone())
            .unwrap_or_default();
        let mcp_note = mcp.as_ref().map(|m| m.note.clone());
        let defs = self.all_tool_defs(mcp.map(|m| m.defs));
        let workspace = self.settings.workspace.display().to_string();
        let model = self
            .provider
            .as_ref()
            .map(|p| p.model.clone())
            .unwrap_or_default();
        let mode = self.gate.lock().mode;
        let inputs = TurnInputs {
            message,
            session: &self.session_state,
            config: &self.settings.config,
            mode,
            restricted: self.restricted(),
            workspace: &workspace,
            tools: &defs,
            read_only_tools: &mcp_read_only,
            instructions: &self.injections.instructions,
            core_memory: &self.injections.core_memory,
            retrieved: &self.injections.retrieved,
            skills_catalog: self.skills_prompt().unwrap_or(""),
            model: &model,
        };
        let mut plan = pipeline::plan_turn(&inputs);
        let d = &mut plan.diagnostics;
        let current = self.provider.as_ref().map(|p| p.profile.as_str());
        if let Some(routed) = self
            .chain
            .routed_model(d.policy.tier, current.unwrap_or(""))
        {
            d.model = routed;
        }
        d.policy.notes.extend(mcp_note);
        d.conversation_tokens = compact::estimate(None, &self.conversation);
        let sent = (d.system_tokens + d.tool_tokens + d.conversation_tokens) * 4;
        d.calibrated_tokens = self
            .calibration
            .tokens(usize::try_from(sent).unwrap_or(usize::MAX));
        plan
    }

    /// Plan the turn about to start (the user's message is already in the conversation),
    /// announce it and remember it for `/context`.
    pub(super) async fn plan_turn(&mut self, message: &str, turn_id: u64) -> TurnPlan {
        self.refresh_injections().await;
        self.injections.retrieved = self.auto_recall(message).await;
        let mut plan = self.plan_for(message);
        plan.diagnostics.turn_id = turn_id;
        self.note_mcp_connecting();
        self.last_system = Some(plan.system.clone());
        self.session_state.last_task = Some(plan.diagnostics.spec.task);
        self.emit(Event::TurnDiagnostics(Box::new(plan.diagnostics.clone())));
        self.last_diagnostics = Some(plan.diagnostics.clone());
        plan
    }

    /// After a turn: whether it used tools (a short follow-up stays capable), and the
    /// provider's count of the first request for calibration.
    pub(super) fn after_turn(&mut self, used_tools: bool, first_request: Option<(usize, u64)>) {
        self.session_state.last_used_tools = used_tools;
        if !used_tools && self.session_state.last_task == Some(TaskType::Answer) {
            self.session_state.last_task = None;
        }
        if let Some((bytes, tokens)) = first_request {
            self.calibration.observe(bytes, tokens);
        }
    }

    /// `/context`: the last request and the next one for `draft` (the composer's text).
    pub(super) async fn show_context(&mut self, draft: String) {
        self.refresh_injections().await;
        self.injections.retrieved = self.auto_recall(&draft).await;
        let next: TurnDiagnostics = self.plan_for(&draft).diagnostics;
        self.emit(Event::ContextReport(Box::new(ContextReport {
            last: self.last_diagnostics.clone(),
            next,
        })));
    }

    /// The system prompt of the last planned turn, or of a plan for an empty message.
    pub(super) fn planned_system(&self) -> Option<String> {
        match &self.last_system {
            Some(s) => s.clone(),
            None => self.plan_for("").system,
        }
    }
}

/// Bytes of a request as sent (system, messages, tool schemas): what calibration compares
/// with the provider's prompt token count.
pub(super) fn request_bytes(request: &crate::provider::ChatRequest) -> usize {
    request.system.as_deref().map_or(0, str::len)
        + request.messages.iter().map(|m| m.text_len()).sum::<usize>()
        + request
            .tools
            .iter()
            .map(|t| t.name.len() + t.description.len() + t.parameters.to_string().len())
            .sum::<usize>()
}

/// `pincer explain`: the plan for `message` as the first turn of a new session, with the
/// skills, project instructions and core memory a real turn would see — no store, no
/// watcher, no model.
pub async fn explain(settings: super::RuntimeSettings, message: &str) -> TurnDiagnostics {
    let (events, _ignored) = tokio::sync::mpsc::unbounded_channel();
    let mut rt = Runtime::new(settings, events);
    if let Some(roots) = rt.settings.skill_roots.clone() {
        let scan_roots = roots.clone();
        let catalog = tokio::task::spawn_blocking(move || super::skills::scan(&scan_roots))
            .await
            .unwrap_or_default();
        let (wake, _unused) = tokio::sync::mpsc::unbounded_channel();
        let mut skills = super::skills::Skills {
            roots,
            catalog: Arc::default(),
            restricted: Arc::default(),
            watcher: None,
            wake,
            budget: rt.settings.config.skills.catalog_tokens,
            prompt: None,
            dropped: Vec::new(),
        };
        skills.set_catalog(catalog);
        rt.skills = Some(skills);
    }
    rt.refresh_injections().await;
    rt.plan_for(message).diagnostics
}
