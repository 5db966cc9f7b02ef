//! One `/task plan|apply` run, on a task of its own (`task_run.rs` starts it): every stage
//! reports as `Event::Task`; the approval is an ordinary `ApprovalRequested` the front end's
//! approval overlay answers; the run is stored as a session at the end.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::approvals::Approvals;
use super::chain::ProviderChain;
use super::{EnvLookup, StoreHandle};
use crate::protocol::{
    ApprovalDecision, ApprovalPreview, DecisionKind, Event, TaskAction, TaskChange, TaskOutcome,
    TaskRequest, TaskStep, TaskUpdate,
};
use crate::provider::ProviderClient;
use crate::provider::retry::RetryPolicy;
use crate::task::apply::{self, Prepared};
use crate::task::bundle::Bundle;
use crate::task::exec::{Runner, StepProgress};
use crate::task::{exec, forge, plan, session_log};

/// The model the forge asks (the runtime's chain and current client).
pub(super) struct Model {
    pub chain: Arc<ProviderChain>,
    pub current: Arc<ProviderClient>,
    pub retry: RetryPolicy,
}

pub(super) struct Job {
    pub events: UnboundedSender<Event>,
    pub request: TaskRequest,
    /// The `.cw` file (absolute).
    pub file: PathBuf,
    /// Where task state lives (`<data>/tasks/…`).
    pub data_dir: PathBuf,
    pub env: EnvLookup,
    /// `None`: the built-in templates compile (no model configured, or `no_ai`).
    pub model: Option<Model>,
    pub approvals: Approvals,
    /// A front end can answer the approval; without one nothing runs.
    pub interactive: bool,
    /// Its `task_dir` is set once the task is loaded.
    pub runner: Runner,
    pub store: Option<StoreHandle>,
    pub cancel: CancellationToken,
}

/// How a run ended, before it is reported.
struct End {
    ok: bool,
    message: String,
    session_id: Option<String>,
}

impl End {
    fn failed(message: impl Into<String>) -> End {
        End {
            ok: false,
            message: message.into(),
            session_id: None,
        }
    }
}

impl Job {
    pub async fn run(mut self) {
        let mut name = self.request.file.clone();
        let end = self.stages(&mut name).await;
        self.send(
            &name,
            TaskChange::Finished(TaskOutcome {
                ok: end.ok,
                message: end.message,
                session_id: end.session_id,
            }),
        );
    }

    fn send(&self, task: &str, change: TaskChange) {
        let _ = self.events.send(Event::Task(TaskUpdate {
            task: task.to_string(),
            file: self.request.file.clone(),
            change,
        }));
    }

    async fn stages(&mut self, name: &mut String) -> End {
        let env = Arc::clone(&self.env);
        let lookup = move |k: &str| env(k);
        let mut p = match apply::prepare(&self.file, &self.data_dir, false, &lookup) {
            Ok(p) => p,
            Err(e) => return End::failed(e.to_string()),
        };
        name.clone_from(&p.task.name);
        let rendered = plan::render(&p.plan);
        self.send(
            name,
            TaskChange::Plan {
                lines: rendered.lines().map(str::to_string).collect(),
                actions: p.plan.actions.len(),
            },
        );
        if self.request.action == TaskAction::Plan {
            return End {
                ok: true,
                message: format!(
                    "planned: {} action(s); nothing was compiled or run (/task apply {} runs them)",
                    p.plan.actions.len(),
                    self.request.file
                ),
                session_id: None,
            };
        }
        if p.plan.actions.is_empty() {
            return End {
                ok: true,
                message: "nothing to do: everything is as the task wants".into(),
                session_id: None,
            };
        }
        let bundle = match self.compile(name, &p).await {
            Ok(b) => b,
            Err(why) => return End::failed(why),
        };
        let steps = bundle
            .steps
            .iter()
            .map(|s| TaskStep {
                purpose: s.purpose.clone(),
                command: s.command.clone(),
            })
            .collect();
        self.send(name, TaskChange::Steps { steps });
        if let Err(why) = self.approve(name, &bundle).await {
            return End::failed(why);
        }
        self.execute(name, &mut p, &bundle, &rendered).await
    }

    async fn compile(&self, name: &str, p: &Prepared) -> Result<Bundle, String> {
        let Some(model) = &self.model else {
            let by = if self.request.no_ai {
                "the built-in templates"
            } else {
                "the built-in templates (no model is configured)"
            };
            self.send(name, TaskChange::Compiling { by: by.into() });
            return apply::templates_bundle(p).map_err(|e| e.to_string());
        };
        self.send(
            name,
            TaskChange::Compiling {
                by: format!("the model ({})", model.current.provider().model),
            },
        );
        let cancel = self.cancel.clone();
        let ask = |messages| {
            let (chain, current, retry, cancel) = (
                Arc::clone(&model.chain),
                Arc::clone(&model.current),
                model.retry,
                cancel.clone(),
            );
            Box::pin(async move {
                super::oneshot::ask_chain(
                    &chain,
                    &current,
                    retry,
                    forge::FORGE_PROMPT,
                    messages,
                    &cancel,
                )
                .await
            }) as Pin<Box<dyn std::future::Future<Output = _> + Send>>
        };
        forge::forge(&ask, &p.plan, &p.task.name, &p.task_dir, &p.facts)
            .await
            .map_err(|e| e.to_string())
    }

