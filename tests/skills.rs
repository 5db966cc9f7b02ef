//! Skills end to end on temp dirs: precedence across roots, install → catalog, and the hot-reload
//! watcher (edit, delete, rename, save-by-rename, a root created after start).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pincer::skills::{
    Catalog, SkillChange, SkillRoots, SkillWatcher, Source, Status, Trust, activate, diff,
    expand_arguments, prepare_install, render_activation,
};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

fn write_skill(root: &Path, folder: &str, name: &str, desc: &str) {
    let d = root.join(folder);
    fs::create_dir_all(&d).unwrap();
    fs::write(
        d.join("SKILL.md"),
        format!("---\nname: {name}\ndescription: {desc}\n---\nDo {name}: $ARGUMENTS\n"),
    )
    .unwrap();
}

fn roots(tmp: &Path, bundled: bool) -> SkillRoots {
    SkillRoots {
        project: Some(tmp.join("ws")),
        include_claude: true,
        user_dir: tmp.join("user"),
        user_agents_dir: Some(tmp.join("home/.agents/skills")),
        installed_dir: tmp.join("data/installed_skills"),
        bundled,
    }
}

fn scan(r: &SkillRoots) -> Catalog {
    Catalog::scan(r, &|_| None, &|_| true)
}

#[test]
fn project_beats_user_beats_bundled_and_the_pane_says_by_what() {
    let tmp = tempfile::tempdir().unwrap();
    let r = roots(tmp.path(), true);
    write_skill(
        &tmp.path().join("ws/.claude/skills"),
        "write-tests",
        "write-tests",
        "claude",
    );
    write_skill(&r.user_dir, "write-tests", "write-tests", "user");
    write_skill(
        &r.user_dir,
        "commit-message",
        "commit-message",
        "user commits",
    );
    let cat = scan(&r);
    assert_eq!(cat.get("write-tests").unwrap().description, "claude");
    assert_eq!(
        cat.get("write-tests").unwrap().source,
        Source::ProjectClaude
    );
    assert_eq!(cat.get("commit-message").unwrap().source, Source::User);
    assert_eq!(cat.get("code-review").unwrap().source, Source::Bundled);
    let shadowed: Vec<(Source, String)> = cat
        .entries()
        .iter()
        .filter(|e| matches!(e.status, Status::Shadowed { .. }))
        .map(|e| (e.source, e.status.detail()))
        .collect();
    assert_eq!(shadowed.len(), 3, "{shadowed:?}");
    assert!(shadowed.contains(&(
        Source::Bundled,
        format!(
            "shadowed by project-claude: {}",
            tmp.path().join("ws/.claude/skills/write-tests").display()
        )
    )));
    // Without project trust, the project's skills are not read at all.
    let untrusted = SkillRoots {
        project: None,
        ..r.clone()
    };
    assert_eq!(
        scan(&untrusted).get("write-tests").unwrap().source,
        Source::User
    );
}

#[test]
fn installed_skill_is_restricted_and_activates_with_arguments() {
    let tmp = tempfile::tempdir().unwrap();
    let r = roots(tmp.path(), false);
    write_skill(
        &tmp.path().join("download"),
        "lint-it",
        "lint-it",
        "Lint the code",
    );
    let pending = prepare_install(
        tmp.path().join("download/lint-it").to_str().unwrap(),
        &r.installed_dir,
        tmp.path(),
    )
    .unwrap();
    assert!(pending.findings.is_empty());
    pending.commit(false).unwrap();
    let cat = scan(&r);
    let entry = cat.get("lint-it").unwrap();
    assert_eq!(entry.trust, Trust::Restricted);
    let a = activate(entry).unwrap();
    assert_eq!(expand_arguments(&a.body, "src/"), "Do lint-it: src/");
    assert!(render_activation(&a).contains("Do lint-it:"));
}

