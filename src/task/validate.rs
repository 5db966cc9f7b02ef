//! Bundle validation before anything is written or run: paths stay inside the build folder
//! (no `..`, no absolute paths, no symlink on the way), only allowlisted runtimes, every step
//! performs an action and every action has a step, sane modes and shebangs, and the static
//! scan for dangerous operations over every file and command.

use std::collections::BTreeSet;
use std::path::{Component, Path};

use super::bundle::{Artifact, Bundle, build_dir};
use super::facts::Facts;
use super::plan::Plan;

/// Interpreters a script may name and programs a step may start.
const SCRIPT_RUNTIMES: &[&str] = &["sh", "bash", "python3", "node"];
const STEP_PROGRAMS: &[&str] = &["sh", "bash", "python3", "node", "git"];
/// Languages of files that are data, not programs.
const DATA_LANGUAGES: &[&str] = &[
    "text", "json", "yaml", "toml", "ini", "html", "css", "markdown", "cron", "conf", "env",
];
const MAX_FILES: usize = 500;
const MAX_FILE_BYTES: usize = 256 * 1024;

/// One reason a bundle is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `files[2] (start.sh)` or `steps[0]`.
    pub at: String,
    pub what: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.what)
    }
}

/// Everything wrong with `bundle` for `plan`, written under `task_dir` for task `name`.
pub fn validate(
    bundle: &Bundle,
    plan: &Plan,
    name: &str,
    task_dir: &Path,
    facts: &Facts,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |at: String, what: String| out.push(Finding { at, what });
    if bundle.files.len() > MAX_FILES {
        push(
            "files".into(),
            format!("{} files, more than {MAX_FILES}", bundle.files.len()),
        );
    }
    let purposes: BTreeSet<String> = plan.actions.iter().map(|a| a.purpose()).collect();
    let mut seen_paths = BTreeSet::new();
    for (i, f) in bundle.files.iter().enumerate() {
        let at = format!("files[{i}] ({})", f.path);
        for what in check_file(f, name, task_dir, facts) {
            push(at.clone(), what);
        }
        if !seen_paths.insert(f.path.as_str()) {
            push(at.clone(), "the same path twice".into());
        }
        if !purposes.contains(&f.purpose) {
            push(
                at,
                format!("purpose `{}` matches no action of the plan", f.purpose),
            );
        }
    }
    let service_purposes: BTreeSet<String> = plan
        .actions
        .iter()
        .filter(|a| a.kind == "service")
        .map(|a| a.purpose())
        .collect();
    for (i, s) in bundle.steps.iter().enumerate() {
        let at = format!("steps[{i}]");
        if !purposes.contains(&s.purpose) {
            push(
                at.clone(),
                format!("purpose `{}` matches no action of the plan", s.purpose),
            );
        }
        if s.detach && !service_purposes.contains(&s.purpose) {
            push(
                at.clone(),
                "only a service's step may be left running (detach)".into(),
            );
        }
        for what in check_command(&s.command, bundle, name, facts) {
            push(at.clone(), what);
        }
    }
    for a in &plan.actions {
        if !bundle.steps.iter().any(|s| s.purpose == a.purpose()) {
            push(
                "steps".into(),
                format!("no step performs `{}`", a.purpose()),
            );
        }
    }
    for (k, v) in &bundle.variables {
        let ok_name = k
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
            && k.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !ok_name || v.contains('\n') || v.contains('\0') {
            push(
                format!("variables.{k}"),
                "names are UPPER_CASE, values one line".into(),
            );
        }
        if crate::sandbox::looks_secret(k) {
            push(format!("variables.{k}"), "a secret-looking variable".into());
        }
        for f in crate::skills::scan_script(v) {
            push(format!("variables.{k}"), f.what.to_string());
        }
    }
    out
}

