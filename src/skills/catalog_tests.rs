use std::fs;

use super::*;
use crate::skills::{SkillChange, diff, has_binary_on_path};

fn write_skill(root: &Path, folder: &str, name: &str, desc: &str) {
    let d = root.join(folder);
    fs::create_dir_all(&d).unwrap();
    fs::write(
        d.join("SKILL.md"),
        format!("---\nname: {name}\ndescription: {desc}\n---\nBody of {name}.\n"),
    )
    .unwrap();
}

fn roots(tmp: &Path) -> SkillRoots {
    SkillRoots {
        project: Some(tmp.join("ws")),
        include_claude: false,
        user_dir: tmp.join("user"),
        user_agents_dir: Some(tmp.join("agents")),
        installed_dir: tmp.join("installed"),
        bundled: false,
    }
}

fn scan(r: &SkillRoots) -> Catalog {
    Catalog::scan(r, &|_| None, &|_| true)
}

#[test]
fn dirs_follow_precedence_and_claude_is_opt_in() {
    let r = roots(Path::new("/t"));
    let sources: Vec<Source> = r.dirs().into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        sources,
        vec![
            Source::ProjectPincer,
            Source::ProjectAgents,
            Source::User,
            Source::UserAgents,
            Source::Installed
        ]
    );
    let r = SkillRoots {
        include_claude: true,
        project: None,
        ..r
    };
    assert!(r.dirs().iter().all(|(s, _)| *s != Source::ProjectClaude));
    assert_eq!(Source::Installed.trust(), Trust::Restricted);
    assert_eq!(Source::User.trust(), Trust::Trusted);
}

#[test]
fn project_beats_user_beats_bundled() {
    let tmp = tempfile::tempdir().unwrap();
    let mut r = roots(tmp.path());
    r.bundled = true;
    write_skill(&r.user_dir, "code-review", "code-review", "user version");
    write_skill(
        &tmp.path().join("ws/.pincer/skills"),
        "code-review",
        "code-review",
        "project version",
    );
    let cat = scan(&r);
    let winner = cat.get("code-review").unwrap();
    assert_eq!(winner.source, Source::ProjectPincer);
    assert_eq!(winner.description, "project version");
    let losers: Vec<&SkillEntry> = cat
        .entries()
        .iter()
        .filter(|e| e.name == "code-review" && e.source != Source::ProjectPincer)
        .collect();
    assert_eq!(losers.len(), 2);
    for l in losers {
        match &l.status {
            Status::Shadowed { by_source, by_dir } => {
                assert_eq!(*by_source, Source::ProjectPincer);
                assert!(by_dir.ends_with(".pincer/skills/code-review"));
                assert!(l.status.detail().starts_with("shadowed by project: "));
            }
            other => panic!("{other:?}"),
        }
    }
    // Bundled ones without an override are available, and dirs say bundled:<name>.
    let bundled = cat.get("commit-message").unwrap();
    assert_eq!(bundled.dir, PathBuf::from("bundled:commit-message"));
}

#[test]
fn broken_skill_does_not_shadow_or_affect_others() {
    let tmp = tempfile::tempdir().unwrap();
    let r = roots(tmp.path());
    let proj = tmp.path().join("ws/.agents/skills/dup");
    fs::create_dir_all(&proj).unwrap();
    fs::write(proj.join("SKILL.md"), "---\nname: dup\n---\n").unwrap();
    write_skill(&r.user_dir, "dup", "dup", "fine");
    write_skill(&r.user_dir, "other", "other", "fine too");
    let cat = scan(&r);
    assert_eq!(cat.entries().len(), 3);
    assert_eq!(cat.entries()[0].status.label(), "error");
    assert_eq!(cat.get("dup").unwrap().source, Source::User);
    assert!(cat.get("other").is_some());
    assert_eq!(cat.diagnostics().len(), 1);
}

#[test]
fn gating_reports_missing_binary_and_env() {
    let tmp = tempfile::tempdir().unwrap();
    let r = roots(tmp.path());
    let d = r.user_dir.join("gh-helper");
    fs::create_dir_all(&d).unwrap();
    fs::write(
        d.join("SKILL.md"),
        "---\nname: gh-helper\ndescription: d\nmetadata:\n  openclaw:\n    requires:\n      bins: [rg, git]\n      env: [GITHUB_TOKEN]\n---\n",
    )
    .unwrap();
    let cat = Catalog::scan(&r, &|_| None, &|b| b == "git");
    let e = &cat.entries()[0];
    assert_eq!(
        e.status,
        Status::Unavailable {
            reason: "needs `rg` on PATH; needs $GITHUB_TOKEN".into()
        }
    );
    assert!(cat.get("gh-helper").is_none());
    let cat = Catalog::scan(&r, &|v| (v == "GITHUB_TOKEN").then(|| "x".into()), &|_| {
        true
    });
    assert!(cat.get("gh-helper").is_some());
}

