//! Every skill found under the roots, ranked by source, gated on requirements (`gate.rs`),
//! shadowed by name; the prompt's catalog within a token budget. Changes: `diff.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::bundled::BUNDLED;
use super::discover::{MAX_SKILLS_PER_ROOT, discover};
use super::gate::gate;
use super::load::load_skill_md;
use super::parse::{Parsed, Skill, parse_skill_md};
use super::{Diagnostic, SKILL_FILE};

/// Where a skill was found, highest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// `<project>/.pincer/skills`
    ProjectPincer,
    /// `<project>/.agents/skills`
    ProjectAgents,
    /// `<project>/.claude/skills` (when enabled in config)
    ProjectClaude,
    /// pincer's per-user skills dir
    User,
    /// `~/.agents/skills`
    UserAgents,
    /// per-user `installed_skills/` (`pincer skills install`): restricted
    Installed,
    /// built into the binary (the repo's `skills/`)
    Bundled,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::ProjectPincer => "project",
            Source::ProjectAgents => "project-agents",
            Source::ProjectClaude => "project-claude",
            Source::User => "user",
            Source::UserAgents => "user-agents",
            Source::Installed => "installed",
            Source::Bundled => "bundled",
        }
    }

    pub fn trust(self) -> Trust {
        match self {
            Source::Installed => Trust::Restricted,
            _ => Trust::Trusted,
        }
    }
}

/// Restricted skills (installed from elsewhere) limit the session to read-only tools while active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trust {
    Trusted,
    Restricted,
}

impl Trust {
    pub fn label(self) -> &'static str {
        match self {
            Trust::Trusted => "trusted",
            Trust::Restricted => "restricted",
        }
    }
}

/// The folders skills are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillRoots {
    /// The workspace; `None` while the user has not trusted the project folder.
    pub project: Option<PathBuf>,
    pub include_claude: bool,
    pub user_dir: PathBuf,
    pub user_agents_dir: Option<PathBuf>,
    pub installed_dir: PathBuf,
    pub bundled: bool,
}

impl SkillRoots {
    /// pincer's defaults: `<config>/skills`, `<data>/installed_skills`, and `~/.agents/skills`
    /// unless `PINCER_HOME` is set (tests and portable installs never read the real home).
    pub fn standard(
        paths: &crate::paths::Paths,
        project: Option<PathBuf>,
        include_claude: bool,
    ) -> SkillRoots {
        let home_set = std::env::var_os("PINCER_HOME").is_some_and(|h| !h.is_empty());
        let user_agents_dir = if home_set {
            None
        } else {
            directories::BaseDirs::new().map(|b| b.home_dir().join(".agents").join("skills"))
        };
        SkillRoots {
            project,
            include_claude,
            user_dir: paths.config_dir.join("skills"),
            user_agents_dir,
            installed_dir: paths.data_dir.join("installed_skills"),
            bundled: true,
        }
    }

    /// The on-disk roots in precedence order (bundled skills have none).
    pub fn dirs(&self) -> Vec<(Source, PathBuf)> {
        let mut out = Vec::new();
        if let Some(p) = &self.project {
            out.push((Source::ProjectPincer, p.join(".pincer").join("skills")));
            out.push((Source::ProjectAgents, p.join(".agents").join("skills")));
            if self.include_claude {
                out.push((Source::ProjectClaude, p.join(".claude").join("skills")));
            }
        }
        out.push((Source::User, self.user_dir.clone()));
        if let Some(d) = &self.user_agents_dir {
            out.push((Source::UserAgents, d.clone()));
        }
        out.push((Source::Installed, self.installed_dir.clone()));
        out
    }

    /// What [`super::SkillWatcher::start`] should watch.
    pub fn watch_paths(&self) -> Vec<PathBuf> {
        self.dirs().into_iter().map(|(_, p)| p).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Loaded, with these warnings.
    Warning {
        warnings: Vec<Diagnostic>,
    },
    /// Disabled.
    Error {
        error: Diagnostic,
    },
    /// A requirement is missing: "needs `rg` on PATH", "needs $GITHUB_TOKEN".
    Unavailable {
        reason: String,
    },
    /// A higher-precedence skill of the same name wins.
    Shadowed {
        by_source: Source,
        by_dir: PathBuf,
    },
}

impl Status {
    pub fn label(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning { .. } => "warning",
            Status::Error { .. } => "error",
            Status::Unavailable { .. } => "unavailable",
            Status::Shadowed { .. } => "shadowed",
        }
    }

