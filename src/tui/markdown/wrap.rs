//! Width-aware word wrapping of styled spans, plus small width helpers.
//!
//! Widths are display columns as computed by `unicode-width`. Decisions are made
//! per character; a final guard (`fit_line`) measures whole spans the way ratatui
//! does, so a line can never end up wider than requested even for odd sequences
//! (emoji with variation selectors, ZWJ sequences) whose string width differs from
//! the sum of their characters.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Shown instead of a character that is wider than the whole line (width 1, CJK).
const TOO_WIDE: &str = "…";

/// Display width of one character (control characters count as 0).
pub(crate) fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Display width of a string like `unicode-width`, with a fast path for ASCII
/// (exact for printable ASCII, an upper bound otherwise).
pub(crate) fn str_width(s: &str) -> usize {
    if s.is_ascii() { s.len() } else { s.width() }
}

/// Display width of a line, measured like ratatui (`Span::width` per span).
pub(crate) fn line_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|s| str_width(&s.content)).sum()
}

/// Append `text` in `style`, merging with the previous span when styles match.
pub(crate) fn push_styled(spans: &mut Vec<Span<'static>>, text: &str, style: Style) {
    if text.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some(last) if last.style == style => last.content.to_mut().push_str(text),
        _ => spans.push(Span::styled(text.to_string(), style)),
    }
}

/// Cut `spans` so that their display width is at most `max`.
pub(crate) fn truncate_spans(spans: &mut Vec<Span<'static>>, max: usize) {
    // Fast path: per-character widths first, then the exact guard below.
    let mut used = 0;
    let mut keep = spans.len();
    for (i, span) in spans.iter_mut().enumerate() {
        let mut cut = None;
        for (at, c) in span.content.char_indices() {
            let w = char_width(c);
            if used + w > max {
                cut = Some(at);
                break;
            }
            used += w;
        }
        if let Some(at) = cut {
            span.content.to_mut().truncate(at);
            keep = i + 1;
            break;
        }
    }
    spans.truncate(keep);
    // Exact guard: drop characters from the end until ratatui agrees.
    while line_width(spans) > max {
        let Some(last) = spans.last_mut() else { break };
        if last.content.to_mut().pop().is_none() {
            spans.pop();
        }
    }
    spans.retain(|s| !s.content.is_empty());
}

