//! Every kind of file pincer reads (config.toml, a project's .pincer/config.toml, a theme, a
//! SKILL.md through the catalog, through `skills validate` and through `skills install`, a
//! session import) against every bad file: a FIFO with no writer, a character device, a
//! directory, a huge sparse file, invalid UTF-8 — and, when not running as root, a file without
//! read permission (root reads it anyway, so that row is skipped under root and says so).
//! Each read runs on a thread with a generous deadline: a hang fails the test instead of
//! hanging it. The real binary is driven with a FIFO config.toml at the end.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use pincer::config::Config;
use pincer::skills::{Catalog, SkillRoots, Status, validate_path};
use pincer::tui::theme::Theme;

/// Far above any real read; only a blocked read gets near it.
const DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
enum Fault {
    Fifo,
    CharDevice,
    Directory,
    Huge,
    NotUtf8,
    Unreadable,
}

impl Fault {
    const ALL: [Fault; 6] = [
        Fault::Fifo,
        Fault::CharDevice,
        Fault::Directory,
        Fault::Huge,
        Fault::NotUtf8,
        Fault::Unreadable,
    ];

    /// Put this fault at `path`. `false`: it cannot be tested here (root reads mode-000 files).
    fn make(self, path: &Path) -> bool {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        match self {
            Fault::Fifo => mkfifo(path),
            // A symlink to a device: the reader follows it and must refuse the device.
            Fault::CharDevice => std::os::unix::fs::symlink("/dev/zero", path).unwrap(),
            Fault::Directory => std::fs::create_dir(path).unwrap(),
            Fault::Huge => {
                let f = std::fs::File::create(path).unwrap();
                f.set_len(8 * 1024 * 1024 * 1024).unwrap(); // sparse: no disk used
            }
            Fault::NotUtf8 => std::fs::write(path, b"# ok\n# ok\nx = \"\xff\xfe\"\n").unwrap(),
            Fault::Unreadable => {
                if unsafe { libc::geteuid() } == 0 {
                    return false;
                }
                std::fs::write(path, "x = 1\n").unwrap();
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).unwrap();
            }
        }
        true
    }

    /// What the message must say.
    fn expected(self) -> &'static [&'static str] {
        match self {
            Fault::Fifo => &["FIFO"],
            Fault::CharDevice => &["character device"],
            Fault::Directory => &["directory"],
            Fault::Huge => &["over the"],
            Fault::NotUtf8 => &["UTF-8", ":3:"],
            Fault::Unreadable => &["ermission"],
        }
    }
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

/// One kind of file pincer reads: where the file goes under a fresh root, and how pincer
/// reads it (the error message, or `None` when it was accepted).
struct Reader {
    what: &'static str,
    place: fn(&Path) -> PathBuf,
    read: fn(&Path, &Path) -> Option<String>,
}

fn roots(root: &Path) -> SkillRoots {
    SkillRoots {
        project: None,
        include_claude: false,
        user_dir: root.join("skills"),
        user_agents_dir: None,
        installed_dir: root.join("installed"),
        bundled: false,
    }
}

/// The one entry of a scan, as `file:line: message` when it is an error.
fn catalog_error(root: &Path) -> Option<String> {
    let cat = Catalog::scan(&roots(root), &|_| None, &|_| true);
    let entries = cat.entries();
    assert_eq!(entries.len(), 1, "the bad skill is listed, not skipped");
    match &entries[0].status {
        Status::Error { error } => Some(error.to_string()),
        _ => None,
    }
}

