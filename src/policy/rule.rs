//! One permission rule: `TOOL` or `TOOL: PATTERN`, parsed and compiled once.

use std::fmt;
use std::str::FromStr;

use globset::{GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};

use super::command::{self, CommandPattern, PreparedCommand};
use super::url::{self, ParsedUrl};
use super::{CallSubject, SubjectKind, path};

/// Why a rule's text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("empty rule: write `TOOL` or `TOOL: PATTERN`, e.g. `shell: git status*`")]
    Empty,
    #[error("rule `{rule}`: missing tool name before `:`, e.g. `shell: {pattern}`")]
    EmptyTool { rule: String, pattern: String },
    #[error(
        "rule `{rule}`: `{tool}` is not a tool name (letters, digits, `_`, `-`, `.`, or `*` for every tool){hint}"
    )]
    BadTool {
        rule: String,
        tool: String,
        hint: String,
    },
    #[error("rule `{rule}`: empty pattern after `:`; write `{tool}` alone to match any arguments")]
    EmptyPattern { rule: String, tool: String },
    #[error("rule `{rule}`: bad glob `{glob}`: {reason}")]
    BadGlob {
        rule: String,
        glob: String,
        reason: String,
    },
    #[error("rule `{rule}`: bad domain `{domain}`: {reason}")]
    BadDomain {
        rule: String,
        domain: String,
        reason: String,
    },
    #[error(
        "rule `{rule}`: there is no tool `{tool}`{hint}; known tools: {known}, `*` for every tool, or `mcp__SERVER__TOOL`"
    )]
    UnknownTool {
        rule: String,
        tool: String,
        hint: String,
        known: String,
    },
}

/// The tools a rule may name today (besides `*` and `mcp__…` names).
/// The rule tool name of a shell call that asks for network (`"network": true`):
/// `shell_network: curl *` allows such calls; a `shell:` rule denies or asks for them too but
/// never allows them, so allowing a command never implies network.
pub const NETWORK_SHELL: &str = "shell_network";

pub const KNOWN_TOOLS: &[&str] = &[
    "shell",
    NETWORK_SHELL,
    "read_file",
    "write_file",
    "edit_file",
    "list_dir",
    "glob",
    "grep",
    "web_fetch",
    "activate_skill",
    "memory_search",
    "memory_get",
    "memory_write",
    "memory_forget",
];

/// Refuses a rule naming a tool that does not exist: a typo in a deny rule must not silently
/// protect nothing. `*` and `mcp__SERVER__TOOL` names (tools of MCP servers) pass.
pub fn check_known_tool(rule: &Rule) -> Result<(), RuleError> {
    let tool = rule.tool();
    let mcp = tool
        .strip_prefix("mcp__")
        .is_some_and(|rest| !rest.is_empty());
    if tool == "*" || mcp || KNOWN_TOOLS.contains(&tool) {
        return Ok(());
    }
    let hint = KNOWN_TOOLS
        .iter()
        .map(|known| (edit_distance(tool, known), known))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, known)| format!(" (did you mean `{known}`?)"))
        .unwrap_or_default();
    Err(RuleError::UnknownTool {
        rule: rule.text().to_string(),
        tool: tool.to_string(),
        hint,
        known: KNOWN_TOOLS.join(", "),
    })
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The subject kind a known tool's calls have; `None` for `*` and unknown tools.
pub fn tool_subject_kind(tool: &str) -> Option<SubjectKind> {
    match tool {
        "shell" | NETWORK_SHELL => Some(SubjectKind::Command),
        "read_file" | "write_file" | "edit_file" | "list_dir" | "glob" | "grep" => {
            Some(SubjectKind::Path)
        }
        "web_fetch" => Some(SubjectKind::Url),
        _ => None,
    }
}

/// A parsed, compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    text: String,
    tool: String,
    pattern: Option<String>,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    /// Bare `TOOL`: any arguments.
    Any,
    Command(CommandPattern),
    Path(PathGlob),
    Url(UrlPattern),
    /// `*` and unknown tools: the subject's kind picks the matcher.
    Every(Box<EveryKind>),
}

#[derive(Debug, Clone)]
struct EveryKind {
    command: CommandPattern,
    path: PathGlob,
    url: UrlPattern,
    other: GlobMatcher,
}

#[derive(Debug, Clone)]
struct PathGlob {
    /// The pattern and the pattern + `/**` (a directory names everything beneath it).
    set: GlobSet,
}

