//! The skills shipped in the repo's `skills/`, embedded so they work wherever the binary is
//! installed. Their `dir` is reported as `bundled:<name>`.

/// (folder name, SKILL.md text), in the order the catalog lists them.
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "code-review",
        include_str!("../../skills/code-review/SKILL.md"),
    ),
    (
        "commit-message",
        include_str!("../../skills/commit-message/SKILL.md"),
    ),
    (
        "explain-error",
        include_str!("../../skills/explain-error/SKILL.md"),
    ),
    (
        "write-tests",
        include_str!("../../skills/write-tests/SKILL.md"),
    ),
];

/// The embedded SKILL.md of bundled skill `name`.
pub fn bundled_text(name: &str) -> Option<&'static str> {
    BUNDLED.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Copy bundled skill `name` into `<user_dir>/<name>/SKILL.md` so it can be edited (the user
/// copy then shadows the bundled one). Never overwrites: an existing folder is `Exists`.
pub fn copy_bundled(
    name: &str,
    user_dir: &std::path::Path,
) -> Result<std::path::PathBuf, super::SkillError> {
    let text = bundled_text(name).ok_or_else(|| super::SkillError::NotFound(name.to_string()))?;
    let dir = user_dir.join(name);
    if dir.exists() {
        return Err(super::SkillError::Exists {
            name: name.into(),
            path: dir,
        });
    }
    std::fs::create_dir_all(&dir).map_err(|e| super::SkillError::io("create", &dir, e))?;
    let file = dir.join("SKILL.md");
    std::fs::write(&file, text).map_err(|e| super::SkillError::io("write", &file, e))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::skills::{SkillError, parse_skill_md, scan_dangerous};

    #[test]
    fn a_bundled_skill_is_copied_once_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let file = copy_bundled("code-review", dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            bundled_text("code-review").unwrap()
        );
        std::fs::write(&file, "mine").unwrap();
        assert!(matches!(
            copy_bundled("code-review", dir.path()),
            Err(SkillError::Exists { .. })
        ));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
        assert!(matches!(
            copy_bundled("no-such-skill", dir.path()),
            Err(SkillError::NotFound(_))
        ));
    }

    #[test]
    fn every_bundled_skill_is_valid_clean_and_named_after_its_folder() {
        assert!(BUNDLED.len() >= 3);
        for (name, text) in BUNDLED {
            let p = parse_skill_md(text, Path::new(name), name);
            assert!(p.warnings.is_empty(), "{name}: {:?}", p.warnings);
            let skill = p.result.unwrap();
            assert_eq!(&skill.name, name);
            assert!(skill.body.len() > 200, "{name} has a real body");
            assert!(
                scan_dangerous(text).is_empty(),
                "{name}: {:?}",
                scan_dangerous(text)
            );
        }
        assert!(bundled_text("code-review").is_some());
        assert!(bundled_text("nope").is_none());
    }
}
