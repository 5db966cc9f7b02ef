//! Switching profile or model (`/model`), listing what can be switched to, the context window
//! local servers report, and the provider client for the current choice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use crate::config::{Overrides, ResolvedProvider, context_window, resolve_provider};
use crate::protocol::{ErrorKind, Event, ModelListing, NoticeLevel, ProfileChoice, WindowSource};
use crate::provider::ProviderClient;
use crate::provider::catalog::{self, CatalogError};

use super::Runtime;

/// What the runtime knows about providers beyond the config: the one it started with and the
/// context windows servers reported (keyed by base URL and model).
pub(super) struct ModelState {
    started_with: Option<ResolvedProvider>,
    windows: Arc<Mutex<HashMap<String, u64>>>,
    /// A window was learned: the op loop sends `ContextUsage` again.
    learned_tx: UnboundedSender<()>,
    learned_rx: Option<UnboundedReceiver<()>>,
}

impl ModelState {
    pub(super) fn new(started_with: Option<ResolvedProvider>) -> ModelState {
        let (learned_tx, learned_rx) = mpsc::unbounded_channel();
        ModelState {
            started_with,
            windows: Arc::default(),
            learned_tx,
            learned_rx: Some(learned_rx),
        }
    }

    /// The receiver the op loop waits on (taken once).
    pub(super) fn take_learned(&mut self) -> UnboundedReceiver<()> {
        self.learned_rx
            .take()
            .unwrap_or_else(|| mpsc::unbounded_channel().1)
    }

    fn reported(&self, p: &ResolvedProvider) -> Option<u64> {
        self.windows.lock().ok()?.get(&window_key(p)).copied()
    }

    /// Ask the server for its window in the background (local servers only; once per model).
    pub(super) fn learn_window(&self, p: &ResolvedProvider) {
        if self.reported(p).is_some() || !crate::config::is_local_url(&p.base_url) {
            return;
        }
        let windows = Arc::clone(&self.windows);
        let tx = self.learned_tx.clone();
        let p = p.clone();
        tokio::spawn(async move {
            if let Some(n) = catalog::discover_window(&p).await {
                tracing::info!(window = n, base_url = %p.base_url, model = %p.model, "context window reported by the server");
                if let Ok(mut w) = windows.lock() {
                    w.insert(window_key(&p), n);
                }
                let _ = tx.send(());
            }
        });
    }

    /// A profile without a model learned which one the server runs (`from` had none, `to`
    /// names it): the window the server reported for its default is that model's window.
    pub(super) fn carry_window(&self, from: &ResolvedProvider, to: &ResolvedProvider) {
        if let Ok(mut w) = self.windows.lock()
            && let Some(n) = w.get(&window_key(from)).copied()
        {
            w.entry(window_key(to)).or_insert(n);
        }
    }
}

fn window_key(p: &ResolvedProvider) -> String {
    format!("{}\u{0}{}", p.base_url, p.model)
}

fn choice(name: &str, p: &ResolvedProvider) -> ProfileChoice {
    ProfileChoice {
        name: name.to_string(),
        kind: p.kind,
        base_url: p.base_url.clone(),
        model: p.model.clone(),
    }
}

impl Runtime {
    /// The model's context window in tokens (0 when no provider is configured) and how it was
    /// learned: the profile's `context_window`, what the server reported, else a guess.
    pub(super) fn window_info(&self) -> (u64, WindowSource) {
        let Some(p) = &self.provider else {
            return (0, WindowSource::Guessed);
        };
        let profile = self.settings.config.providers.get(&p.profile);
        if let Some(w) = profile.and_then(|c| c.context_window) {
            return (w, WindowSource::Configured);
        }
        if let Some(w) = self.models.reported(p) {
            return (w, WindowSource::Server);
        }
        (
            context_window(profile, p.kind, &p.model),
            WindowSource::Guessed,
        )
    }

    /// Ask the current (local) server for its context window in the background, unless the
    /// profile sets `context_window`.
    pub(super) fn learn_window(&self) {
        let Some(p) = &self.provider else { return };
        let configured = self
            .settings
            .config
            .providers
            .get(&p.profile)
            .is_some_and(|c| c.context_window.is_some());
        if !configured {
            self.models.learn_window(p);
        }
    }

