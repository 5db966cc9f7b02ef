//! One SKILL.md → a [`Skill`] plus warnings, or an error; every diagnostic has file and line.
//!
//! Lenient on purpose: a bad name, a name that does not match its folder and over-long fields
//! are warnings; only a missing frontmatter, unparsable YAML or a missing description disable
//! the skill. An unquoted `: ` inside a value (`description: Use this: when …`) is common in
//! hand-written skills, so a failed parse is retried with such values quoted.

use std::path::Path;

use serde::Serialize;
use serde_json::Value as Json;
use yaml_serde::Value as Yaml;

use super::{Diagnostic, truncate_chars};

pub const MAX_NAME: usize = 64;
pub const MAX_DESCRIPTION: usize = 1024;
pub const MAX_COMPATIBILITY: usize = 500;

/// What a skill needs before it can be offered: binaries on PATH and environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Requirements {
    pub bins: Vec<String>,
    pub env: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skill {
    pub name: String,
    /// Cut to 1024 chars (an over-long one is a warning).
    pub description: String,
    pub license: Option<String>,
    pub compatibility: Option<String>,
    /// The `metadata` mapping as JSON (`Null` when absent).
    pub metadata: Json,
    pub allowed_tools: Vec<String>,
    pub requires: Requirements,
    /// The Markdown after the frontmatter (not serialised: `skills list --json` stays small).
    #[serde(skip_serializing)]
    pub body: String,
    /// The file line the body starts on.
    pub body_line: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub result: Result<Skill, Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl Parsed {
    pub fn skill(&self) -> Option<&Skill> {
        self.result.as_ref().ok()
    }

    /// Warnings, then the error if any.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out = self.warnings.clone();
        if let Err(e) = &self.result {
            out.push(e.clone());
        }
        out
    }
}

/// Why `name` breaks the naming rule (1–64 chars of a-z, 0-9 and single inner hyphens).
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!("it is longer than {MAX_NAME} characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "`{c}` is not allowed (use lowercase letters, digits and hyphens)"
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("it starts or ends with a hyphen".into());
    }
    if name.contains("--") {
        return Err("it contains two hyphens in a row".into());
    }
    Ok(())
}

pub fn parse_skill_md(text: &str, path: &Path, folder_name: &str) -> Parsed {
    let mut warnings = Vec::new();
    let result = parse_inner(text, path, folder_name, &mut warnings);
    Parsed { result, warnings }
}

struct Split<'a> {
    yaml: &'a str,
    body: &'a str,
    body_line: usize,
}

/// The frontmatter's first YAML line is file line 2.
const YAML_FIRST_LINE: usize = 2;

fn split_frontmatter(text: &str) -> Result<Split<'_>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err((
            1,
            "SKILL.md must start with a --- frontmatter block (a line `---`, then `name:` and \
             `description:`, then `---`)"
                .into(),
        ));
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for (i, line) in lines.enumerate() {
        let t = line.trim_end();
        if t == "---" || t == "..." {
            let close_line = i + YAML_FIRST_LINE;
            let mut body = &text[offset + line.len()..];
            let mut body_line = close_line + 1;
            // Skip blank lines so body_line points at the first line with text.
            while let Some(nl) = body.find('\n') {
                if body[..nl].trim().is_empty() {
                    body = &body[nl + 1..];
                    body_line += 1;
                } else {
                    break;
                }
            }
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                body: body.trim_end(),
                body_line,
            });
        }
        offset += line.len();
    }
    Err((
        1,
        "the frontmatter opened by `---` on line 1 is never closed; add a line `---` after the \
         last field"
            .into(),
    ))
}

