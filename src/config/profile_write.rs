//! Writing a working profile into config.toml: `pincer config init --provider NAME` and the
//! onboarding screen's "use this" (what the probe found). Comments and everything else in the
//! file are kept (toml_edit, through the same atomic editor that saves rules).

use std::path::Path;

use toml_edit::{Item, Table, value};

use crate::policy::SaveError;

/// Profiles `config init --provider` knows how to write.
pub const INIT_PROVIDERS: &[&str] = &[
    "ollama",
    "llamacpp",
    "lmstudio",
    "vllm",
    "openai",
    "anthropic",
];

/// Make `profile` the default (and set its model when given) in the config file at `path`.
/// A missing file starts from the commented template. The file is never left half-written.
pub fn write_profile(path: &Path, profile: &str, model: Option<&str>) -> Result<(), SaveError> {
    if !path.exists() {
        crate::config::init_file(path).map_err(|source| SaveError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    }
    crate::policy::save::edit(path, |doc| {
        doc.as_table_mut()
            .insert("default_provider", value(profile));
        if let Some(model) = model.filter(|m| !m.is_empty()) {
            let providers = doc
                .as_table_mut()
                .entry("providers")
                .or_insert_with(|| {
                    let mut t = Table::new();
                    t.set_implicit(true);
                    Item::Table(t)
                })
                .as_table_mut()
                .ok_or_else(|| SaveError::NotATable {
                    path: path.to_path_buf(),
                    key: "providers".into(),
                })?;
            let table = providers
                .entry(profile)
                .or_insert_with(|| Item::Table(Table::new()))
                .as_table_mut()
                .ok_or_else(|| SaveError::NotATable {
                    path: path.to_path_buf(),
                    key: format!("providers.{profile}"),
                })?;
            table.insert("model", value(model));
        }
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn init_with_a_provider_writes_a_loadable_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        for name in INIT_PROVIDERS {
            let _ = std::fs::remove_file(&path);
            write_profile(&path, name, None).unwrap();
            let c = Config::load(&path).unwrap();
            assert_eq!(c.default_provider.as_deref(), Some(*name));
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.contains("# pincer configuration"), "template kept");
        }
    }

    #[test]
    fn writing_a_found_model_keeps_the_rest_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\ntheme = \"light\"\n[providers.ollama]\nmax_tokens = 99 # keep\n[permissions]\nallow = [\"read_file\"]\n",
        )
        .unwrap();
        write_profile(&path, "ollama", Some("qwen3:4b")).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# mine") && text.contains("# keep"), "{text}");
        let c = Config::load(&path).unwrap();
        assert_eq!(c.default_provider.as_deref(), Some("ollama"));
        assert_eq!(c.providers["ollama"].model, "qwen3:4b");
        assert_eq!(c.providers["ollama"].max_tokens, 99);
        assert_eq!(c.theme, "light");
    }

    #[test]
    fn a_broken_file_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "theme = = 1\n").unwrap();
        assert!(write_profile(&path, "ollama", Some("m")).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "theme = = 1\n");
    }
}