    /// One approval for the whole run, every command visible.
    async fn approve(&self, name: &str, bundle: &Bundle) -> Result<(), String> {
        if !self.interactive {
            return Err(
                "nothing was run: a task run asks once for its steps, and this front end cannot answer; use `pincer task apply FILE --yes`"
                    .into(),
            );
        }
        let (request_id, answer) = self.approvals.register();
        let _ = self.events.send(Event::ApprovalRequested(
            crate::protocol::ApprovalRequested {
                request_id,
                call_id: format!("task-{name}"),
                tool: "task".into(),
                summary: format!("Run {} step(s) of task {name}", bundle.steps.len()),
                reason: "a task run asks once for all its steps".into(),
                preview: ApprovalPreview::Text {
                    text: exec::describe_steps(bundle),
                },
                decisions: vec![DecisionKind::ApproveOnce, DecisionKind::DenyAndStop],
                suggested_rule: String::new(),
                session_rule: String::new(),
                taint: None,
            },
        ));
        let decision = tokio::select! {
            d = answer => d.ok(),
            () = self.cancel.cancelled() => None,
        };
        self.approvals.forget(request_id);
        match decision {
            Some(
                ApprovalDecision::ApproveOnce
                | ApprovalDecision::ApproveSession { .. }
                | ApprovalDecision::ApproveAlways { .. },
            ) => Ok(()),
            Some(_) => Err("not approved: nothing was run".into()),
            None => {
                let _ = self.events.send(Event::ApprovalWithdrawn { request_id });
                Err("cancelled before it was approved: nothing was run".into())
            }
        }
    }

    async fn execute(
        &mut self,
        name: &str,
        p: &mut Prepared,
        bundle: &Bundle,
        rendered: &str,
    ) -> End {
        self.runner.task_dir.clone_from(&p.task_dir);
        let events = self.events.clone();
        let (task, file) = (name.to_string(), self.request.file.clone());
        let mut progress = |step: StepProgress<'_>| {
            let change = match step {
                StepProgress::Started { index, .. } => TaskChange::StepStarted { index },
                StepProgress::Finished { index, record } => TaskChange::StepFinished {
                    index,
                    outcome: record.outcome.clone(),
                    ok: matches!(
                        record.outcome.as_str(),
                        "ok" | "started" | "started, healthy"
                    ),
                    exit_code: record.exit_code,
                    tail: record.output.clone(),
                    duration_ms: record.duration_ms,
                },
            };
            let _ = events.send(Event::Task(TaskUpdate {
                task: task.clone(),
                file: file.clone(),
                change,
            }));
        };
        let applied = match apply::execute(&self.runner, p, bundle, &mut progress).await {
            Ok(a) => a,
            Err(e) => return End::failed(e.to_string()),
        };
        let (ok, message) = apply::outcome(&applied, bundle);
        let session_id = self
            .store_session(p, bundle, &applied, rendered, ok, &message)
            .await;
        End {
            ok,
            message,
            session_id,
        }
    }

    async fn store_session(
        &self,
        p: &Prepared,
        bundle: &Bundle,
        applied: &apply::Applied,
        rendered: &str,
        ok: bool,
        outcome: &str,
    ) -> Option<String> {
        let store = self.store.clone()?;
        let commands: Vec<(String, String)> = bundle
            .steps
            .iter()
            .map(|s| (s.purpose.clone(), s.command.clone()))
            .collect();
        let (name, file, cwd) = (
            p.task.name.clone(),
            PathBuf::from(&self.request.file),
            p.task_dir.clone(),
        );
        let (plan_text, steps, outcome) = (
            rendered.to_string(),
            applied.result.steps.clone(),
            outcome.to_string(),
        );
        let stored = store
            .call(move |s| {
                session_log::store_run(
                    s,
                    &session_log::RunLog {
                        verb: "apply",
                        name: &name,
                        file: &file,
                        cwd: &cwd,
                        plan: &plan_text,
                        commands: &commands,
                        steps: &steps,
                        ok,
                        outcome: &outcome,
                    },
                )
            })
            .await;
        match stored {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::warn!(error = %e, "a task run was not stored as a session");
                None
            }
        }
    }
}

/// A drift check after a `[tasks] watch` file changed (`task_run.rs`), shown as a notice.
pub(super) struct WatchCheck {
    pub events: UnboundedSender<Event>,
    pub data_dir: PathBuf,
    pub env: EnvLookup,
}

impl WatchCheck {
    pub async fn check(&self, file: &std::path::Path) {
        let (level, message) = self.report(file).await;
        let _ = self.events.send(Event::Notice { level, message });
    }

    async fn report(&self, file: &std::path::Path) -> (crate::protocol::NoticeLevel, String) {
        use crate::protocol::NoticeLevel;
        let env = Arc::clone(&self.env);
        let lookup = move |k: &str| env(k);
        let shown = file.display();
        let task = match apply::load(file, &lookup) {
            Ok(t) => t,
            Err(e) => {
                return (
                    NoticeLevel::Warning,
                    format!("task {shown} changed and does not load:\n{e}"),
                );
            }
        };
        let store = crate::task::state::StateStore::new(
            &self.data_dir,
            &crate::task::state::task_id(&task.name, &task.file),
        );
        let state = match store.load(&task.name) {
            Ok(s) => s,
            Err(e) => return (NoticeLevel::Warning, format!("task {shown} changed: {e}")),
        };
        let report =
            crate::task::drift::check(&task, &state, false, crate::task_cli::now_secs()).await;
        if report.drift.is_empty() {
            return (
                NoticeLevel::Info,
                format!(
                    "task {shown} changed: no drift ({} resource(s) checked)",
                    report.checked
                ),
            );
        }
        let list: Vec<String> = report
            .drift
            .iter()
            .map(|d| format!("  {}: {}", d.id, d.observed))
            .collect();
        (
            NoticeLevel::Warning,
            format!(
                "task {shown} changed: {} of {} resource(s) drifted\n{}\n/task apply {shown} brings them back; `pincer task drift` lists the fixes",
                report.drift.len(),
                report.checked,
                list.join("\n")
            ),
        )
    }
}
