//! One frame of a 1,000-message transcript at 120×40.
//!
//! `first_frame`: a fresh App (nothing laid out yet): only the cells on screen are laid out.
//! `next_frame`: the same App drawn again (layouts cached): the steady-state cost per frame.
//! `streaming_frame`: a delta arrives in a long streaming reply, then a frame.
//! `scroll_to_top`: Home, then a frame (lays out from the top).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support {
    pub mod transcript;
}

use divan::{Bencher, black_box};
use pincer::protocol::{AssistantDelta, Event};
use pincer::tui::app::App;
use pincer::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    divan::main();
}

const REPLY: &str = "Here is what I found:\n\n- the **config** loader reads `config.toml`\n- errors carry a line and column\n\n```rust\nfn load(path: &Path) -> Result<Config, Error> {\n    let text = std::fs::read_to_string(path)?;\n    toml::from_str(&text).map_err(Error::from)\n}\n```\n\n| key | default |\n|---|---|\n| theme | dark |\n| retries | 4 |\n\nThat should be enough to get going.";

fn app_with(messages: usize) -> App {
    support::transcript::app_with(messages, REPLY)
}

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(120, 40)).unwrap()
}

#[divan::bench]
fn first_frame(bencher: Bencher) {
    let mut term = terminal();
    bencher
        .with_inputs(|| app_with(1000))
        .bench_local_refs(|app| {
            term.draw(|f| view::render(app, f)).unwrap();
        });
}

#[divan::bench]
fn next_frame(bencher: Bencher) {
    let mut term = terminal();
    let mut app = app_with(1000);
    term.draw(|f| view::render(&mut app, f)).unwrap();
    bencher.bench_local(|| {
        term.draw(|f| view::render(&mut app, f)).unwrap();
    });
}

#[divan::bench]
fn streaming_frame(bencher: Bencher) {
    let mut term = terminal();
    let mut app = app_with(1000);
    app.on_event(Event::TurnStarted { turn_id: 9999 });
    for _ in 0..40 {
        app.on_event(Event::AssistantDelta(AssistantDelta {
            turn_id: 9999,
            text: REPLY.into(),
        }));
    }
    term.draw(|f| view::render(&mut app, f)).unwrap();
    bencher.bench_local(|| {
        app.on_event(Event::AssistantDelta(AssistantDelta {
            turn_id: 9999,
            text: black_box(" more words").into(),
        }));
        term.draw(|f| view::render(&mut app, f)).unwrap();
    });
}

#[divan::bench]
fn scroll_to_top(bencher: Bencher) {
    let mut term = terminal();
    bencher
        .with_inputs(|| {
            let mut app = app_with(1000);
            term.draw(|f| view::render(&mut app, f)).unwrap();
            app
        })
        .bench_local_refs(|app| {
            app.scroll_to_top();
            let mut t = terminal();
            t.draw(|f| view::render(app, f)).unwrap();
        });
}
