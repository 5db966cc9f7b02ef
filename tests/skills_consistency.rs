//! Every bad skill through all four ways a user learns its status — `skills list`,
//! `skills validate`, the pane's data as `Event::SkillsChanged` brings it, and the reload
//! notice — and all four must agree on status, line and reason. Plus: a root with more skills
//! than are loaded is reported by the list, validate and a runtime notice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::SkillsChanged;

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pincer::config::Config;
use pincer::protocol::{Event, NoticeLevel, Op};
use pincer::runtime::{self, RuntimeSettings};
use pincer::skills::{Catalog, MAX_SKILLS_PER_ROOT, SkillRoots, Status};
use support::events::{mock_provider, until};

struct Case {
    what: &'static str,
    /// Fill the skill folder `dir` (not yet inside a root).
    make: fn(&Path),
    status: &'static str,
    line: usize,
    /// A fragment of the reason every path must carry.
    reason: &'static str,
}

fn frontmatter(name: Option<&str>, description: Option<&str>) -> String {
    let mut s = String::from("---\n");
    if let Some(n) = name {
        s.push_str(&format!("name: {n}\n"));
    }
    if let Some(d) = description {
        s.push_str(&format!("description: {d}\n"));
    }
    s.push_str("---\n");
    s
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            what: "a 10 MB body",
            make: |d| {
                let mut text = frontmatter(Some("bad"), Some("d"));
                text.push_str(&"x".repeat(10 * 1024 * 1024));
                std::fs::write(d.join("SKILL.md"), text).unwrap();
            },
            status: "error",
            line: 1,
            reason: "over the 1024 KiB allowed",
        },
        Case {
            what: "invalid UTF-8 in the body",
            make: |d| {
                let mut bytes = frontmatter(Some("bad"), Some("d")).into_bytes();
                bytes.extend_from_slice(b"fine\nbroken \xff\xfe here\n");
                std::fs::write(d.join("SKILL.md"), bytes).unwrap();
            },
            status: "error",
            line: 6,
            reason: "not valid UTF-8",
        },
        Case {
            what: "a missing name",
            make: |d| {
                let text = frontmatter(None, Some("does things")) + "body\n";
                std::fs::write(d.join("SKILL.md"), text).unwrap();
            },
            status: "warning",
            line: 1,
            reason: "name missing",
        },
        Case {
            what: "a missing description",
            make: |d| {
                let text = frontmatter(Some("bad"), None) + "body\n";
                std::fs::write(d.join("SKILL.md"), text).unwrap();
            },
            status: "error",
            line: 1,
            reason: "description missing",
        },
        Case {
            what: "broken YAML",
            make: |d| {
                let text = "---\nname: bad\ndescription: [unclosed\n---\nbody\n";
                std::fs::write(d.join("SKILL.md"), text).unwrap();
            },
            status: "error",
            line: 0, // wherever the YAML parser puts it; the paths must agree
            reason: "",
        },
        Case {
            what: "a FIFO SKILL.md",
            make: |d| {
                let c = CString::new(d.join("SKILL.md").as_os_str().as_encoded_bytes()).unwrap();
                assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
            },
            status: "error",
            line: 1,
            reason: "FIFO",
        },
    ]
}

