//! Structural tests of the renderer (snapshots live in `snapshot_tests.rs`).

use std::sync::OnceLock;

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::*;

pub(super) const ANSWER: &str = r#"# Parsing config files

Here's how to **load** a `Config` with *serde* and [toml](https://docs.rs/toml). It keeps the ~~old~~ API and works with <https://example.com>.

1. Add the dependencies:
   - `serde` with the `derive` feature
   - `toml`
2. Define the struct.
3. Call `toml::from_str` and handle the error, which tells you the line and column of the problem.

```rust
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Config {
    name: String,
    retries: u32, // how many times to retry a failed request before giving up entirely
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg: Config = toml::from_str("name = \"x\"\nretries = 3")?;
    println!("{cfg:?}");
    Ok(())
}
```

| Field | Type | Default | Notes |
|:------|:----:|--------:|-------|
| `name` | `String` | — | Shown in the **status bar** |
| `retries` | `u32` | 3 | Retries with exponential back-off between attempts |

- [x] parse
- [ ] validate

> **Note:** unknown keys are rejected, so typos are caught early.

---
That's it!
"#;

pub(super) fn hl() -> &'static Highlighter {
    static HL: OnceLock<Highlighter> = OnceLock::new();
    HL.get_or_init(|| Highlighter::new(Some("base16-ocean.dark".into())))
}

pub(super) fn render(src: &str, width: u16) -> Vec<Line<'static>> {
    render_markdown(src, width, &Theme::dark(), hl())
}