    /// `/model` with a name: probe the target, then switch. Without a name: list.
    pub(super) async fn set_model(&mut self, name: &str) {
        if name.is_empty() {
            self.list_models();
            return;
        }
        let target = match self.switch_target(name) {
            Ok(t) => t,
            Err((kind, message)) => {
                self.error(kind, message);
                return;
            }
        };
        match catalog::list_models(&target).await {
            Err(e @ (CatalogError::Unreachable { .. } | CatalogError::Client(_))) => {
                self.error(ErrorKind::Network, format!("not switched to {name}: {e}"));
                return;
            }
            Ok(models)
                if !target.model.is_empty()
                    && !models.is_empty()
                    && !models.contains(&target.model) =>
            {
                let mut shown: Vec<&str> = models.iter().take(8).map(String::as_str).collect();
                if models.len() > shown.len() {
                    shown.push("…");
                }
                self.emit(Event::Notice {
                    level: NoticeLevel::Warning,
                    message: format!(
                        "{} does not list a model `{}` ({}); switched anyway",
                        target.base_url,
                        target.model,
                        shown.join(", ")
                    ),
                });
            }
            _ => {}
        }
        if let Some(key) = target.api_key.as_deref() {
            crate::redact::add_exact(key);
        }
        self.provider = Some(target);
        self.learn_window();
        self.unconfigured_reason = None;
        self.client = None;
        self.chain.pin();
        if let Some(p) = &self.provider {
            self.emit(Event::ProviderChanged { provider: p.info() });
        }
        self.emit_context_usage();
    }

    /// The provider `/model NAME` means: a profile, the start-up provider, or a model id for
    /// the current one.
    fn switch_target(&self, name: &str) -> Result<ResolvedProvider, (ErrorKind, String)> {
        let config = &self.settings.config;
        if config.providers.contains_key(name) {
            // Switching profile: the profile's own settings, not the start-up overrides.
            let env = Arc::clone(&self.settings.env);
            let scoped = move |k: &str| match k {
                "PINCER_MODEL" | "PINCER_BASE_URL" | "PINCER_PROVIDER" => None,
                _ => env(k),
            };
            let overrides = Overrides {
                provider: Some(name.to_string()),
                ..Overrides::default()
            };
            let path = self.settings.config_path.display().to_string();
            return resolve_provider(config, &overrides, &path, &scoped)
                .map_err(|e| (ErrorKind::Config, e.to_string()));
        }
        if let Some(start) = self
            .models
            .started_with
            .as_ref()
            .filter(|s| s.profile == name)
        {
            return Ok(start.clone());
        }
        match &self.provider {
            Some(p) => Ok(ResolvedProvider {
                model: name.to_string(),
                ..p.clone()
            }),
            None => Err((
                ErrorKind::NoProvider,
                format!(
                    "`{name}` is not a profile ({}), and there is no provider to set a model on",
                    config.profile_names().join(", ")
                ),
            )),
        }
    }

    /// Answer `ListModels`: profiles now, the server's models from a background request.
    pub(super) fn list_models(&self) {
        let config = &self.settings.config;
        let profiles: Vec<ProfileChoice> = config
            .providers
            .iter()
            .map(|(name, p)| ProfileChoice {
                name: name.clone(),
                kind: p.kind,
                base_url: p.base_url.clone(),
                model: p.model.clone(),
            })
            .collect();
        let started_with = self
            .models
            .started_with
            .as_ref()
            .filter(|s| {
                config.providers.get(&s.profile).is_none_or(|p| {
                    p.base_url.trim_end_matches('/') != s.base_url || p.model != s.model
                })
            })
            .map(|s| choice(&s.profile, s));
        let current = self.provider.clone();
        let events = self.events.clone();
        tokio::spawn(async move {
            let (server_models, server_error) = match &current {
                Some(p) => match catalog::list_models(p).await {
                    Ok(models) => (models, None),
                    Err(e) => (Vec::new(), Some(e.to_string())),
                },
                None => (Vec::new(), Some("no provider is configured".to_string())),
            };
            let _ = events.send(Event::ModelList(ModelListing {
                current: current.as_ref().map(ResolvedProvider::info),
                started_with,
                profiles,
                server_models,
                server_error,
            }));
        });
    }

    pub(super) fn client(&mut self) -> Result<Arc<ProviderClient>, String> {
        if let Some(c) = &self.client {
            return Ok(Arc::clone(c));
        }
        let provider = self.provider.clone().ok_or("no provider configured")?;
        let client = ProviderClient::new(provider, self.settings.config.network.clone())
            .map_err(|e| e.to_string())?;
        let client = Arc::new(client);
        self.client = Some(Arc::clone(&client));
        Ok(client)
    }
}