/// Waits for notifications until a rescan satisfies `done`, failing after one second.
async fn changed_soon(
    rx: &mut UnboundedReceiver<()>,
    r: &SkillRoots,
    what: &str,
    done: impl Fn(&Catalog) -> bool,
) -> Catalog {
    let start = Instant::now();
    loop {
        // The one-second promise is measured in benches/skills.rs; here only "it comes".
        let left = Duration::from_secs(20).saturating_sub(start.elapsed());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(())) => {
                let cat = scan(r);
                if done(&cat) {
                    return cat;
                }
            }
            Ok(None) => panic!("watcher channel closed while waiting for {what}"),
            Err(_) => panic!("no notification showing {what} within 20 s"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_sees_edit_delete_rename_save_by_rename_and_new_roots() {
    let tmp = tempfile::tempdir().unwrap();
    let r = roots(tmp.path(), false);
    for n in ["edit-me", "delete-me", "rename-me", "save-me"] {
        write_skill(&r.user_dir, n, n, "before");
    }
    let (tx, mut rx) = unbounded_channel();
    let watcher = SkillWatcher::start(r.watch_paths(), tx).unwrap();
    let mut old = scan(&r);
    assert_eq!(old.available().count(), 4);

    // Idle and reading (a rescan) wake nothing.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), rx.recv())
            .await
            .is_err()
    );

    write_skill(&r.user_dir, "edit-me", "edit-me", "after");
    let new = changed_soon(&mut rx, &r, "the edit", |c| {
        c.get("edit-me").is_some_and(|e| e.description == "after")
    })
    .await;
    assert_eq!(
        diff(&old, &new),
        vec![SkillChange::Changed {
            name: "edit-me".into()
        }]
    );
    old = new;

    fs::remove_dir_all(r.user_dir.join("delete-me")).unwrap();
    let new = changed_soon(&mut rx, &r, "the delete", |c| c.get("delete-me").is_none()).await;
    assert_eq!(
        diff(&old, &new),
        vec![SkillChange::Removed {
            name: "delete-me".into()
        }]
    );

    fs::rename(r.user_dir.join("rename-me"), r.user_dir.join("renamed")).unwrap();
    changed_soon(&mut rx, &r, "the rename", |c| {
        c.get("rename-me")
            .is_some_and(|e| e.dir == r.user_dir.join("renamed"))
    })
    .await;

    // An editor's save: write a temp file, then rename it over SKILL.md.
    let skill_md = r.user_dir.join("save-me/SKILL.md");
    let tmp_file = r.user_dir.join("save-me/SKILL.md.tmp");
    fs::write(
        &tmp_file,
        "---\nname: save-me\ndescription: saved\n---\nnew\n",
    )
    .unwrap();
    fs::rename(&tmp_file, &skill_md).unwrap();
    changed_soon(&mut rx, &r, "the save-by-rename", |c| {
        c.get("save-me").is_some_and(|e| e.description == "saved")
    })
    .await;

    // A broken save is noticed too, and reported with its line.
    fs::write(&skill_md, "---\nname: save-me\n---\n").unwrap();
    let broken = changed_soon(&mut rx, &r, "the broken save", |c| {
        c.get("save-me").is_none()
    })
    .await;
    let e = broken
        .entries()
        .iter()
        .find(|e| e.name == "save-me")
        .unwrap();
    assert_eq!(e.status.label(), "error");

    // Roots that did not exist at start: the installed dir and ~/.agents/skills.
    assert!(!r.installed_dir.exists());
    write_skill(&r.installed_dir, "late", "late", "arrived");
    changed_soon(&mut rx, &r, "the new installed root", |c| {
        c.get("late").is_some()
    })
    .await;
    // …and it is now watched recursively: an edit inside it is seen.
    write_skill(&r.installed_dir, "late", "late", "edited");
    changed_soon(&mut rx, &r, "an edit in the new root", |c| {
        c.get("late").is_some_and(|e| e.description == "edited")
    })
    .await;
    let agents: PathBuf = r.user_agents_dir.clone().unwrap();
    write_skill(&agents, "shared", "shared", "from ~/.agents");
    changed_soon(&mut rx, &r, "the new ~/.agents/skills root", |c| {
        c.get("shared").is_some()
    })
    .await;

    // Dropped: stops, and the sender side closes.
    drop(watcher);
    write_skill(&r.user_dir, "edit-me", "edit-me", "after drop");
    let got = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    assert!(matches!(got, Ok(None) | Err(_)), "{got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watcher_reports_a_root_deleted_and_recreated() {
    let tmp = tempfile::tempdir().unwrap();
    let r = roots(tmp.path(), false);
    write_skill(&r.user_dir, "one", "one", "d");
    let (tx, mut rx) = unbounded_channel();
    let _watcher = SkillWatcher::start(r.watch_paths(), tx).unwrap();
    fs::remove_dir_all(&r.user_dir).unwrap();
    changed_soon(&mut rx, &r, "the root deleted", |c| c.get("one").is_none()).await;
    write_skill(&r.user_dir, "two", "two", "d");
    changed_soon(&mut rx, &r, "the root recreated", |c| {
        c.get("two").is_some()
    })
    .await;
    write_skill(&r.user_dir, "two", "two", "edited");
    changed_soon(&mut rx, &r, "an edit in the recreated root", |c| {
        c.get("two").is_some_and(|e| e.description == "edited")
    })
    .await;
}
