//! Rendering a ~100 KB streamed reply at width 100.
//!
//! `warm`: one Highlighter whose cache already holds every block (the per-frame
//! cost while a reply streams). `cold`: a new Highlighter per iteration, so every
//! block is highlighted again (syntect's sets stay loaded: they are process-wide).
//! `plain`: no highlighting at all (NO_COLOR).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::LazyLock;

use divan::{Bencher, black_box};
use pincer::tui::markdown::{Highlighter, render_markdown};
use pincer::tui::theme::Theme;

const WIDTH: u16 = 100;
const SYNTAX_THEME: &str = "base16-ocean.dark";

fn main() {
    divan::main();
}

const RUST: &str = r#"use std::collections::HashMap;

/// Count words, ignoring case.
pub fn word_counts(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in text.split_whitespace() {
        *counts.entry(word.to_lowercase()).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts() {
        assert_eq!(super::word_counts("a A b")["a"], 2);
    }
}
"#;

const PYTHON: &str = r#"import json
from dataclasses import dataclass


@dataclass
class Job:
    name: str
    retries: int = 3

    def run(self, payload: dict) -> str:
        for attempt in range(self.retries):
            try:
                return json.dumps({"job": self.name, "attempt": attempt, **payload})
            except ValueError as err:  # pragma: no cover
                print(f"retrying {self.name}: {err}")
        raise RuntimeError("gave up")
"#;

const JSON: &str = r#"{
  "name": "pincer",
  "version": "0.1.0",
  "features": ["markdown", "highlight", "tables"],
  "limits": { "width": 100, "cache": 256, "retries": 3 },
  "nested": [{ "id": 1, "ok": true }, { "id": 2, "ok": false, "note": null }]
}
"#;

/// A reply of roughly 100 KB: prose, lists, 10 code blocks and 3 tables.
static REPLY: LazyLock<String> = LazyLock::new(|| {
    let prose = "The renderer walks **pulldown-cmark** events, keeps a stack of block \
                 containers and wraps inline text to the width left after the prefixes. \
                 It handles *emphasis*, `inline code`, [links](https://example.com/docs) \
                 and ~~strikethrough~~ while the reply is still streaming in. ";
    let mut s = String::from("# A long answer\n\n");
    let mut blocks = 0;
    let mut tables = 0;
    let mut section = 0;
    while s.len() < 100_000 {
        section += 1;
        s.push_str(&format!("## Section {section}\n\n"));
        for _ in 0..3 {
            s.push_str(&prose.repeat(3));
            s.push_str("\n\n");
        }
        s.push_str("1. First step with some detail\n2. Second step\n   - nested point\n   - another nested point that is long enough to wrap around the line\n3. Third\n\n");
        s.push_str("> A quoted remark that spans a little more than one line of text at this width, for sure.\n\n");
        if blocks < 10 && section % 2 == 0 {
            let (lang, code) = match blocks % 3 {
                0 => ("rust", RUST),
                1 => ("python", PYTHON),
                _ => ("json", JSON),
            };
            // Each block is distinct so the cache holds ten entries.
            s.push_str(&format!("```{lang}\n{code}"));
            if lang == "json" {
                s.push_str(&format!("{{\"block\": {blocks}}}\n```\n\n"));
            } else {
                s.push_str(&format!("# block {blocks}\n```\n\n"));
            }
            blocks += 1;
        }
        if tables < 3 && section % 5 == 0 {
            s.push_str("| Name | Kind | Size | Description |\n|:--|:-:|--:|--|\n");
            for i in 0..8 {
                s.push_str(&format!(
                    "| item{i} | `kind` | {} | a description of item {i} that is fairly long and will wrap |\n",
                    i * 1000
                ));
            }
            s.push('\n');
            tables += 1;
        }
    }
    s
});

fn theme() -> Theme {
    Theme::dark()
}

#[divan::bench(sample_count = 30)]
fn warm(bencher: Bencher) {
    let theme = theme();
    let hl = Highlighter::new(Some(SYNTAX_THEME.into()));
    let reply = REPLY.as_str();
    render_markdown(reply, WIDTH, &theme, &hl);
    bencher
        .counter(divan::counter::BytesCount::of_str(reply))
        .bench_local(|| render_markdown(black_box(reply), WIDTH, &theme, &hl));
}

#[divan::bench(sample_count = 30)]
fn cold(bencher: Bencher) {
    let theme = theme();
    let reply = REPLY.as_str();
    // Load syntect's sets once; only the cache is cold in the loop.
    render_markdown(
        reply,
        WIDTH,
        &theme,
        &Highlighter::new(Some(SYNTAX_THEME.into())),
    );
    bencher
        .counter(divan::counter::BytesCount::of_str(reply))
        .with_inputs(|| Highlighter::new(Some(SYNTAX_THEME.into())))
        .bench_local_refs(|hl| render_markdown(black_box(reply), WIDTH, &theme, hl));
}

#[divan::bench(sample_count = 30)]
fn plain(bencher: Bencher) {
    let theme = Theme::monochrome();
    let hl = Highlighter::new(None);
    let reply = REPLY.as_str();
    bencher
        .counter(divan::counter::BytesCount::of_str(reply))
        .bench_local(|| render_markdown(black_box(reply), WIDTH, &theme, &hl));
}
