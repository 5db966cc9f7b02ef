//! Drive the real `pincer` binary in a pseudo-terminal and read its screen through vt100.
// Both pty.rs and mock_server.rs include it: benches and examples load either alone.
#[allow(clippy::duplicate_mod)]
#[path = "patience.rs"]
mod patience;
use patience::patience;

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

pub struct PtyApp {
    child: Box<dyn Child + Send + Sync>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    _master: Box<dyn MasterPty + Send>,
}

/// Environment variables of the developer's machine that must not leak into a test run.
const SCRUB: &[&str] = &[
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "PINCER_PROVIDER",
    "PINCER_MODEL",
    "PINCER_BASE_URL",
    "PINCER_LOG",
    "NO_COLOR",
    "VISUAL",
    "EDITOR",
];

impl PtyApp {
    /// Start pincer with `PINCER_HOME=home` in a `rows` × `cols` terminal.
    pub fn spawn(args: &[&str], home: &Path, env: &[(&str, &str)], rows: u16, cols: u16) -> PtyApp {
        // Benchmarks may measure another build of the same source (`PINCER_BENCH_BIN=target/release/pincer`).
        let exe = std::env::var_os("PINCER_BENCH_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_pincer").into());
        Self::spawn_exe(&exe, args, home, env, (rows, cols))
    }

    /// `spawn` of a given executable (a benchmark's baseline build).
    pub fn spawn_exe(
        exe: &std::ffi::OsStr,
        args: &[&str],
        home: &Path,
        env: &[(&str, &str)],
        (rows, cols): (u16, u16),
    ) -> PtyApp {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(exe);
        cmd.args(args);
        cmd.cwd(home);
        for var in SCRUB {
            cmd.env_remove(var);
        }
        cmd.env("PINCER_HOME", home);
        cmd.env("TERM", "xterm-256color");
        cmd.env("PINCER_LOG", "debug");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("spawn pincer");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer: Arc<Mutex<Box<dyn Write + Send>>> =
            Arc::new(Mutex::new(pair.master.take_writer().expect("writer")));
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        {
            let (parser, raw, writer) =
                (Arc::clone(&parser), Arc::clone(&raw), Arc::clone(&writer));
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    let n = match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    let chunk = &buf[..n];
                    let mut p = parser.lock().unwrap();
                    p.process(chunk);
                    // Answer cursor-position queries as a real terminal would.
                    if chunk.windows(4).any(|w| w == b"\x1b[6n") {
                        let (row, col) = p.screen().cursor_position();
                        let _ = write!(writer.lock().unwrap(), "\x1b[{};{}R", row + 1, col + 1);
                    }
                    drop(p);
                    raw.lock().unwrap().extend_from_slice(chunk);
                }
            });
        }
        PtyApp {
            child,
            writer,
            parser,
            raw,
            _master: pair.master,
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Everything the program wrote so far (escape sequences included).
    pub fn raw_output(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    pub fn send(&self, bytes: &[u8]) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(bytes).unwrap();
        w.flush().unwrap();
    }

    /// Type text as keys, one write per character (Enter is "\r").
    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            let mut b = [0u8; 4];
            self.send(c.encode_utf8(&mut b).as_bytes());
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Wait until the screen satisfies `pred`; panics with the screen after `timeout`.
    pub fn wait_until(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) {
        self.wait_until_every(what, timeout, Duration::from_millis(20), pred);
    }

    /// `wait_until` with a chosen polling interval (benchmarks poll finely).
    pub fn wait_until_every(
        &self,
        what: &str,
        timeout: Duration,
        every: Duration,
        pred: impl Fn(&str) -> bool,
    ) {
        let timeout = patience(timeout);
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return;
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(every);
        }
    }

    pub fn wait_for(&self, needle: &str) {
        self.wait_until(&format!("{needle:?}"), Duration::from_secs(15), |s| {
            s.contains(needle)
        });
    }

    /// Wait for the process to exit; `None` if it did not within `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<portable_pty::ExitStatus> {
        let timeout = patience(timeout);
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }
}

impl Drop for PtyApp {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Write `toml` as the user config of the pincer home `home` (`PINCER_HOME`).
pub fn write_config(home: &Path, toml: &str) {
    let dir = home.join("config");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), toml).unwrap();
}

/// Write a config that points the default provider at `base_url` (an OpenAI-style mock).
pub fn write_mock_config(home: &Path, base_url: &str, extra: &str) {
    write_config(
        home,
        &format!(
            "default_provider = \"mock\"\n{extra}\n[providers.mock]\nkind = \"openai\"\nbase_url = \"{base_url}/v1\"\nmodel = \"mock-model\"\n# A configured window: pincer does not ask the (scripted) server for it.\ncontext_window = 32768\n\n[network]\nretry_base_delay_ms = 10\nstream_idle_timeout_ms = 60000\n"
        ),
    );
}

/// Whether everything full-screen mode turned on was turned off again after the last time it
/// was entered: alternate screen left, cursor shown, bracketed paste and mouse reports off.
pub fn restored(raw: &[u8]) -> bool {
    let find_last = |seq: &[u8]| raw.windows(seq.len()).rposition(|w| w == seq);
    let entered = find_last(b"\x1b[?1049h").unwrap_or(0);
    let after = &raw[entered..];
    let has = |seq: &[u8]| after.windows(seq.len()).any(|w| w == seq);
    has(b"\x1b[?1049l")
        && has(b"\x1b[?25h")
        && has(b"\x1b[?2004l")
        && has(b"\x1b[?1000l")
        && has(b"\x1b[?1006l")
}

/// What the program printed after it last left the alternate screen (its farewell).
pub fn after_full_screen(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    match text.rfind("\x1b[?1049l") {
        Some(i) => text[i..].to_string(),
        None => String::new(),
    }
}