struct Dirs {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Dirs {
    fn new() -> Dirs {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        for d in ["user", "installed", "ws", "staging"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        Dirs { _tmp: tmp, root }
    }

    fn roots(&self) -> SkillRoots {
        SkillRoots {
            project: None,
            include_claude: false,
            user_dir: self.root.join("user"),
            user_agents_dir: None,
            installed_dir: self.root.join("installed"),
            bundled: false,
        }
    }

    fn settings(&self) -> RuntimeSettings {
        let mut s = RuntimeSettings::new(
            Config::default(),
            Ok(mock_provider("http://127.0.0.1:9")),
            self.root.join("ws"),
        );
        s.env = Arc::new(|_: &str| None);
        s.config_path = self.root.join("config.toml");
        s.skill_roots = Some(self.roots());
        s
    }
}

/// What one path says about the skill in folder `bad`.
#[derive(Debug)]
struct Said {
    status: String,
    text: String,
}

fn from_list(roots: &SkillRoots) -> Said {
    let mut out = Vec::new();
    pincer::skill_cli::list(roots, false, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let row = out
        .lines()
        .find(|l| l.starts_with("bad "))
        .unwrap_or_else(|| panic!("no row for the skill in:\n{out}"));
    let status = row.split_whitespace().nth(3).unwrap().to_string();
    Said { status, text: out }
}

fn from_validate(roots: &SkillRoots) -> Said {
    let mut out = Vec::new();
    let ok = pincer::skill_cli::validate(None, roots, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    let status = if !ok {
        "error"
    } else if out.contains(": warning: ") {
        "warning"
    } else {
        "ok"
    };
    Said {
        status: status.into(),
        text: out,
    }
}

/// The pane's data and the reload notice: start with no skills, move the bad one in, reload.
async fn from_runtime(dirs: &Dirs, staged: &Path) -> (Said, Said) {
    let mut rt = runtime::spawn(dirs.settings());
    until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    // One rename: a scan sees the whole folder or none of it.
    std::fs::rename(staged, dirs.root.join("user/bad")).unwrap();
    rt.ops.send(Op::ReloadSkills).unwrap();
    let has_bad = |e: &Event| matches!(e, Event::SkillsChanged(SkillsChanged { skills, .. }) if skills.iter().any(|s| s.name == "bad"));
    let events = until(&mut rt, has_bad).await;
    let Some(Event::SkillsChanged(SkillsChanged { skills, .. })) = events.last() else {
        unreachable!()
    };
    let info = skills.iter().find(|s| s.name == "bad").unwrap();
    let pane = Said {
        status: info.status.label().to_string(),
        text: info.detail.clone(),
    };
    let notices: Vec<(NoticeLevel, String)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Notice { level, message } if message.starts_with("bad") => {
                Some((*level, message.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(notices.len(), 1, "one reload notice: {notices:?}");
    let (level, message) = notices[0].clone();
    let status = if message.ends_with("— disabled") {
        "error"
    } else if message.ends_with("— loaded with a warning") {
        assert_eq!(level, NoticeLevel::Warning);
        "warning"
    } else {
        "ok"
    };
    let _ = rt.ops.send(Op::Shutdown);
    (
        pane,
        Said {
            status: status.into(),
            text: message,
        },
    )
}

#[tokio::test]
async fn list_validate_pane_and_notice_agree_on_every_bad_skill() {
    for case in cases() {
        let dirs = Dirs::new();
        let staged = dirs.root.join("staging/bad");
        std::fs::create_dir_all(&staged).unwrap();
        (case.make)(&staged);
        let (pane, notice) = from_runtime(&dirs, &staged).await;
        let roots = dirs.roots();
        // The canonical answer: the catalog entry.
        let cat = Catalog::scan(&roots, &|_| None, &|_| true);
        let entry = &cat.entries()[0];
        let (line, message) = match &entry.status {
            Status::Error { error } => (error.line, error.message.clone()),
            Status::Warning { warnings } => (warnings[0].line, warnings[0].message.clone()),
            other => panic!("{}: unexpected status {other:?}", case.what),
        };
        assert_eq!(entry.status.label(), case.status, "{}", case.what);
        if case.line > 0 {
            assert_eq!(line, case.line, "{}: {message}", case.what);
        }
        assert!(message.contains(case.reason), "{}: {message}", case.what);
        let short = message.split(" — ").next().unwrap();
        let located = format!("line {line}: {short}");
        let list = from_list(&roots);
        let validate = from_validate(&roots);
        for (path, said) in [
            ("skills list", &list),
            ("skills validate", &validate),
            ("pane (SkillsChanged)", &pane),
            ("reload notice", &notice),
        ] {
            assert_eq!(
                said.status, case.status,
                "{} via {path}: {said:?}",
                case.what
            );
            let expected = if path == "skills validate" {
                format!(":{line}: {}: {short}", case.status)
            } else {
                located.clone()
            };
            assert!(
                said.text.contains(&expected),
                "{} via {path}: `{expected}` missing in {said:?}",
                case.what
            );
        }
    }
}

#[tokio::test]
async fn a_root_over_the_skill_cap_is_reported_everywhere() {
    let dirs = Dirs::new();
    let user = dirs.root.join("user");
    for i in 0..=MAX_SKILLS_PER_ROOT {
        let d = user.join(format!("s{i:04}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("SKILL.md"),
            frontmatter(Some(&format!("s{i:04}")), Some("d")),
        )
        .unwrap();
    }
    let roots = dirs.roots();
    let cat = Catalog::scan(&roots, &|_| None, &|_| true);
    assert_eq!(cat.entries().len(), MAX_SKILLS_PER_ROOT);
    assert_eq!(cat.capped().len(), 1);
    let cap = format!("more than {MAX_SKILLS_PER_ROOT} skills");

    let mut out = Vec::new();
    pincer::skill_cli::list(&roots, false, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains(&cap) && out.contains(&user.display().to_string()),
        "{out}"
    );

    let mut out = Vec::new();
    let ok = pincer::skill_cli::validate(None, &roots, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(!ok, "validate fails while skills are left out: {out}");
    assert!(out.contains(&cap), "{out}");

    let mut rt = runtime::spawn(dirs.settings());
    let events = until(&mut rt, |e| matches!(e, Event::SkillsChanged(_))).await;
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::Notice { level: NoticeLevel::Warning, message } if message.contains(&cap)
        )),
        "a notice at start: {events:?}"
    );
    let _ = rt.ops.send(Op::Shutdown);
}
