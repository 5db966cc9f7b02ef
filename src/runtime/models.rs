//! Switching profile or model (`/model`), and the provider client for the current choice.

use std::sync::Arc;

use crate::config::{Overrides, resolve_provider};
use crate::protocol::{ErrorKind, Event, NoticeLevel};
use crate::provider::ProviderClient;

use super::Runtime;

impl Runtime {
    pub(super) fn set_model(&mut self, name: &str) {
        let config = &self.settings.config;
        if name.is_empty() {
            let current = self
                .provider
                .as_ref()
                .map(|p| {
                    format!(
                        "{} / {}",
                        p.profile,
                        if p.model.is_empty() {
                            "(server default)"
                        } else {
                            &p.model
                        }
                    )
                })
                .unwrap_or_else(|| "none".into());
            self.emit(Event::Notice {
                level: NoticeLevel::Info,
                message: format!(
                    "current: {current}. Profiles: {}. Use /model PROFILE or /model MODEL-ID",
                    config.profile_names().join(", ")
                ),
            });
            return;
        }
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
            match resolve_provider(config, &overrides, &path, &scoped) {
                Ok(p) => {
                    self.provider = Some(p);
                    self.unconfigured_reason = None;
                }
                Err(e) => {
                    self.error(ErrorKind::Config, e.to_string());
                    return;
                }
            }
        } else {
            match self.provider.as_mut() {
                Some(p) => p.model = name.to_string(),
                None => {
                    self.error(
                        ErrorKind::NoProvider,
                        format!(
                            "`{name}` is not a profile ({}), and there is no provider to set a model on",
                            config.profile_names().join(", ")
                        ),
                    );
                    return;
                }
            }
        }
        self.client = None;
        self.chain.pin();
        if let Some(p) = &self.provider {
            self.emit(Event::ProviderChanged { provider: p.info() });
        }
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
