//! What the runtime does once at start: open the store, reopen a session, set up the policy,
//! say what is missing (provider, sandbox).

use crate::protocol::ProjectTrustRequest;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::gate::{Gate, SharedGate};
use super::{Resume, Runtime, RuntimeSettings, StoreHandle};
use crate::policy::{Rule, RuleList, RuleSet};
use crate::protocol::{ErrorKind, Event, Finding, NoticeLevel, OnboardingReport};
use crate::provider::probe;
use crate::sandbox::{self, Availability};

/// Rules from the user's config, the project, and `--allow`; the mode; the sandbox.
pub fn build_gate(s: &RuntimeSettings) -> SharedGate {
    let mut rules = RuleSet::default();
    let mut add = |texts: &[String], list: RuleList, source: &str| {
        for text in texts {
            // Config rules were validated when loaded; a bad `--allow` is reported at start.
            if let Ok(rule) = Rule::parse(text) {
                rules.add(list, rule, source);
            }
        }
    };
    let user = &s.config.permissions;
    add(&user.deny, RuleList::Deny, "user config");
    add(&user.ask, RuleList::Ask, "user config");
    add(&user.allow, RuleList::Allow, "user config");
    let project = &s.project_permissions;
    add(&project.deny, RuleList::Deny, "project config");
    add(&project.ask, RuleList::Ask, "project config");
    if s.project_trusted {
        add(&project.allow, RuleList::Allow, "project config");
    }
    add(&s.extra_allow, RuleList::Allow, "--allow");
    SharedGate::new(Gate {
        rules,
        mode: s.mode_override.unwrap_or(s.config.mode),
        sandbox_available: matches!(sandbox::availability(), Availability::Available { .. }),
        user_config: s.config_path.clone(),
        protected: super::gate::protected_paths(s),
    })
}

impl Runtime {
    pub(super) async fn start(
        &mut self,
        probe_tx: UnboundedSender<Vec<Finding>>,
        skills_tx: UnboundedSender<()>,
    ) {
        match StoreHandle::open(self.settings.database.clone()).await {
            Ok(store) => {
                if let Ok(Some(report)) = store.call(|s| Ok(s.integrity_report())).await {
                    self.after_configured.push(Event::Error {
                        kind: ErrorKind::Storage,
                        message: report,
                        retryable: false,
                    });
                }
                self.store = Some(store);
            }
            Err(e) => self.after_configured.push(Event::Error {
                kind: ErrorKind::Storage,
                message: format!("{e} — this conversation will not be saved"),
                retryable: false,
            }),
        }
        let mut history = Vec::new();
        match self.settings.resume.clone() {
            Resume::New => {}
            Resume::Id(id) => {
                history = self.load_session(id).await.unwrap_or_default();
            }
            Resume::ContinueLast => {
                let cwd = self.settings.workspace.display().to_string();
                if let Some(store) = &self.store {
                    match store.call(move |s| s.latest_session_in(&cwd)).await {
                        Ok(Some(id)) => {
                            history = self.load_session(id).await.unwrap_or_default();
                        }
                        Ok(None) => self.after_configured.push(Event::Notice {
                            level: NoticeLevel::Info,
                            message: "no earlier session in this directory: starting a new one"
                                .into(),
                        }),
                        Err(e) => self.after_configured.push(Event::Error {
                            kind: ErrorKind::Storage,
                            message: format!("cannot find the last session: {e}"),
                            retryable: false,
                        }),
                    }
                }
            }
        }
        self.configured(history).await;
        self.announce_policy();
        self.start_skills(skills_tx).await;
        self.ask_project_trust();
        for (kind, message) in std::mem::take(&mut self.settings.startup_errors) {
            self.error(kind, message);
        }
        if self.provider.is_none() {
            let probe = self.settings.probe_when_unconfigured;
            self.emit_onboarding(!probe, probe::env_findings(self.settings.env.as_ref()));
            if probe {
                let env = Arc::clone(&self.settings.env);
                tokio::spawn(async move {
                    let mut findings = probe::local_servers().await;
                    findings.extend(probe::env_findings(env.as_ref()));
                    let _ = probe_tx.send(findings);
                });
            }
        }
    }