fn readers() -> Vec<Reader> {
    vec![
        Reader {
            what: "config.toml",
            place: |r| r.join("config/config.toml"),
            read: |_, file| Config::load(file).err().map(|e| e.to_string()),
        },
        Reader {
            what: "project .pincer/config.toml",
            place: |r| r.join("ws/.pincer/config.toml"),
            read: |_, file| Config::load_project(file).err().map(|e| e.to_string()),
        },
        Reader {
            what: "theme",
            place: |r| r.join("config/themes/mine.toml"),
            read: |r, _| {
                Theme::load("mine", &r.join("config/themes"), false)
                    .err()
                    .map(|e| e.to_string())
            },
        },
        Reader {
            what: "SKILL.md (catalog: list, pane)",
            place: |r| r.join("skills/bad/SKILL.md"),
            read: |r, _| catalog_error(r),
        },
        Reader {
            what: "SKILL.md (skills validate)",
            place: |r| r.join("skills/bad/SKILL.md"),
            read: |r, _| {
                let d = validate_path(&r.join("skills"));
                let errors: Vec<String> = d
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| d.to_string())
                    .collect();
                (!errors.is_empty()).then(|| errors.join("\n"))
            },
        },
        Reader {
            what: "SKILL.md (skills install)",
            place: |r| r.join("src-skill/bad/SKILL.md"),
            read: |r, _| {
                pincer::skills::prepare_install(
                    &r.join("src-skill/bad").display().to_string(),
                    &r.join("installed"),
                    &r.join("tmp"),
                )
                .err()
                .map(|e| e.to_string())
            },
        },
        Reader {
            what: "session import",
            place: |r| r.join("import.jsonl"),
            read: |r, file| {
                let mut out = Vec::new();
                pincer::session_cli::import(&r.join("pincer.db"), file, &mut out)
                    .err()
                    .map(|e| e.to_string())
            },
        },
    ]
}

/// `read` on a thread: its result, or a failure naming what hung.
fn within_deadline(
    what: String,
    read: impl FnOnce() -> Option<String> + Send + 'static,
) -> Option<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(read());
    });
    rx.recv_timeout(DEADLINE)
        .unwrap_or_else(|_| panic!("{what}: the read did not return within {DEADLINE:?}"))
}

#[test]
fn every_file_pincer_reads_refuses_every_bad_file_at_once() {
    let mut checked = 0;
    let mut skipped = Vec::new();
    for reader in readers() {
        for fault in Fault::ALL {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path().to_path_buf();
            let file = (reader.place)(&root);
            if !fault.make(&file) {
                skipped.push(format!("{} × {fault:?}", reader.what));
                continue;
            }
            let what = format!("{} × {fault:?}", reader.what);
            let read = reader.read;
            let (r, f) = (root.clone(), file.clone());
            let message = within_deadline(what.clone(), move || read(&r, &f))
                .unwrap_or_else(|| panic!("{what}: accepted a bad file"));
            for needle in fault.expected() {
                assert!(
                    message.contains(needle),
                    "{what}: `{needle}` missing in: {message}"
                );
            }
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                message.contains(&name),
                "{what}: the message names the file: {message}"
            );
            checked += 1;
        }
    }
    // Under root the permission row cannot be produced (root reads mode-000 files).
    let rows = readers().len() * Fault::ALL.len();
    assert_eq!(checked + skipped.len(), rows);
    assert!(checked >= readers().len() * 5, "{skipped:?}");
}

#[test]
fn a_missing_config_or_theme_is_not_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(
        Config::load(&tmp.path().join("config.toml")).unwrap(),
        Config::default()
    );
    // A missing user theme falls back to the bundled one of that name.
    assert!(Theme::load("dark", tmp.path(), false).is_ok());
}

#[test]
fn a_theme_with_a_bad_colour_is_a_located_error() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("mine.toml"),
        "name = \"mine\"\n[colors]\ntext = \"#12345\"\n",
    )
    .unwrap();
    let e = Theme::load("mine", tmp.path(), false)
        .unwrap_err()
        .to_string();
    assert!(e.contains("mine.toml:3:8"), "{e}");
    assert!(e.contains("not a colour"), "{e}");
}

/// The binary with a FIFO as config.toml: it says so and exits (`config show`, `-p`) instead
/// of blocking in open(2).
#[test]
fn the_binary_does_not_hang_on_a_fifo_config() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    mkfifo(&config);
    for args in [&["config", "show"][..], &["-p", "hello"][..]] {
        let child = Command::new(env!("CARGO_BIN_EXE_pincer"))
            .args(args)
            .env("PINCER_HOME", home.path())
            .env_remove("OPENAI_API_KEY")
            .env_remove("ANTHROPIC_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = within_deadline(format!("pincer {args:?}"), move || {
            Some(String::from_utf8_lossy(&child.wait_with_output().unwrap().stderr).into_owned())
        })
        .unwrap_or_default();
        assert!(stderr.contains("config.toml"), "{args:?}: {stderr}");
        assert!(stderr.contains("FIFO"), "{args:?}: {stderr}");
    }
}
