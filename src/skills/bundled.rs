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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::skills::{parse_skill_md, scan_dangerous};

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
