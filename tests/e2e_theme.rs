//! A theme problem is on the screen from the first frame, and pincer runs with the default
//! theme: a theme with a bad colour, a theme file that is a FIFO (must not hang the start), and
//! a theme name that exists nowhere.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;

use std::ffi::CString;
use std::path::Path;
use std::time::Duration;

use support::pty::{PtyApp, write_mock_config};

/// Generous: the machine may be heavily loaded.
const WAIT: Duration = Duration::from_secs(60);

fn start_with_theme(home: &Path) -> PtyApp {
    write_mock_config(home, "http://127.0.0.1:9", "theme = \"mine\"");
    std::fs::create_dir_all(home.join("config/themes")).unwrap();
    PtyApp::spawn(&[], home, &[], 30, 200)
}

fn expect_on_screen(app: &PtyApp, needles: &[&str]) {
    app.wait_until(&format!("{needles:?}"), WAIT, |s| {
        needles.iter().all(|n| s.contains(n))
    });
}

#[test]
fn a_theme_with_a_bad_colour_is_reported_and_the_default_is_used() {
    let home = tempfile::tempdir().unwrap();
    let themes = home.path().join("config/themes");
    std::fs::create_dir_all(&themes).unwrap();
    std::fs::write(
        themes.join("mine.toml"),
        "[colors]\ntext = \"not-a-colour\"\n",
    )
    .unwrap();
    let app = start_with_theme(home.path());
    expect_on_screen(
        &app,
        &["mine.toml:2:8", "not a colour", "default dark theme"],
    );
}

#[test]
fn a_fifo_theme_does_not_hang_the_start() {
    let home = tempfile::tempdir().unwrap();
    let themes = home.path().join("config/themes");
    std::fs::create_dir_all(&themes).unwrap();
    let c = CString::new(themes.join("mine.toml").as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let app = start_with_theme(home.path());
    expect_on_screen(&app, &["mine.toml", "FIFO", "default dark theme"]);
}

#[test]
fn an_unknown_theme_name_is_reported() {
    let home = tempfile::tempdir().unwrap();
    let app = start_with_theme(home.path());
    expect_on_screen(&app, &["theme `mine` not found", "default dark theme"]);
}