#[derive(Debug, Clone)]
enum UrlPattern {
    /// Lowercase host, no trailing dot.
    Domain(String),
    Glob {
        /// Allow/ask: `*` stays within one path component, so a wildcard in the host part
        /// cannot reach into the path.
        bounded: GlobMatcher,
        /// Deny: `*` crosses `/` (a deny rule errs on matching more).
        free: GlobMatcher,
    },
}

/// A call subject prepared once and matched against many rules.
#[derive(Debug)]
pub(crate) struct Prepared<'a> {
    subject: &'a CallSubject,
    data: PreparedData,
}

#[derive(Debug)]
enum PreparedData {
    Command(PreparedCommand),
    /// The lexically normalised path.
    Path(String),
    Url(Option<ParsedUrl>),
    Other,
}

impl<'a> Prepared<'a> {
    pub(crate) fn new(subject: &'a CallSubject) -> Prepared<'a> {
        let data = match subject.kind {
            SubjectKind::Command => PreparedData::Command(PreparedCommand::new(&subject.text)),
            SubjectKind::Path => PreparedData::Path(path::normalize(&subject.text)),
            SubjectKind::Url => PreparedData::Url(url::parse(&subject.text)),
            SubjectKind::Other => PreparedData::Other,
        };
        Prepared { subject, data }
    }
}

fn is_tool_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

impl Rule {
    /// Parses `TOOL` or `TOOL: PATTERN` (whitespace around `:` optional) and compiles the
    /// pattern for the tool's subject kind (every kind for `*` and unknown tools).
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(RuleError::Empty);
        }
        let (tool, pattern) = match trimmed.split_once(':') {
            Some((tool, pattern)) => (tool.trim(), Some(pattern.trim())),
            None => (trimmed, None),
        };
        if tool.is_empty() {
            return Err(RuleError::EmptyTool {
                rule: trimmed.to_string(),
                pattern: pattern.unwrap_or_default().to_string(),
            });
        }
        if tool != "*" && !tool.chars().all(is_tool_char) {
            let hint = if tool.contains(char::is_whitespace) && pattern.is_none() {
                format!("; for a shell command write `shell: {trimmed}`")
            } else {
                String::new()
            };
            return Err(RuleError::BadTool {
                rule: trimmed.to_string(),
                tool: tool.to_string(),
                hint,
            });
        }
        let Some(pattern) = pattern else {
            return Ok(Rule {
                text: tool.to_string(),
                tool: tool.to_string(),
                pattern: None,
                matcher: Matcher::Any,
            });
        };
        if pattern.is_empty() {
            return Err(RuleError::EmptyPattern {
                rule: trimmed.to_string(),
                tool: tool.to_string(),
            });
        }
        let (pattern, matcher) = match tool_subject_kind(tool) {
            Some(SubjectKind::Command) => {
                let pattern = command::normalize(pattern);
                let matcher = Matcher::Command(CommandPattern::new(&pattern));
                (pattern, matcher)
            }
            Some(SubjectKind::Path) => {
                let pattern = strip_dot_slash(pattern).to_string();
                let matcher = Matcher::Path(compile_path(trimmed, &pattern)?);
                (pattern, matcher)
            }
            Some(SubjectKind::Url) => {
                let url = compile_url(trimmed, pattern)?;
                let pattern = match &url {
                    UrlPattern::Domain(host) => format!("domain:{host}"),
                    UrlPattern::Glob { .. } => pattern.to_string(),
                };
                (pattern, Matcher::Url(url))
            }
            Some(SubjectKind::Other) | None => {
                let every = EveryKind {
                    command: CommandPattern::new(&command::normalize(pattern)),
                    path: compile_path(trimmed, strip_dot_slash(pattern))?,
                    url: compile_url(trimmed, pattern)?,
                    other: compile_glob(trimmed, pattern, false)?,
                };
                (pattern.to_string(), Matcher::Every(Box::new(every)))
            }
        };
        Ok(Rule {
            text: format!("{tool}: {pattern}"),
            tool: tool.to_string(),
            pattern: Some(pattern),
            matcher,
        })
    }

    /// The normalised text, e.g. `shell: git status*`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The tool name, or `*`.
    pub fn tool(&self) -> &str {
        &self.tool
    }

    /// The normalised pattern; `None` for a bare `TOOL` rule.
    pub fn pattern(&self) -> Option<&str> {
        self.pattern.as_deref()
    }

    /// Whether this rule may allow a path outside the workspace: a named tool (not `*`) with
    /// an absolute path pattern.
    pub fn can_allow_outside_workspace(&self) -> bool {
        self.tool != "*"
            && self.pattern.as_deref().is_some_and(|p| p.starts_with('/'))
            && matches!(self.matcher, Matcher::Path(_) | Matcher::Every(_))
    }

    /// Allow/ask-list semantics (compound shell commands match only segment by segment).
    pub fn matches_allow(&self, subject: &CallSubject) -> bool {
        self.matches_allow_prepared(&Prepared::new(subject))
    }

    /// Deny-list semantics (a shell command matches when the whole or any segment does).
    pub fn matches_deny(&self, subject: &CallSubject) -> bool {
        self.matches_deny_prepared(&Prepared::new(subject))
    }

    /// A `shell` rule also denies and asks for a shell call that wants network (whose subject
    /// is [`NETWORK_SHELL`]); whether it may allow one is [`Rule::may_allow`].
    fn applies_to_tool(&self, tool: &str) -> bool {
        self.tool == "*" || self.tool == tool || (self.tool == "shell" && tool == NETWORK_SHELL)
    }

    /// An allow rule for a command never implies network: a shell call that wants network is
    /// allowed only by a `shell_network:` rule (or `*`), never by a `shell:` rule.
    fn may_allow(&self, tool: &str) -> bool {
        !(self.tool == "shell" && tool == NETWORK_SHELL)
    }

    /// For a shell call: how many commands its line runs, when a different allow rule may
    /// cover each (`None` for other calls, or a line that cannot be parsed with certainty).
    pub(crate) fn command_count(p: &Prepared) -> Option<usize> {
        match &p.data {
            PreparedData::Command(cmd) if cmd.analysis.uncertain.is_none() => {
                Some(cmd.analysis.commands.len()).filter(|&n| n > 0)
            }
            _ => None,
        }
    }

    /// Whether this rule allows command `index` of a prepared shell call on its own.
    pub(crate) fn allows_command(&self, p: &Prepared, index: usize) -> bool {
        self.may_allow(&p.subject.tool) && self.matches_command(p, index)
    }

    /// Whether this rule's pattern matches command `index` of a prepared shell call.
    fn matches_command(&self, p: &Prepared, index: usize) -> bool {
        if !self.applies_to_tool(&p.subject.tool) {
            return false;
        }
        let PreparedData::Command(cmd) = &p.data else {
            return false;
        };
        let Some(command) = cmd.analysis.commands.get(index) else {
            return false;
        };
        match &self.matcher {
            Matcher::Any => true,
            Matcher::Command(pattern) => command::command_allowed(pattern, command),
            Matcher::Every(every) => command::command_allowed(&every.command, command),
            _ => false,
        }
    }

    /// Ask-list semantics: allow semantics, or any one command of a shell line matching on
    /// its own (`ask shell: git push*` asks for `git status && git push`).
    pub(crate) fn matches_ask_prepared(&self, p: &Prepared) -> bool {
        if self.matches(p, false) {
            return true;
        }
        match &p.data {
            PreparedData::Command(cmd) => {
                (0..cmd.analysis.commands.len()).any(|i| self.matches_command(p, i))
            }
            _ => false,
        }
    }

    pub(crate) fn matches_allow_prepared(&self, p: &Prepared) -> bool {
        self.may_allow(&p.subject.tool) && self.matches(p, false)
    }

    pub(crate) fn matches_deny_prepared(&self, p: &Prepared) -> bool {
        self.matches(p, true)
    }

    fn matches(&self, p: &Prepared, deny: bool) -> bool {
        if !self.applies_to_tool(&p.subject.tool) {
            return false;
        }
        let every = match &self.matcher {
            Matcher::Any => return true,
            Matcher::Every(every) => Some(every.as_ref()),
            _ => None,
        };
        match &p.data {
            PreparedData::Command(cmd) => {
                let pattern = match (&self.matcher, every) {
                    (Matcher::Command(w), _) => w,
                    (_, Some(e)) => &e.command,
                    _ => return false,
                };
                if deny {
                    command::matches_deny(pattern, cmd)
                } else {
                    command::matches_allow(pattern, cmd)
                }
            }
            PreparedData::Path(normalized) => {
                let glob = match (&self.matcher, every) {
                    (Matcher::Path(g), _) => g,
                    (_, Some(e)) => &e.path,
                    _ => return false,
                };
                if deny {
                    glob.set.is_match(normalized.as_str())
                        || glob.set.is_match(p.subject.text.as_str())
                } else {
                    // A relative path that climbs out of the workspace is never allowed.
                    let escapes = normalized == ".." || normalized.starts_with("../");
                    !escapes && glob.set.is_match(normalized.as_str())
                }
            }
            PreparedData::Url(parsed) => {
                let pattern = match (&self.matcher, every) {
                    (Matcher::Url(u), _) => u,
                    (_, Some(e)) => &e.url,
                    _ => return false,
                };
                match pattern {
                    UrlPattern::Domain(domain) => parsed
                        .as_ref()
                        .is_some_and(|u| url::host_in_domain(&u.host, domain)),
                    UrlPattern::Glob { bounded, free } => {
                        let glob = if deny { free } else { bounded };
                        parsed
                            .as_ref()
                            .is_some_and(|u| glob.is_match(u.canonical.as_str()))
                            || (deny && glob.is_match(p.subject.text.as_str()))
                    }
                }
            }
            PreparedData::Other => every.is_some_and(|e| e.other.is_match(p.subject.text.as_str())),
        }
    }
}