    /// Ok or Warning: the skill can be offered.
    pub fn is_usable(&self) -> bool {
        matches!(self, Status::Ok | Status::Warning { .. })
    }

    /// A one-line explanation for a pane ("shadowed by project: /w/.pincer/skills/x").
    pub fn detail(&self) -> String {
        match self {
            Status::Ok => String::new(),
            Status::Warning { warnings } => warnings
                .iter()
                .map(|w| format!("line {}: {}", w.line, w.message))
                .collect::<Vec<_>>()
                .join("; "),
            Status::Error { error } => format!("line {}: {}", error.line, error.message),
            Status::Unavailable { reason } => reason.clone(),
            Status::Shadowed { by_source, by_dir } => {
                format!("shadowed by {}: {}", by_source.label(), by_dir.display())
            }
        }
    }
}

/// Length and FNV-1a hash of SKILL.md: a touch without a change is not a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fingerprint {
    pub len: u64,
    pub hash: u64,
}

impl Fingerprint {
    pub fn of(bytes: &[u8]) -> Fingerprint {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        Fingerprint {
            len: bytes.len() as u64,
            hash,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillEntry {
    /// The declared name (the folder name when the skill could not be parsed).
    pub name: String,
    pub description: String,
    pub source: Source,
    pub trust: Trust,
    /// The skill's folder; `bundled:<name>` for bundled skills.
    pub dir: PathBuf,
    /// Its SKILL.md; `bundled:<name>/SKILL.md` for bundled skills.
    pub file: PathBuf,
    pub status: Status,
    /// Parse warnings (also kept when the status is unavailable or shadowed).
    pub warnings: Vec<Diagnostic>,
    /// The parsed skill; `None` when the status is Error.
    pub skill: Option<Skill>,
    pub fingerprint: Fingerprint,
}

impl SkillEntry {
    fn from_parsed(
        source: Source,
        dir: PathBuf,
        file: PathBuf,
        folder: &str,
        parsed: Parsed,
        fingerprint: Fingerprint,
    ) -> SkillEntry {
        let (name, description, status, skill) = match parsed.result {
            Ok(skill) => {
                let status = if parsed.warnings.is_empty() {
                    Status::Ok
                } else {
                    Status::Warning {
                        warnings: parsed.warnings.clone(),
                    }
                };
                (
                    skill.name.clone(),
                    skill.description.clone(),
                    status,
                    Some(skill),
                )
            }
            Err(error) => (
                folder.to_string(),
                String::new(),
                Status::Error { error },
                None,
            ),
        };
        SkillEntry {
            name,
            description,
            source,
            trust: source.trust(),
            dir,
            file,
            status,
            warnings: parsed.warnings,
            skill,
            fingerprint,
        }
    }

    fn load_dir(source: Source, dir: &Path) -> SkillEntry {
        let file = dir.join(SKILL_FILE);
        let folder = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (parsed, fingerprint) = load_skill_md(&file, &folder);
        SkillEntry::from_parsed(
            source,
            dir.to_path_buf(),
            file,
            &folder,
            parsed,
            fingerprint,
        )
    }

    fn bundled(name: &str, text: &str) -> SkillEntry {
        let dir = PathBuf::from(format!("bundled:{name}"));
        let file = dir.join(SKILL_FILE);
        let parsed = parse_skill_md(text, &file, name);
        let fp = Fingerprint::of(text.as_bytes());
        SkillEntry::from_parsed(Source::Bundled, dir, file, name, parsed, fp)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub(crate) entries: Vec<SkillEntry>,
    /// Roots holding more skills than are loaded (the rest are left out, and said so).
    pub(crate) capped: Vec<CappedRoot>,
}

/// A root with more than [`MAX_SKILLS_PER_ROOT`] skill folders: only the first ones (by path)
/// are loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CappedRoot {
    pub source: Source,
    pub root: PathBuf,
    pub limit: usize,
}

impl CappedRoot {
    /// One line for a notice, `skills list` and `skills validate`.
    pub fn message(&self) -> String {
        format!(
            "{} holds more than {} skills; only the first {} (by path) are loaded — move the \
             others elsewhere",
            self.root.display(),
            self.limit,
            self.limit
        )
    }
}

impl Catalog {
    /// Reads every root. `env_lookup` and `has_binary` decide gating (pass [`env_var`] and
    /// [`has_binary_on_path`] in production).
    pub fn scan(
        roots: &SkillRoots,
        env_lookup: &dyn Fn(&str) -> Option<String>,
        has_binary: &dyn Fn(&str) -> bool,
    ) -> Catalog {
        let mut entries: Vec<SkillEntry> = Vec::new();
        let mut capped = Vec::new();
        for (source, root) in roots.dirs() {
            let found = discover(&root);
            if found.capped {
                capped.push(CappedRoot {
                    source,
                    root: root.clone(),
                    limit: MAX_SKILLS_PER_ROOT,
                });
            }
            for dir in found.dirs {
                entries.push(SkillEntry::load_dir(source, &dir));
            }
        }
        if roots.bundled {
            entries.extend(BUNDLED.iter().map(|(n, t)| SkillEntry::bundled(n, t)));
        }
        gate(&mut entries, env_lookup, has_binary);
        shadow(&mut entries);
        Catalog { entries, capped }
    }

    /// Roots whose skills were not all loaded (see [`CappedRoot`]).
    pub fn capped(&self) -> &[CappedRoot] {
        &self.capped
    }

    /// Every entry, in precedence order (for a pane and `skills list`).
    pub fn entries(&self) -> &[SkillEntry] {
        &self.entries
    }

    /// The skills that can be offered: Ok or Warning, not shadowed, not unavailable.
    pub fn available(&self) -> impl Iterator<Item = &SkillEntry> {
        self.entries.iter().filter(|e| e.status.is_usable())
    }

    /// The names for the `activate_skill` tool's enum, in precedence order.
    pub fn available_names(&self) -> Vec<String> {
        self.available().map(|e| e.name.clone()).collect()
    }

    /// The available skill called `name`.
    pub fn get(&self, name: &str) -> Option<&SkillEntry> {
        self.available().find(|e| e.name == name)
    }

    /// Every warning and error of every entry.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for e in &self.entries {
            out.extend(e.warnings.iter().cloned());
            if let Status::Error { error } = &e.status {
                out.push(error.clone());
            }
        }
        out
    }

    /// The prompt's catalog: names and descriptions, admitted in precedence order while the
    /// estimate (bytes / 4) stays within `budget_tokens`; once one does not fit, it and every
    /// later skill are dropped. Returns the text ("" when nothing fits) and the dropped names.
    pub fn prompt_section(&self, budget_tokens: usize) -> (String, Vec<String>) {
        const HEADER: &str = "## Skills\n\nSkills are folders of instructions for particular \
            tasks. When a task matches a skill's description, call `activate_skill` with its \
            name before starting, then follow the instructions it returns.\n\n";
        let tokens = |s: &str| s.len().div_ceil(4);
        let mut text = String::from(HEADER);
        let mut used = tokens(HEADER);
        let mut admitted = 0;
        let mut dropped = Vec::new();
        for e in self.available() {
            let desc = e
                .description
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            let line = format!("- {}: {desc}\n", e.name);
            if dropped.is_empty() && used + tokens(&line) <= budget_tokens {
                used += tokens(&line);
                text.push_str(&line);
                admitted += 1;
            } else {
                dropped.push(e.name.clone());
            }
        }
        if admitted == 0 {
            text.clear();
        }
        (text, dropped)
    }
}

/// The first usable entry of a name wins; later usable ones say which one shadows them.
/// Broken and unavailable entries shadow nothing: a lower skill of that name stays usable.
fn shadow(entries: &mut [SkillEntry]) {
    let mut winners: HashMap<String, (Source, PathBuf)> = HashMap::new();
    for e in entries.iter_mut().filter(|e| e.status.is_usable()) {
        if let Some((by_source, by_dir)) = winners.get(&e.name) {
            e.status = Status::Shadowed {
                by_source: *by_source,
                by_dir: by_dir.clone(),
            };
        } else {
            winners.insert(e.name.clone(), (e.source, e.dir.clone()));
        }
    }
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