fn parse_inner(
    text: &str,
    path: &Path,
    folder: &str,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Skill, Diagnostic> {
    let split =
        split_frontmatter(text).map_err(|(line, msg)| Diagnostic::error(path, line, msg))?;
    let value = parse_yaml(split.yaml, path, warnings)?;
    let map = match &value {
        Yaml::Null => yaml_serde::Mapping::new(),
        Yaml::Mapping(m) => m.clone(),
        _ => {
            return Err(Diagnostic::error(
                path,
                YAML_FIRST_LINE,
                "the frontmatter must be `key: value` lines (name:, description:, …)",
            ));
        }
    };
    let line_of = |key: &str| key_line(split.yaml, key);
    let get = |key: &str| map.get(key).filter(|v| !v.is_null());

    let description = match get("description").and_then(scalar) {
        Some(d) if !d.trim().is_empty() => d.trim().to_string(),
        Some(_) | None => {
            let (line, what) = match line_of("description") {
                Some(l) => (l, "description is empty"),
                None => (1, "description missing"),
            };
            return Err(Diagnostic::error(
                path,
                line,
                format!(
                    "{what} — add `description:` saying what the skill does and when to use it \
                     (the skill is disabled until then)"
                ),
            ));
        }
    };
    let desc_len = description.chars().count();
    let description = if desc_len > MAX_DESCRIPTION {
        warnings.push(Diagnostic::warning(
            path,
            line_of("description").unwrap_or(1),
            format!(
                "description is {desc_len} characters, over the {MAX_DESCRIPTION} allowed; the \
                 catalog shows the first {MAX_DESCRIPTION}"
            ),
        ));
        truncate_chars(&description, MAX_DESCRIPTION)
    } else {
        description
    };

    let name = read_name(get("name"), line_of("name"), path, folder, warnings);

    let compatibility = get("compatibility").and_then(scalar);
    if let Some(c) = &compatibility {
        let n = c.chars().count();
        if n > MAX_COMPATIBILITY {
            warnings.push(Diagnostic::warning(
                path,
                line_of("compatibility").unwrap_or(1),
                format!("compatibility is {n} characters, over the {MAX_COMPATIBILITY} allowed; shorten it"),
            ));
        }
    }

    let metadata = match get("metadata") {
        None => Json::Null,
        Some(m) => serde_json::to_value(m).unwrap_or_else(|e| {
            warnings.push(Diagnostic::warning(
                path,
                line_of("metadata").unwrap_or(1),
                format!("metadata is ignored: {e}; use string keys"),
            ));
            Json::Null
        }),
    };
    let requires = requirements(&metadata);
    let allowed_tools = get("allowed-tools")
        .or_else(|| get("allowed_tools"))
        .map(string_list)
        .unwrap_or_default();

    Ok(Skill {
        name,
        description,
        license: get("license").and_then(scalar),
        compatibility,
        metadata,
        allowed_tools,
        requires,
        body: split.body.to_string(),
        body_line: split.body_line,
    })
}

fn read_name(
    value: Option<&Yaml>,
    line: Option<usize>,
    path: &Path,
    folder: &str,
    warnings: &mut Vec<Diagnostic>,
) -> String {
    let line = line.unwrap_or(1);
    let Some(name) = value.and_then(scalar).map(|n| n.trim().to_string()) else {
        warnings.push(Diagnostic::warning(
            path,
            line,
            format!("name missing; using the folder name `{folder}` — add `name: {folder}`"),
        ));
        return folder.to_string();
    };
    if name.is_empty() {
        warnings.push(Diagnostic::warning(
            path,
            line,
            format!("name is empty; using the folder name `{folder}`"),
        ));
        return folder.to_string();
    }
    if let Err(why) = validate_name(&name) {
        warnings.push(Diagnostic::warning(
            path,
            line,
            format!("name `{name}` breaks the naming rule: {why}"),
        ));
    }
    if name != folder {
        warnings.push(Diagnostic::warning(
            path,
            line,
            format!("name `{name}` does not match its folder `{folder}`; rename one to match"),
        ));
    }
    name
}

fn parse_yaml(yaml: &str, path: &Path, warnings: &mut Vec<Diagnostic>) -> Result<Yaml, Diagnostic> {
    let err = match yaml_serde::from_str::<Yaml>(yaml) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let line = err
        .location()
        .map(|l| l.line() + YAML_FIRST_LINE - 1)
        .unwrap_or(YAML_FIRST_LINE);
    if let Some((fixed, lines)) = quote_colon_values(yaml)
        && let Ok(v) = yaml_serde::from_str::<Yaml>(&fixed)
    {
        for l in lines {
            warnings.push(Diagnostic::warning(
                path,
                l,
                "this value contains `: ` and is not quoted, which YAML rejects; read it as text \
                 — put the value in quotes",
            ));
        }
        return Ok(v);
    }
    let msg = err.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg);
    Err(Diagnostic::error(
        path,
        line,
        format!(
            "the frontmatter is not valid YAML ({msg}); fix this line (quote values that contain `: ` or `#`)"
        ),
    ))
}

/// Quotes every top-level `key: value` whose plain value contains `: `. Returns the new text
/// and the file lines changed, or None when nothing looked like that.
fn quote_colon_values(yaml: &str) -> Option<(String, Vec<usize>)> {
    let mut out = String::with_capacity(yaml.len() + 16);
    let mut changed = Vec::new();
    for (i, line) in yaml.split_inclusive('\n').enumerate() {
        let content = line.trim_end_matches(['\n', '\r']);
        let top_level = !content.starts_with([' ', '\t', '#', '-']);
        if let (true, Some((key, value))) = (top_level, content.split_once(':')) {
            let value = value.trim();
            let plain = !value.starts_with(['"', '\'', '[', '{', '|', '>', '&', '*', '!']);
            if plain && value.contains(": ") && !key.trim().is_empty() && !key.contains(' ') {
                out.push_str(key);
                out.push_str(": '");
                out.push_str(&value.replace('\'', "''"));
                out.push_str("'\n");
                changed.push(i + YAML_FIRST_LINE);
                continue;
            }
        }
        out.push_str(line);
    }
    (!changed.is_empty()).then_some((out, changed))
}

/// The file line of a top-level `key:` in the frontmatter.
fn key_line(yaml: &str, key: &str) -> Option<usize> {
    yaml.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + YAML_FIRST_LINE)
}

/// A scalar as text; sequences and mappings are not.
fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Tagged(t) => scalar(&t.value),
        Yaml::Null | Yaml::Sequence(_) | Yaml::Mapping(_) => None,
    }
}

/// `allowed-tools`: a space-separated string (the spec) or a list.
fn string_list(v: &Yaml) -> Vec<String> {
    match v {
        Yaml::Sequence(items) => items.iter().filter_map(scalar).collect(),
        other => scalar(other)
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
    }
}

/// `metadata.requires.{bins,env}` or OpenClaw's `metadata.openclaw.requires.{bins,env}`.
fn requirements(metadata: &Json) -> Requirements {
    let mut req = Requirements::default();
    for requires in [
        metadata.get("requires"),
        metadata.get("openclaw").and_then(|o| o.get("requires")),
    ]
    .into_iter()
    .flatten()
    {
        for (key, out) in [("bins", &mut req.bins), ("env", &mut req.env)] {
            let items: Vec<String> = match requires.get(key) {
                Some(Json::Array(a)) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                Some(Json::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            };
            for item in items {
                if !item.is_empty() && !out.contains(&item) {
                    out.push(item);
                }
            }
        }
    }
    req
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