fn strip_dot_slash(mut pattern: &str) -> &str {
    while let Some(rest) = pattern.strip_prefix("./") {
        if rest.is_empty() {
            break;
        }
        pattern = rest.trim_start_matches('/');
    }
    pattern
}

fn compile_glob(rule: &str, glob: &str, literal_separator: bool) -> Result<GlobMatcher, RuleError> {
    GlobBuilder::new(glob)
        .literal_separator(literal_separator)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| RuleError::BadGlob {
            rule: rule.to_string(),
            glob: glob.to_string(),
            reason: e.kind().to_string(),
        })
}

fn compile_path(rule: &str, pattern: &str) -> Result<PathGlob, RuleError> {
    let mut base = pattern;
    loop {
        if let Some(b) = base.strip_suffix("/**") {
            base = b;
        } else if let Some(b) = base.strip_suffix('/') {
            base = b;
        } else {
            break;
        }
    }
    // A trailing `/` or a literal last component names a directory: add everything beneath.
    // `src/*` or `*.md` stay as written (`*` does not cross `/`).
    let last = base.rsplit('/').next().unwrap_or_default();
    let names_dir = base.len() < pattern.len() || !last.contains(['*', '?', '[', '{']);
    let globs = if base.is_empty() {
        vec!["/".to_string(), "/**".to_string()]
    } else if names_dir {
        vec![base.to_string(), format!("{base}/**")]
    } else {
        vec![base.to_string()]
    };
    let mut builder = GlobSetBuilder::new();
    for glob in &globs {
        let built = GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .map_err(|e| RuleError::BadGlob {
                rule: rule.to_string(),
                glob: pattern.to_string(),
                reason: e.kind().to_string(),
            })?;
        builder.add(built);
    }
    let set = builder.build().map_err(|e| RuleError::BadGlob {
        rule: rule.to_string(),
        glob: pattern.to_string(),
        reason: e.kind().to_string(),
    })?;
    Ok(PathGlob { set })
}

