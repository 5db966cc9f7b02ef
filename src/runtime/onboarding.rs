//! Onboarding's "use what was found": write a working profile into config.toml
//! (`config::write_profile`, the same writer as `pincer config init --provider`), then switch
//! to it like `/model NAME`, so the session starts without a restart.

use crate::protocol::{ErrorKind, Event, NoticeLevel, WriteProfile};

use super::Runtime;

impl Runtime {
    pub(super) async fn write_profile(&mut self, req: WriteProfile) {
        let WriteProfile { profile, model } = req;
        if !self.settings.config.providers.contains_key(&profile) {
            self.error(
                ErrorKind::Config,
                format!(
                    "cannot set up `{profile}`: pincer knows no such profile ({}); add a [providers.{profile}] table to {}",
                    self.settings.config.profile_names().join(", "),
                    self.settings.config_path.display()
                ),
            );
            return;
        }
        let path = self.settings.config_path.clone();
        let (p, m) = (profile.clone(), model.clone());
        let written = tokio::task::spawn_blocking(move || {
            crate::config::write_profile(&path, &p, m.as_deref())
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                self.error(
                    ErrorKind::Config,
                    format!(
                        "could not write the profile: {e}; fix the file, or run `pincer config init --provider {profile}`"
                    ),
                );
                return;
            }
            Err(e) => {
                self.error(
                    ErrorKind::Config,
                    format!("could not write the profile: {e}"),
                );
                return;
            }
        }
        let config = &mut self.settings.config;
        config.default_provider = Some(profile.clone());
        if let (Some(model), Some(p)) = (&model, config.providers.get_mut(&profile)) {
            p.model.clone_from(model);
        }
        let what = match &model {
            Some(m) => format!("{profile} ({m})"),
            None => profile.clone(),
        };
        self.emit(Event::Notice {
            level: NoticeLevel::Info,
            message: format!(
                "wrote {what} as the default profile to {}; pincer starts with it from now on",
                self.settings.config_path.display()
            ),
        });
        self.set_model(&profile).await;
    }
}
