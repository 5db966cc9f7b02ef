//! `Op::Task`: `/task plan FILE` and `/task apply FILE` from a front end. The runtime runs the
//! same path as `pincer task apply` (`task::apply`): load → plan → the forge through this
//! runtime's provider chain (or the built-in templates when there is no model or `no_ai`) →
//! validate → ONE `ApprovalRequested` listing every command → the steps through this
//! runtime's gate (deny rules still refuse a step) and the sandbox → state, run log, and the
//! run stored as a session (origin `task`). Progress goes out as `Event::Task`.
//!
//! A run is a task of its own (the op loop stays free to answer the approval); one at a time.

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Runtime;
use crate::protocol::{Event, TaskAction, TaskChange, TaskOutcome, TaskRequest, TaskUpdate};

/// The task run in progress, if any, and the `[tasks] watch` watcher.
#[derive(Default)]
pub(super) struct TaskSlot {
    running: Option<(JoinHandle<()>, CancellationToken)>,
    #[cfg(feature = "tasks")]
    watcher: Option<crate::task::watch::TaskWatcher>,
}

impl TaskSlot {
    fn busy(&self) -> bool {
        self.running.as_ref().is_some_and(|(h, _)| !h.is_finished())
    }

    /// Stop the running task (on shutdown or `/task cancel`); whether one was running.
    pub(super) fn cancel(&self) -> bool {
        match &self.running {
            Some((h, cancel)) if !h.is_finished() => {
                cancel.cancel();
                true
            }
            _ => false,
        }
    }
}

impl Runtime {
    pub(super) fn task_op(&mut self, req: TaskRequest) {
        let file = req.file.clone();
        let finished = move |message: String| {
            Event::Task(TaskUpdate {
                task: file.clone(),
                file: file.clone(),
                change: TaskChange::Finished(TaskOutcome {
                    ok: false,
                    message,
                    session_id: None,
                }),
            })
        };
        if req.action == TaskAction::Cancel {
            if !self.task_run.cancel() {
                self.emit(Event::Notice {
                    level: crate::protocol::NoticeLevel::Info,
                    message: "no task is running".into(),
                });
            }
            return;
        }
        if req.file.trim().is_empty() {
            self.emit(finished(
                "name a task file: /task plan FILE.cw or /task apply FILE.cw".into(),
            ));
            return;
        }
        if self.task_run.busy() {
            self.emit(finished(
                "a task is running: wait for it, or stop it with /task cancel".into(),
            ));
            return;
        }
        match self.task_job(req) {
            Ok((job, cancel)) => {
                self.task_run.running = Some((tokio::spawn(job), cancel));
            }
            Err(why) => self.emit(finished(why)),
        }
    }

    /// Where task state lives: beside the database (a scratch folder without one).
    #[cfg(feature = "tasks")]
    fn task_data_dir(&self) -> std::path::PathBuf {
        match self.settings.database.as_deref().and_then(|d| d.parent()) {
            Some(d) => d.to_path_buf(),
            None => self.settings.temp_dir.join("data"),
        }
    }

    #[cfg(not(feature = "tasks"))]
    pub(super) fn start_task_watch(&mut self) {}

    /// `[tasks] watch`: a drift check, shown as a notice, each time a listed file changes.
    #[cfg(feature = "tasks")]
    pub(super) fn start_task_watch(&mut self) {
        use std::sync::atomic::{AtomicBool, Ordering};
        let watch = &self.settings.config.tasks.watch;
        if watch.is_empty() {
            return;
        }
        let home = (self.settings.env)("HOME").map(std::path::PathBuf::from);
        let files: Vec<std::path::PathBuf> = watch
            .iter()
            .map(|w| crate::task::watch::resolve(w, home.as_deref(), &self.settings.workspace))
            .collect();
        let ctx = std::sync::Arc::new(super::task_job::WatchCheck {
            events: self.events.clone(),
            data_dir: self.task_data_dir(),
            env: std::sync::Arc::clone(&self.settings.env),
        });
        let handle = tokio::runtime::Handle::current();
        let pending = std::sync::Arc::new(AtomicBool::new(false));
        let started = crate::task::watch::start(files, move |file| {
            // One check for a burst of events: the flag is cleared when the check starts
            // reading, so a write during the check is checked again.
            if pending.swap(true, Ordering::SeqCst) {
                return;
            }
            let (ctx, pending) = (std::sync::Arc::clone(&ctx), std::sync::Arc::clone(&pending));
            handle.spawn(async move {
                tokio::task::yield_now().await;
                pending.store(false, Ordering::SeqCst);
                ctx.check(&file).await;
            });
        });
        let problems = match started {
            Ok((w, errors)) => {
                self.task_run.watcher = Some(w);
                errors
            }
            Err(e) => vec![e],
        };
        for p in problems {
            self.emit(Event::Notice {
                level: crate::protocol::NoticeLevel::Warning,
                message: format!(
                    "[tasks] watch: {p}; drift is not checked when that file changes (fix the path in {})",
                    self.settings.config_path.display()
                ),
            });
        }
    }

    #[cfg(not(feature = "tasks"))]
    fn task_job(
        &mut self,
        _req: TaskRequest,
    ) -> Result<(std::future::Ready<()>, CancellationToken), String> {
        Err(
            "this pincer was built without the `tasks` feature: rebuild with it to run tasks"
                .into(),
        )
    }

    #[cfg(feature = "tasks")]
    fn task_job(
        &mut self,
        req: TaskRequest,
    ) -> Result<
        (
            impl std::future::Future<Output = ()> + Send + 'static,
            CancellationToken,
        ),
        String,
    > {
        let cancel = CancellationToken::new();
        let model = if req.no_ai {
            None
        } else {
            self.client().ok().map(|current| super::task_job::Model {
                chain: std::sync::Arc::clone(&self.chain),
                current,
                retry: crate::provider::retry::RetryPolicy::from(&self.settings.config.network),
            })
        };
        let file = std::path::Path::new(req.file.trim());
        let file = if file.is_absolute() {
            file.to_path_buf()
        } else {
            self.settings.workspace.join(file)
        };
        let data_dir = self.task_data_dir();
        let runner = crate::task::apply::runner(
            &self.settings,
            self.gate.clone(),
            &self.settings.workspace,
            std::time::Duration::from_secs(300),
            cancel.clone(),
        );
        let job = super::task_job::Job {
            events: self.events.clone(),
            request: req,
            file,
            data_dir,
            env: std::sync::Arc::clone(&self.settings.env),
            model,
            approvals: self.approvals.clone(),
            interactive: self.settings.interactive,
            runner,
            store: self.store.clone(),
            cancel: cancel.clone(),
        };
        Ok((job.run(), cancel))
    }
}