fn compile_url(rule: &str, pattern: &str) -> Result<UrlPattern, RuleError> {
    let Some(host) = pattern.strip_prefix("domain:") else {
        return Ok(UrlPattern::Glob {
            bounded: compile_glob(rule, pattern, true)?,
            free: compile_glob(rule, pattern, false)?,
        });
    };
    let host = host.trim().to_ascii_lowercase();
    let bad = |reason: &str| RuleError::BadDomain {
        rule: rule.to_string(),
        domain: host.clone(),
        reason: reason.to_string(),
    };
    if host.starts_with("*.") {
        return Err(bad(
            "write the bare host; `domain:` already covers subdomains",
        ));
    }
    let host_only = host.trim_end_matches('.');
    if host_only.is_empty() {
        return Err(bad("empty host, e.g. `domain:docs.rs`"));
    }
    if let Some(c) = host_only
        .chars()
        .find(|&c| c.is_whitespace() || matches!(c, '/' | '\\' | '@' | '?' | '#' | '*' | ':'))
    {
        return Err(bad(&format!(
            "`{c}` is not allowed; write only the host (no scheme, port or path)"
        )));
    }
    Ok(UrlPattern::Domain(host_only.to_string()))
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Rule, RuleError> {
        Rule::parse(s)
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.text == other.text
    }
}

impl Eq for Rule {}