fn check_file(f: &Artifact, name: &str, task_dir: &Path, facts: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    if let Err(why) = check_path(&f.path, name, task_dir) {
        out.push(why);
    }
    if f.content.len() > MAX_FILE_BYTES {
        out.push(format!(
            "{} bytes, more than {MAX_FILE_BYTES}",
            f.content.len()
        ));
    }
    let mode = match parse_mode(&f.mode) {
        Some(m) => m,
        None => {
            out.push(format!(
                "mode `{}` is not an octal mode like 0644 or 0755",
                f.mode
            ));
            0o644
        }
    };
    if mode & 0o7000 != 0 {
        out.push("setuid, setgid or sticky bits".into());
    }
    if mode & 0o002 != 0 {
        out.push("world-writable".into());
    }
    if mode & 0o400 == 0 {
        out.push("not readable by its owner".into());
    }
    let lang = f.language.to_ascii_lowercase();
    let is_data = DATA_LANGUAGES.contains(&lang.as_str());
    if !is_data && !SCRIPT_RUNTIMES.contains(&lang.as_str()) {
        out.push(format!(
            "language `{}` is not allowed: scripts are {}; data is {}",
            f.language,
            SCRIPT_RUNTIMES.join(", "),
            DATA_LANGUAGES.join(", ")
        ));
    } else if !is_data && !facts.has(&lang) {
        out.push(format!("{lang} is not on this machine's PATH"));
    }
    let shebang = f.content.lines().next().and_then(|l| l.strip_prefix("#!"));
    match (shebang, mode & 0o111 != 0) {
        (None, true) => out.push("executable without a #! line".into()),
        (Some(_), _) if is_data => out.push("a data file with a #! line".into()),
        (Some(line), _) => {
            if let Err(why) = check_shebang(line, &lang) {
                out.push(why);
            }
        }
        (None, false) => {}
    }
    out.extend(
        crate::skills::scan_script(&f.content)
            .into_iter()
            .map(|d| format!("line {}: {} ({})", d.line, d.what, d.excerpt)),
    );
    out
}

/// `0755`, `755`, `0o755` → the mode.
pub fn parse_mode(s: &str) -> Option<u32> {
    let t = s.trim().trim_start_matches("0o");
    (!t.is_empty() && t.len() <= 4)
        .then(|| u32::from_str_radix(t, 8).ok())
        .flatten()
}

fn check_shebang(line: &str, lang: &str) -> Result<(), String> {
    let mut words = line.split_whitespace();
    let prog = words.next().unwrap_or_default();
    let base = prog.rsplit('/').next().unwrap_or_default();
    let interp = if base == "env" {
        words.find(|w| !w.starts_with('-')).unwrap_or_default()
    } else {
        base
    };
    if !["/bin/", "/usr/bin/", "/usr/local/bin/"]
        .iter()
        .any(|d| prog.starts_with(d))
    {
        return Err(format!("#!{prog}: interpreters live in /bin or /usr/bin"));
    }
    if !SCRIPT_RUNTIMES.contains(&interp) {
        return Err(format!(
            "#! names `{interp}`, not one of {}",
            SCRIPT_RUNTIMES.join(", ")
        ));
    }
    let shells = ["sh", "bash"];
    let agrees = interp == lang || (shells.contains(&interp) && shells.contains(&lang));
    if !agrees {
        return Err(format!("#! names `{interp}` but the language is `{lang}`"));
    }
    Ok(())
}

/// A relative path of plain components, with no symlink between the task folder and it.
fn check_path(path: &str, name: &str, task_dir: &Path) -> Result<(), String> {
    let p = Path::new(path);
    if path.is_empty() || path.len() > 255 || path.contains('\0') {
        return Err("an empty or overlong path".into());
    }
    if p.is_absolute() {
        return Err("an absolute path: paths are relative to the build folder".into());
    }
    if p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err("`..` or `.` in the path: it must stay inside the build folder".into());
    }
    let build = Path::new(&build_dir(name)).join(p);
    let mut at = task_dir.to_path_buf();
    for c in build.components() {
        at.push(c);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "{} is a symlink: refusing to write through it",
                    at.display()
                ));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

/// A step starts an allowlisted program or one of the bundle's executable files.
fn check_command(command: &str, bundle: &Bundle, name: &str, facts: &Facts) -> Vec<String> {
    let mut out = Vec::new();
    let c = command.trim();
    if c.is_empty() || c.contains('\n') || c.contains('\0') {
        out.push("a step is one non-empty line".into());
        return out;
    }
    let first = c.split_whitespace().next().unwrap_or_default();
    let build = build_dir(name);
    let in_bundle = first
        .trim_start_matches("./")
        .strip_prefix(&format!("{build}/"))
        .and_then(|rel| bundle.files.iter().find(|f| f.path == rel));
    match in_bundle {
        Some(f) if parse_mode(&f.mode).is_some_and(|m| m & 0o100 != 0) => {}
        Some(f) => out.push(format!(
            "runs {} which is not executable (mode {})",
            f.path, f.mode
        )),
        None if STEP_PROGRAMS.contains(&first) => {
            if !facts.has(first) {
                out.push(format!("{first} is not on this machine's PATH"));
            }
        }
        None => out.push(format!(
            "starts `{first}`: a step runs {} or a file of the bundle ({build}/…)",
            STEP_PROGRAMS.join(", ")
        )),
    }
    out.extend(
        crate::skills::scan_script(c)
            .into_iter()
            .map(|d| format!("{} ({})", d.what, d.excerpt)),
    );
    out
}
