//! `[tasks]`: declarative `.cw` tasks — whether drift fixes the policy allows apply by
//! themselves, and which task files are watched for changes.

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use super::ranges::At;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TasksConfig {
    /// Artifact patches to retries, health-check timing and logging found by `task drift`
    /// apply without asking (within the budget: two per task per hour, with a cool-down).
    /// Ports, mounts, privileges and anything destructive never do.
    pub auto_fix: bool,
    /// `.cw` files checked for drift when they change (paths as written).
    pub watch: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct FileTasks {
    auto_fix: Option<bool>,
    watch: Option<Vec<Spanned<String>>>,
}

impl FileTasks {
    pub(super) fn resolve(self, at: At<'_>) -> Result<TasksConfig, ConfigError> {
        let mut watch = Vec::new();
        for w in self.watch.unwrap_or_default() {
            let path = w.get_ref().trim();
            if path.is_empty() || !path.ends_with(".cw") {
                return Err(at(
                    w.span().start,
                    format!("[tasks] watch entry `{}` is not a .cw file", w.get_ref()),
                    "list task files, e.g. watch = [\"~/svc/web.cw\"]",
                ));
            }
            watch.push(path.to_string());
        }
        Ok(TasksConfig {
            auto_fix: self.auto_fix.unwrap_or(false),
            watch,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    #[test]
    fn tasks_default_off_and_parse() {
        let c = Config::parse("", Path::new("c.toml")).unwrap();
        assert!(!c.tasks.auto_fix && c.tasks.watch.is_empty());
        let c = Config::parse(
            "[tasks]\nauto_fix = true\nwatch = [\"a/web.cw\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert!(c.tasks.auto_fix);
        assert_eq!(c.tasks.watch, ["a/web.cw"]);
    }

    #[test]
    fn the_templates_tasks_block_is_valid_when_uncommented() {
        let t = crate::config::TEMPLATE;
        let text = t
            .replace("# auto_fix = false", "auto_fix = true")
            .replace("# watch = [\"~/svc/web.cw\"]", "watch = [\"~/svc/web.cw\"]");
        assert_ne!(text, t);
        let c = Config::parse(&text, Path::new("c.toml")).unwrap();
        assert!(c.tasks.auto_fix);
        assert_eq!(c.tasks.watch, ["~/svc/web.cw"]);
        let shown = c.describe(Path::new("c.toml"));
        assert!(
            shown.contains("[tasks]\nauto_fix = true\nwatch = [\"~/svc/web.cw\"]"),
            "{shown}"
        );
    }

    #[test]
    fn bad_tasks_values_are_located() {
        let e = Config::parse("[tasks]\nwatch = [\"notes.txt\"]\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c.toml:2:") && e.contains("not a .cw file"),
            "{e}"
        );
        let e = Config::parse("[tasks]\nauto_fix = \"yes\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml:2:"), "{e}");
        let e = Config::parse("[tasks]\nautofix = true\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("autofix"), "{e}");
    }
}