/// Ensure a finished line is no wider than `max` (cheap when it already fits).
pub(crate) fn fit_line(mut line: Line<'static>, max: usize) -> Line<'static> {
    if line_width(&line.spans) > max {
        truncate_spans(&mut line.spans, max);
    }
    line
}

/// Drop trailing whitespace (used for prefix-only lines).
pub(crate) fn trim_end(mut spans: Vec<Span<'static>>) -> Vec<Span<'static>> {
    while let Some(last) = spans.last_mut() {
        let trimmed = last.content.trim_end().len();
        if trimmed == 0 {
            spans.pop();
        } else {
            last.content.to_mut().truncate(trimmed);
            break;
        }
    }
    spans
}

/// HTML blocks end with a newline; a hard break at the very end means nothing.
pub(crate) fn trim_trailing_newlines(mut spans: Vec<Span<'static>>) -> Vec<Span<'static>> {
    while let Some(last) = spans.last_mut() {
        let trimmed = last.content.trim_end_matches('\n').len();
        if trimmed == 0 {
            spans.pop();
        } else {
            last.content.to_mut().truncate(trimmed);
            break;
        }
    }
    spans
}

/// A byte range inside one input span.
#[derive(Clone, Copy)]
struct Seg {
    span: usize,
    start: usize,
    end: usize,
}

/// Add a byte range to a run list, extending the last run when contiguous.
fn extend(segs: &mut Vec<Seg>, span: usize, start: usize, end: usize) {
    match segs.last_mut() {
        Some(last) if last.span == span && last.end == start => last.end = end,
        _ => segs.push(Seg { span, start, end }),
    }
}

struct Builder<'a> {
    input: &'a [Span<'static>],
    width: usize,
    lines: Vec<Line<'static>>,
    cur: Vec<Span<'static>>,
    cur_w: usize,
    /// The current line was started by a soft wrap (leading spaces are dropped).
    at_wrap: bool,
}

impl<'a> Builder<'a> {
    fn text(&self, seg: Seg) -> (&'a str, Style) {
        match self.input.get(seg.span) {
            Some(span) => (
                span.content.get(seg.start..seg.end).unwrap_or(""),
                span.style,
            ),
            None => ("", Style::default()),
        }
    }

    fn push(&mut self, seg: Seg) {
        let (text, style) = self.text(seg);
        push_styled(&mut self.cur, text, style);
    }

    /// Push spaces then the word; widths are the per-character sums.
    fn push_all(&mut self, space: &[Seg], space_w: usize, word: &[Seg], word_w: usize) {
        for s in space.iter().chain(word) {
            self.push(*s);
        }
        self.cur_w += space_w + word_w;
    }

    fn end_line(&mut self) {
        let spans = std::mem::take(&mut self.cur);
        self.lines.push(fit_line(Line::from(spans), self.width));
        self.cur_w = 0;
    }

    fn wrap(&mut self) {
        if !self.cur.is_empty() {
            self.end_line();
        }
        self.at_wrap = true;
    }

    fn hard_break(&mut self) {
        self.end_line();
        self.at_wrap = false;
    }

    /// Place a word (and the spaces before it) on the current or a new line.
    fn place(
        &mut self,
        word: &mut Vec<Seg>,
        word_w: &mut usize,
        space: &mut Vec<Seg>,
        space_w: &mut usize,
    ) {
        if word.is_empty() {
            return;
        }
        let keep_space = !(self.cur.is_empty() && self.at_wrap);
        if keep_space && self.cur_w + *space_w + *word_w <= self.width {
            self.push_all(space, *space_w, word, *word_w);
        } else if *word_w <= self.width {
            self.wrap();
            self.push_all(&[], 0, word, *word_w);
        } else {
            self.split_long(word);
        }
        word.clear();
        *word_w = 0;
        space.clear();
        *space_w = 0;
    }

    /// A word wider than the line: start a new line and cut it by characters.
    fn split_long(&mut self, word: &[Seg]) {
        if !self.cur.is_empty() {
            self.wrap();
        }
        for seg in word {
            let (text, style) = self.text(*seg);
            let mut run_start = 0;
            let mut run_w = 0;
            for (at, c) in text.char_indices() {
                let w = char_width(c);
                if self.cur_w + run_w + w > self.width {
                    let piece = text.get(run_start..at).unwrap_or("");
                    push_styled(&mut self.cur, piece, style);
                    self.cur_w += run_w;
                    self.wrap();
                    run_start = at;
                    run_w = 0;
                    if w > self.width {
                        push_styled(&mut self.cur, TOO_WIDE, style);
                        self.cur_w += 1;
                        run_start = at + c.len_utf8();
                        continue;
                    }
                }
                run_w += w;
            }
            push_styled(&mut self.cur, text.get(run_start..).unwrap_or(""), style);
            self.cur_w += run_w;
        }
    }
}

/// Word-wrap styled spans to `width` columns (0 is treated as 1).
///
/// Breaks at spaces and after wide (CJK/emoji) characters; a word wider than the
/// line is split by characters; `'\n'` forces a break. Leading spaces of the text
/// and after a `'\n'` are kept, spaces at soft wraps are dropped. Styles are kept.
/// Empty input gives one empty line.
pub(crate) fn wrap(spans: &[Span<'static>], width: usize) -> Vec<Line<'static>> {
    let mut b = Builder {
        input: spans,
        width: width.max(1),
        lines: Vec::new(),
        cur: Vec::new(),
        cur_w: 0,
        at_wrap: false,
    };
    let mut word: Vec<Seg> = Vec::new();
    let mut word_w = 0;
    let mut space: Vec<Seg> = Vec::new();
    let mut space_w = 0;
    // The previous character was wide: a break is allowed before the next visible one.
    let mut break_after = false;
    for (si, span) in spans.iter().enumerate() {
        for (at, c) in span.content.char_indices() {
            let end = at + c.len_utf8();
            match c {
                '\n' => {
                    b.place(&mut word, &mut word_w, &mut space, &mut space_w);
                    space.clear();
                    space_w = 0;
                    b.hard_break();
                    break_after = false;
                }
                ' ' => {
                    b.place(&mut word, &mut word_w, &mut space, &mut space_w);
                    extend(&mut space, si, at, end);
                    space_w += 1;
                    break_after = false;
                }
                _ => {
                    let w = char_width(c);
                    if (w >= 2 || (break_after && w > 0)) && !word.is_empty() {
                        b.place(&mut word, &mut word_w, &mut space, &mut space_w);
                    }
                    if w >= 2 {
                        break_after = true;
                    } else if w > 0 {
                        break_after = false;
                    }
                    extend(&mut word, si, at, end);
                    word_w += w;
                }
            }
        }
    }
    b.place(&mut word, &mut word_w, &mut space, &mut space_w);
    if !b.cur.is_empty() || b.lines.is_empty() {
        b.end_line();
    }
    b.lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Modifier;

    fn texts(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    fn plain(s: &str) -> Vec<Span<'static>> {
        vec![Span::raw(s.to_string())]
    }

    #[test]
    fn breaks_at_spaces() {
        let out = wrap(&plain("the quick brown fox jumps"), 10);
        assert_eq!(texts(&out), ["the quick", "brown fox", "jumps"]);
    }

    #[test]
    fn exact_fit_and_trailing_spaces() {
        assert_eq!(texts(&wrap(&plain("abc def"), 7)), ["abc def"]);
        assert_eq!(texts(&wrap(&plain("abc def   "), 7)), ["abc def"]);
        assert_eq!(texts(&wrap(&plain("abc    def"), 5)), ["abc", "def"]);
    }

    #[test]
    fn long_words_split_by_chars() {
        let out = wrap(&plain("go https://example.com/abc ok"), 8);
        assert_eq!(texts(&out), ["go", "https://", "example.", "com/abc", "ok"]);
    }

    #[test]
    fn hard_breaks_and_leading_spaces() {
        let out = wrap(&plain("  a\n    b c"), 20);
        assert_eq!(texts(&out), ["  a", "    b c"]);
        assert_eq!(texts(&wrap(&plain("a\n\nb"), 5)), ["a", "", "b"]);
    }

    #[test]
    fn empty_input_gives_one_line() {
        assert_eq!(texts(&wrap(&[], 5)), [""]);
        assert_eq!(texts(&wrap(&plain("   "), 5)), [""]);
    }

    #[test]
    fn styles_survive_wrapping_and_merge() {
        let bold = Style::default().add_modifier(Modifier::BOLD);
        let spans = vec![
            Span::raw("plain "),
            Span::styled("bold words", bold),
            Span::raw("tail"),
        ];
        let out = wrap(&spans, 11);
        assert_eq!(texts(&out), ["plain bold", "wordstail"]);
        assert_eq!(out[0].spans[1].style, bold);
        assert_eq!(out[1].spans[0].content, "words");
        assert_eq!(out[1].spans[0].style, bold);
        assert_eq!(out[1].spans[1].style, Style::default());
    }

    #[test]
    fn cjk_breaks_between_characters() {
        let out = wrap(&plain("日本語のテキストです"), 7);
        assert_eq!(texts(&out), ["日本語", "のテキ", "ストで", "す"]);
        for l in &out {
            assert!(l.width() <= 7);
        }
    }

    #[test]
    fn never_wider_than_width() {
        let samples = [
            "hello wörld 日本語 emoji 👍🏽 ❤\u{FE0F} family 👨\u{200D}👩\u{200D}👧 e\u{301}t\u{e9}",
            "a\u{FE0F}b\u{FE0F}c\u{FE0F}d\u{FE0F}e\u{FE0F}",
            "x",
            "",
            "      ",
        ];
        for s in samples {
            for w in 0..=12 {
                for line in wrap(&plain(s), w) {
                    assert!(line.width() <= w.max(1), "{s:?} at {w}: {line:?}");
                }
            }
        }
    }

    #[test]
    fn truncate_is_exact() {
        let mut spans = vec![Span::raw("ab"), Span::raw("日本")];
        truncate_spans(&mut spans, 3);
        assert_eq!(Line::from(spans).to_string(), "ab");
        let mut spans = vec![Span::raw("❤\u{FE0F}❤\u{FE0F}")];
        truncate_spans(&mut spans, 2);
        assert!(line_width(&spans) <= 2);
    }
}