#[test]
fn budget_drops_by_precedence() {
    let tmp = tempfile::tempdir().unwrap();
    let r = roots(tmp.path());
    for i in 0..50 {
        let name = format!("skill-{i:02}");
        write_skill(
            &r.user_dir,
            &name,
            &name,
            "Does a thing that is described in about forty bytes.",
        );
    }
    let cat = scan(&r);
    let (full, none) = cat.prompt_section(100_000);
    assert!(none.is_empty());
    assert!(full.contains("- skill-49: Does a thing"));
    let (text, dropped) = cat.prompt_section(200);
    assert!(text.len() / 4 <= 200);
    assert!(text.contains("activate_skill") && text.contains("- skill-00:"));
    assert!(!dropped.is_empty() && dropped.len() < 50);
    let admitted = 50 - dropped.len();
    assert_eq!(dropped[0], format!("skill-{admitted:02}"));
    assert_eq!(dropped.last().unwrap(), "skill-49");
    let (empty, all) = cat.prompt_section(10);
    assert!(empty.is_empty());
    assert_eq!(all.len(), 50);
}

#[test]
fn diff_reports_added_changed_removed_broken() {
    let tmp = tempfile::tempdir().unwrap();
    let r = roots(tmp.path());
    write_skill(&r.user_dir, "keep", "keep", "same");
    write_skill(&r.user_dir, "edit", "edit", "before");
    write_skill(&r.user_dir, "gone", "gone", "bye");
    write_skill(&r.user_dir, "break", "break", "ok for now");
    let old = scan(&r);
    assert!(diff(&old, &scan(&r)).is_empty());
    write_skill(&r.user_dir, "edit", "edit", "after");
    fs::remove_dir_all(r.user_dir.join("gone")).unwrap();
    write_skill(&r.user_dir, "new", "new", "hello");
    fs::write(
        r.user_dir.join("break/SKILL.md"),
        "---\nname: break\n\n---\n",
    )
    .unwrap();
    let new = scan(&r);
    let changes = diff(&old, &new);
    assert!(changes.contains(&SkillChange::Changed {
        name: "edit".into()
    }));
    assert!(changes.contains(&SkillChange::Removed {
        name: "gone".into()
    }));
    assert!(changes.contains(&SkillChange::Added { name: "new".into() }));
    let broken = changes
        .iter()
        .find(|c| matches!(c, SkillChange::Broken { .. }))
        .unwrap();
    assert_eq!(
        broken.notice(),
        "break: line 1: description missing — disabled"
    );
    assert_eq!(changes.len(), 4, "{changes:?}");
    assert_eq!(
        SkillChange::Changed {
            name: "edit".into()
        }
        .notice(),
        "reloaded edit"
    );
    // Still broken and unchanged: not announced again.
    assert!(diff(&new, &scan(&r)).is_empty());
}

#[test]
fn renamed_folder_is_one_change() {
    let tmp = tempfile::tempdir().unwrap();
    let r = roots(tmp.path());
    write_skill(&r.user_dir, "a", "same-name", "d");
    let old = scan(&r);
    fs::rename(r.user_dir.join("a"), r.user_dir.join("b")).unwrap();
    let changes = diff(&old, &scan(&r));
    // One change; the name does not match the folder, so it carries that warning.
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(
        matches!(&changes[0], SkillChange::Warned { name, .. } if name == "same-name"),
        "{changes:?}"
    );
}

#[test]
fn entries_serialise_without_bodies() {
    let tmp = tempfile::tempdir().unwrap();
    let r = roots(tmp.path());
    write_skill(&r.user_dir, "x", "x", "d");
    let cat = scan(&r);
    let json = serde_json::to_value(cat.entries()).unwrap();
    assert_eq!(json[0]["name"], "x");
    assert_eq!(json[0]["status"]["kind"], "ok");
    assert_eq!(json[0]["trust"], "trusted");
    assert!(json[0]["skill"].get("body").is_none());
    let lines = crate::skills::list_lines(&cat);
    assert!(lines[0].starts_with("x  user"), "{lines:?}");
}

#[test]
fn binary_lookup() {
    assert!(has_binary_on_path("sh"));
    assert!(!has_binary_on_path("definitely-not-a-binary-xyz"));
    assert!(has_binary_on_path("/bin/sh"));
}
