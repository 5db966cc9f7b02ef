//! TUI frame costs at sizes users reach (issue 12, "Measure and report"):
//!
//! `frame_start_first`: what start-up draws: a fresh App that knows its provider, first frame
//! at 120×40 on a fresh terminal (every cell differs from the blank screen).
//! `frame_10k_first`: a fresh App holding a 10,000-message transcript, first frame at 120×40.
//! `frame_10k_next`: the same App drawn again (layouts cached): the steady-state frame.
//! `frame_10k_top`: Home on the 10,000-message transcript, then a frame.
//! `keystroke_1mb_paste`: one typed character in a composer holding a 1 MB paste, then a
//! frame: keystroke-to-frame latency (the key goes through the layer stack like a real one).
//!
//! Run by the coordinator in release: `cargo bench --bench tui_frames`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support {
    pub mod transcript;
}

use divan::{Bencher, black_box};
use pincer::tui::app::App;
use pincer::tui::layers;
use pincer::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use support::transcript::configured;

fn main() {
    divan::main();
}

const REPLY: &str = "Here is what I found:\n\n- the **config** loader reads `config.toml`\n- errors carry a line and column\n\n```rust\nfn load(path: &Path) -> Result<Config, Error> {\n    let text = std::fs::read_to_string(path)?;\n    toml::from_str(&text).map_err(Error::from)\n}\n```\n\nThat should be enough to get going.";

/// `messages` user + assistant messages (half each).
fn app_with(messages: usize) -> App {
    support::transcript::app_with(messages, REPLY)
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(120, 40)).unwrap()
}

#[divan::bench]
fn frame_start_first(bencher: Bencher) {
    bencher
        .with_inputs(|| (configured(), terminal()))
        .bench_local_refs(|(app, term)| {
            term.draw(|f| view::render(app, f)).unwrap();
        });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn frame_10k_first(bencher: Bencher) {
    let mut term = terminal();
    bencher
        .with_inputs(|| app_with(10_000))
        .bench_local_refs(|app| {
            term.draw(|f| view::render(app, f)).unwrap();
        });
}

#[divan::bench]
fn frame_10k_next(bencher: Bencher) {
    let mut term = terminal();
    let mut app = app_with(10_000);
    term.draw(|f| view::render(&mut app, f)).unwrap();
    bencher.bench_local(|| {
        term.draw(|f| view::render(&mut app, f)).unwrap();
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn frame_10k_top(bencher: Bencher) {
    let mut term = terminal();
    bencher
        .with_inputs(|| {
            let mut app = app_with(10_000);
            terminal().draw(|f| view::render(&mut app, f)).unwrap();
            app
        })
        .bench_local_refs(|app| {
            app.scroll_to_top();
            term.draw(|f| view::render(app, f)).unwrap();
        });
}

/// 1 MB of source-like lines.
fn one_megabyte() -> String {
    let line = "    let value = compute(input, &mut state); // a line of pasted code\n";
    line.repeat(1_000_000 / line.len() + 1)
}

#[divan::bench]
fn keystroke_1mb_paste(bencher: Bencher) {
    let mut term = terminal();
    let mut app = configured();
    layers::paste(&mut app, &one_megabyte());
    term.draw(|f| view::render(&mut app, f)).unwrap();
    let key = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
    bencher.bench_local(|| {
        layers::key(&mut app, black_box(key));
        term.draw(|f| view::render(&mut app, f)).unwrap();
    });
}