    /// Project skills load only once the user trusted the folder: ask once (TUI only).
    fn ask_project_trust(&self) {
        let s = &self.settings;
        if !s.interactive || s.project_trusted || self.skills.is_none() {
            return;
        }
        let ws = s.workspace.display().to_string();
        if s.config.untrusted_projects.iter().any(|p| p == &ws) {
            return;
        }
        let folders =
            super::skills::project_skill_dirs(&s.workspace, s.config.skills.include_claude);
        if folders.is_empty() {
            return;
        }
        self.emit(Event::ProjectTrustRequest(ProjectTrustRequest {
            path: ws,
            skill_folders: folders.iter().map(|f| f.display().to_string()).collect(),
        }));
    }

    /// The answer to `ProjectTrustRequest`, remembered in the user's config.
    pub(super) async fn trust_project(&mut self, trust: bool) {
        let ws = self.settings.workspace.display().to_string();
        let key = if trust {
            "trusted_projects"
        } else {
            "untrusted_projects"
        };
        let path = self.settings.config_path.clone();
        let value = ws.clone();
        let saved =
            tokio::task::spawn_blocking(move || crate::policy::save_list_entry(&path, key, &value))
                .await;
        match saved {
            Ok(Ok(())) => {}
            Ok(Err(e)) => self.error(
                ErrorKind::Config,
                format!("{e} — the answer holds for this run only"),
            ),
            Err(e) => self.error(ErrorKind::Internal, e.to_string()),
        }
        if !trust {
            self.emit(Event::Notice {
                level: NoticeLevel::Info,
                message: format!(
                    "this project's skills and allow rules stay off (remembered; remove \"{ws}\" from untrusted_projects in {} to be asked again)",
                    self.settings.config_path.display()
                ),
            });
            return;
        }
        self.settings.project_trusted = true;
        {
            let mut gate = self.gate.lock();
            for text in &self.settings.project_permissions.allow {
                if let Ok(rule) = Rule::parse(text) {
                    gate.rules.add(RuleList::Allow, rule, "project config");
                }
            }
        }
        if let Some(skills) = self.skills.as_mut() {
            skills.roots.project = Some(self.settings.workspace.clone());
            skills.restart_watcher();
        }
        self.emit(Event::Notice {
            level: NoticeLevel::Info,
            message: "trusted this project: its skills and rules are loaded".into(),
        });
        self.rescan_skills(false).await;
    }

    fn announce_policy(&self) {
        let s = &self.settings;
        let (mode, sandboxed) = {
            let gate = self.gate.lock();
            (gate.mode, gate.sandbox_available)
        };
        let sandbox = match sandbox::availability() {
            Availability::Available { abi } => format!("Landlock ABI {abi}"),
            Availability::Unavailable { reason } => format!("none ({reason})"),
        };
        self.emit(Event::PolicyConfigured {
            mode,
            workspace: s.workspace.display().to_string(),
            sandbox: sandbox.clone(),
        });
        if !sandboxed && s.tools_enabled {
            self.emit(Event::Notice {
                level: NoticeLevel::Warning,
                message: format!(
                    "no sandbox for shell commands on this system: {sandbox}. Every shell command will ask before it runs, whatever the mode."
                ),
            });
        }
        for text in &s.extra_allow {
            if let Err(e) = Rule::parse(text) {
                self.error(ErrorKind::Config, format!("--allow \"{text}\": {e}"));
            }
        }
        let p = &s.project_permissions;
        if !s.project_trusted && !p.allow.is_empty() {
            self.emit(Event::Notice {
                level: NoticeLevel::Warning,
                message: format!(
                    "this project's .pincer/config.toml has {} allow rule(s), ignored because the project is not trusted; add \"{}\" to trusted_projects in {} to use them",
                    p.allow.len(),
                    s.workspace.display(),
                    s.config_path.display()
                ),
            });
        }
    }

    pub(super) fn emit_onboarding(&self, probe_done: bool, findings: Vec<Finding>) {
        if self.provider.is_some() {
            return;
        }
        self.emit(Event::Onboarding {
            report: OnboardingReport {
                reason: self.unconfigured_reason.clone().unwrap_or_default(),
                probe_done,
                findings,
                config_path: self.settings.config_path.display().to_string(),
            },
        });
    }
}