pub(super) fn texts(lines: &[Line<'_>]) -> Vec<String> {
    lines.iter().map(|l| l.to_string()).collect()
}

fn trimmed(lines: &[Line<'_>]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.to_string().trim_end().to_string())
        .collect()
}

pub(super) fn assert_fits(lines: &[Line<'_>], width: u16, src: &str) {
    for line in lines {
        assert!(
            line.width() <= usize::from(width.max(1)),
            "line wider than {width}: {:?} (source {src:?})",
            line.to_string()
        );
    }
}

fn span_with<'a>(lines: &'a [Line<'static>], text: &str) -> &'a Span<'static> {
    lines
        .iter()
        .flat_map(|l| l.spans.iter())
        .find(|s| s.content.contains(text))
        .unwrap_or_else(|| panic!("no span containing {text:?} in {:?}", texts(lines)))
}

#[test]
fn sanitize_strips_controls() {
    assert!(matches!(sanitize("plain text\nok"), Cow::Borrowed(_)));
    assert_eq!(sanitize("a\x1b[31mred\x1b[0m"), "a[31mred[0m");
    assert_eq!(sanitize("x\u{9b}2Jy\u{7f}z\u{85}"), "x2Jyz");
    assert_eq!(sanitize("a\r\nb\tc\x07\x00"), "a\nb    c");
    let out = render("\x1b]0;title\x07hi \x1b[2J", 20);
    assert!(out.iter().all(|l| !l.to_string().contains('\x1b')));
}

#[test]
fn paragraphs_wrap_with_blank_between_blocks() {
    let out = render("\n\none two three four five six\n\nseven\n\n\n", 10);
    assert_eq!(
        texts(&out),
        ["one two", "three four", "five six", "", "seven"]
    );
}

#[test]
fn headings_keep_hashes_and_style() {
    let theme = Theme::dark();
    let out = render("# Title\n\n### Sub *emph*\ntext", 40);
    assert_eq!(texts(&out), ["# Title", "", "### Sub emph", "", "text"]);
    let h1 = span_with(&out, "Title");
    assert_eq!(h1.style.fg, theme.heading.fg);
    assert!(
        h1.style
            .add_modifier
            .contains(Modifier::UNDERLINED | Modifier::BOLD)
    );
    let h3 = span_with(&out, "Sub");
    assert!(!h3.style.add_modifier.contains(Modifier::UNDERLINED));
    let it = span_with(&out, "emph");
    assert!(
        it.style
            .add_modifier
            .contains(Modifier::ITALIC | Modifier::BOLD)
    );
}

#[test]
fn nested_inline_styles() {
    let out = render("a ***both*** ~~**gone**~~ `code` *x `y`*", 80);
    assert_eq!(texts(&out), ["a both gone code x y"]);
    let both = span_with(&out, "both").style.add_modifier;
    assert!(both.contains(Modifier::BOLD | Modifier::ITALIC));
    let gone = span_with(&out, "gone").style.add_modifier;
    assert!(gone.contains(Modifier::BOLD | Modifier::CROSSED_OUT));
    assert_eq!(
        span_with(&out, "code").style.fg,
        Theme::dark().inline_code.fg
    );
    let y = span_with(&out, "y").style;
    assert_eq!(y.fg, Theme::dark().inline_code.fg);
    assert!(y.add_modifier.contains(Modifier::ITALIC));
}

#[test]
fn links_show_url_when_different() {
    let theme = Theme::dark();
    let out = render(
        "[docs](https://docs.rs) <https://a.b> [https://c.d](https://c.d) <me@x.org>",
        80,
    );
    assert_eq!(
        texts(&out),
        ["docs (https://docs.rs) https://a.b https://c.d me@x.org"]
    );
    assert_eq!(span_with(&out, "docs").style.fg, theme.link.fg);
    assert_eq!(
        span_with(&out, "(https://docs.rs)").style.fg,
        theme.muted.fg
    );
}

#[test]
fn images_and_html() {
    let theme = Theme::dark();
    let out = render(
        "![a cat](cat.png)\n\n<div>\n  <b>hi</b>\n</div>\n\ninline <br> html",
        80,
    );
    assert_eq!(
        texts(&out),
        [
            "[image: a cat] (cat.png)",
            "",
            "<div>",
            "  <b>hi</b>",
            "</div>",
            "",
            "inline <br> html"
        ]
    );
    assert_eq!(span_with(&out, "<div>").style.fg, theme.muted.fg);
    assert_eq!(span_with(&out, "<br>").style.fg, theme.muted.fg);
}

#[test]
fn soft_and_hard_breaks() {
    let out = render("one\ntwo  \nthree\\\nfour", 80);
    assert_eq!(texts(&out), ["one two", "three", "four"]);
}

#[test]
fn bullet_lists_nest_and_align() {
    let src = "- first item that wraps around\n- second\n  - nested\n    - deeper\n- third";
    let out = render(src, 16);
    assert_eq!(
        texts(&out),
        [
            "• first item",
            "  that wraps",
            "  around",
            "• second",
            "  ◦ nested",
            "    ▪ deeper",
            "• third",
        ]
    );
    assert_fits(&out, 16, src);
}

#[test]
fn ordered_lists_keep_start_and_width() {
    let out = render(
        "3. three\n4. four is long\n\ntext\n\n9. a\n10. b wraps here",
        12,
    );
    assert_eq!(
        texts(&out),
        [
            "3. three",
            "4. four is",
            "   long",
            "",
            "text",
            "",
            "9. a",
            "10. b wraps",
            "    here"
        ]
    );
}

#[test]
fn loose_lists_keep_blank_lines_and_tasks() {
    let out = render("- a\n\n- b\n\npara\n\n- [ ] todo\n- [x] done", 20);
    assert_eq!(
        texts(&out),
        ["• a", "", "• b", "", "para", "", "• [ ] todo", "• [x] done"]
    );
    assert_eq!(span_with(&out, "[x]").style.fg, Theme::dark().accent.fg);
}

#[test]
fn quotes_prefix_every_line() {
    let src = "> quoted text that wraps\n>\n> > nested quote here\n\nafter";
    let out = render(src, 14);
    assert_eq!(
        trimmed(&out),
        [
            "▌ quoted text",
            "▌ that wraps",
            "▌",
            "▌ ▌ nested",
            "▌ ▌ quote here",
            "",
            "after"
        ]
    );
    let theme = Theme::dark();
    assert_eq!(out[0].spans[0].style, theme.quote);
    assert_eq!(span_with(&out, "quoted").style.fg, theme.quote.fg);
    assert_fits(&out, 14, src);
}

#[test]
fn code_blocks_are_highlighted_and_padded() {
    let theme = Theme::dark();
    let src = "```rust\nfn main() {\n\tlet long_name_here = 1;\n}\n```\n\n    indented\n";
    let out = render(src, 20);
    assert_eq!(
        trimmed(&out),
        [
            " fn main() {",
            "     let long_name_h",
            " ere = 1;",
            " }",
            "",
            " indented"
        ]
    );
    for i in [0, 1, 2, 3, 5] {
        assert_eq!(out[i].width(), 20, "padded line {i}");
        assert!(
            out[i]
                .spans
                .iter()
                .all(|s| s.style.bg == theme.code_block.bg)
        );
    }
    let colours: std::collections::HashSet<_> = out[..4]
        .iter()
        .flat_map(|l| &l.spans)
        .filter_map(|s| s.style.fg)
        .collect();
    assert!(colours.len() > 2, "highlighted: {colours:?}");
}

#[test]
fn unclosed_fence_renders_as_code() {
    let out = render("Look:\n\n```python\ndef f(x):\n    return x", 30);
    assert_eq!(trimmed(&out), ["Look:", "", " def f(x):", "     return x"]);
    assert_eq!(out[2].spans[0].style.bg, Theme::dark().code_block.bg);
}

#[test]
fn rule_spans_width() {
    let out = render("a\n\n---\n\nb", 12);
    assert_eq!(texts(&out), ["a", "", "─".repeat(12).as_str(), "", "b"]);
    assert_eq!(out[2].spans[0].style, Theme::dark().border);
}

#[test]
fn tables_have_borders_and_alignment() {
    let src = "| L | C | R |\n|:--|:-:|--:|\n| a | b | c |\n| long | `x` | **y** |";
    let out = render(src, 40);
    assert_eq!(
        texts(&out),
        [
            "┌──────┬───┬───┐",
            "│ L    │ C │ R │",
            "├──────┼───┼───┤",
            "│ a    │ b │ c │",
            "│ long │ x │ y │",
            "└──────┴───┴───┘",
        ]
    );
    let theme = Theme::dark();
    assert_eq!(out[0].spans[0].style, theme.border);
    assert!(
        span_with(&out, "L")
            .style
            .add_modifier
            .contains(Modifier::BOLD)
    );
    assert_eq!(span_with(&out, "x").style.fg, theme.inline_code.fg);
    assert!(
        span_with(&out, "y")
            .style
            .add_modifier
            .contains(Modifier::BOLD)
    );
}

#[test]
fn wide_tables_shrink_and_wrap_cells() {
    let src = "| id | description |\n|---|---|\n| 1 | a fairly long description of the thing |\n| 2 | short |";
    let out = render(src, 24);
    assert_eq!(
        texts(&out),
        [
            "┌────┬─────────────────┐",
            "│ id │ description     │",
            "├────┼─────────────────┤",
            "│ 1  │ a fairly long   │",
            "│    │ description of  │",
            "│    │ the thing       │",
            "├────┼─────────────────┤",
            "│ 2  │ short           │",
            "└────┴─────────────────┘",
        ]
    );
    assert_fits(&out, 24, src);
}

#[test]
fn half_table_while_streaming() {
    for src in ["| a | b |", "| a | b |\n|--", "| a | b |\n|---|---|\n| 1 |"] {
        let out = render(src, 30);
        assert!(!out.is_empty());
        assert_fits(&out, 30, src);
    }
    let out = render("| a | b |\n|---|---|\n| 1 |", 30);
    assert_eq!(out[3].to_string(), "│ 1 │   │");
}

#[test]
fn no_color_uses_no_colours() {
    let theme = Theme::monochrome();
    let out = render_markdown(ANSWER, 60, &theme, hl());
    for span in out.iter().flat_map(|l| &l.spans) {
        assert!(
            span.style.fg.is_none() && span.style.bg.is_none(),
            "{span:?}"
        );
    }
    assert!(
        span_with(&out, "Parsing")
            .style
            .add_modifier
            .contains(Modifier::BOLD)
    );
}

#[test]
fn every_line_fits_at_every_width() {
    let extra = "日本語のテキストと English mixed 👍🏽 emoji ❤\u{FE0F} here.\n\n\
                 > - 深い引用の中の **リスト** 項目\n>   1. `コード` です\n\n\
                 | 列 | 説明 |\n|---|---|\n| 🦀 | 蟹はとても速い |\n\n\
                 ```\n中文代码行 with tabs\there\n```\n";
    for src in [ANSWER, extra] {
        for width in (0..=12).chain([20, 33, 40, 80]) {
            let out = render(src, width);
            assert!(!out.is_empty());
            assert_fits(&out, width, src);
            assert_ne!(out.first().map(Line::width), Some(0), "leading blank");
            assert_ne!(out.last().map(Line::width), Some(0), "trailing blank");
        }
    }
}

#[test]
fn streaming_prefixes_never_panic_or_overflow() {
    let plain = Highlighter::new(None);
    let theme = Theme::dark();
    let bounds: Vec<usize> = (0..=ANSWER.len())
        .filter(|i| ANSWER.is_char_boundary(*i))
        .collect();
    for (n, end) in bounds.iter().enumerate() {
        let src = ANSWER.get(..*end).unwrap_or_default();
        for width in [1u16, 7, 30] {
            let out = render_markdown(src, width, &theme, &plain);
            assert_fits(&out, width, src);
        }
        if n % 50 == 0 {
            assert_fits(&render(src, 45), 45, src);
        }
    }
}

#[test]
fn garbage_input_never_panics() {
    let pieces = [
        "> ", "- ", "1. ", "```", "`", "*", "**", "~~", "|", "---", "\n", "\n\n", "# ", "[", "](",
        ")", "<", ">", "![", "    ", "日本", "👍", "\u{FE0F}", "a", "word ", "\\", "- [x] ",
        "|:-:|", "<div>", "\t", "\u{1b}[", "&amp;", "[^1]",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let plain = Highlighter::new(None);
    let theme = Theme::dark();
    for _ in 0..300 {
        let mut src = String::new();
        for _ in 0..40 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let idx = usize::try_from(seed % pieces.len() as u64).unwrap_or(0);
            src.push_str(pieces.get(idx).copied().unwrap_or(""));
        }
        for width in [0u16, 1, 2, 3, 5, 9, 25] {
            let out = render_markdown(&src, width, &theme, &plain);
            assert_fits(&out, width, &src);
        }
    }
}

#[test]
fn deep_nesting_at_tiny_width() {
    let src = "> > > > > - - - - 1. deep text\n> > > > > ```\n> > > > > code\n> > > > > ```";
    for width in 0..=10 {
        let out = render(src, width);
        assert_fits(&out, width, src);
    }
}

#[test]
fn wrap_spans_public_api() {
    let out = wrap_spans(vec![Span::raw("aa bb"), Span::raw(" cc")], 5);
    assert_eq!(texts(&out), ["aa bb", "cc"]);
    assert_eq!(
        texts(&wrap_spans(vec![Span::raw("abc")], 0)),
        ["a", "b", "c"]
    );
}
