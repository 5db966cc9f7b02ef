//! `pincer skills list|validate|new|install|rm`: the command-line side of skills. Prints to the
//! given writers; the binary turns the result into an exit code.

use std::io::{BufRead, Write};
use std::path::Path;

use crate::skills::{
    Catalog, SkillError, SkillRoots, env_var, has_binary_on_path, list_lines, new_skill,
    prepare_install, remove, validate_path,
};

fn scan(roots: &SkillRoots) -> Catalog {
    Catalog::scan(roots, &env_var, &has_binary_on_path)
}

pub fn list(roots: &SkillRoots, json: bool, out: &mut impl Write) -> std::io::Result<()> {
    let catalog = scan(roots);
    if json {
        for e in catalog.entries() {
            writeln!(out, "{}", serde_json::to_string(e).unwrap_or_default())?;
        }
        for c in catalog.capped() {
            let line = serde_json::json!({ "capped": c, "message": c.message() });
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    if catalog.entries().is_empty() {
        writeln!(out, "no skills — `pincer skills new NAME` creates one")?;
    }
    for line in list_lines(&catalog) {
        writeln!(out, "{line}")?;
    }
    for e in catalog.entries() {
        let detail = e.status.detail();
        if !detail.is_empty() {
            writeln!(out, "  {}: {detail}", e.name)?;
        }
    }
    for c in catalog.capped() {
        writeln!(out, "warning: {}", c.message())?;
    }
    Ok(())
}

/// Returns whether everything is valid (warnings allowed).
pub fn validate(
    path: Option<&Path>,
    roots: &SkillRoots,
    out: &mut impl Write,
) -> std::io::Result<bool> {
    let diagnostics = match path {
        Some(p) => validate_path(p),
        None => {
            let mut all = Vec::new();
            for (_, dir) in roots.dirs() {
                if dir.is_dir() {
                    all.extend(
                        validate_path(&dir)
                            .into_iter()
                            .filter(|d| !d.message.starts_with("no SKILL.md found")),
                    );
                }
            }
            all
        }
    };
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    for d in &diagnostics {
        writeln!(out, "{d}")?;
    }
    if errors == 0 {
        writeln!(out, "ok ({} warning(s))", diagnostics.len())?;
    } else {
        writeln!(
            out,
            "{errors} error(s): the skills above are disabled until fixed"
        )?;
    }
    Ok(errors == 0)
}

pub fn create(name: &str, roots: &SkillRoots, out: &mut impl Write) -> Result<(), SkillError> {
    let path = new_skill(name, &roots.user_dir)?;
    let _ = writeln!(
        out,
        "created {} — edit its description and instructions",
        path.display()
    );
    Ok(())
}

/// Check, show what the scan found, ask (unless `yes`), then copy into `installed_skills/`.
pub fn install(
    src: &str,
    roots: &SkillRoots,
    temp_dir: &Path,
    yes: bool,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<bool, SkillError> {
    let pending = prepare_install(src, &roots.installed_dir, temp_dir)?;
    let w = |out: &mut dyn Write, s: String| {
        let _ = writeln!(out, "{s}");
    };
    w(
        out,
        format!(
            "skill {} — {}",
            pending.skill.name,
            crate::skills::truncate_for_cli(&pending.skill.description)
        ),
    );
    for d in &pending.warnings {
        w(out, format!("  {d}"));
    }
    let total: usize = pending.findings.iter().map(|f| f.findings.len()).sum();
    if total == 0 {
        w(out, "scan: nothing dangerous found".into());
    } else {
        w(
            out,
            format!("scan: {total} finding(s) — read them before you install:"),
        );
        for f in &pending.findings {
            for x in &f.findings {
                w(
                    out,
                    format!("  {}:{}: {} — {}", f.file, x.line, x.what, x.excerpt),
                );
            }
        }
    }
    for s in &pending.skipped {
        w(out, format!("  skipped {s} (symlink)"));
    }
    w(
        out,
        format!(
            "it will be installed as restricted: while it is active the model gets read-only tools.\ninstall into {}{}? [y/N] ",
            pending.target.display(),
            if pending.exists {
                " (replacing the installed one)"
            } else {
                ""
            }
        ),
    );
    let _ = out.flush();
    if !yes {
        let mut answer = String::new();
        let _ = input.read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            w(out, "not installed".into());
            return Ok(false);
        }
    }
    let overwrite = pending.exists;
    let path = pending.commit(overwrite)?;
    w(out, format!("installed {}", path.display()));
    Ok(true)
}

pub fn rm(name: &str, roots: &SkillRoots, out: &mut impl Write) -> Result<(), SkillError> {
    let path = remove(name, roots)?;
    let _ = writeln!(out, "removed {}", path.display());
    Ok(())
}
