//! HTML to compact plain text for `web_fetch`: a small tolerant tokenizer and a renderer that
//! keeps what a model needs (title, headings, lists, links, tables, code) as Markdown-ish
//! text. Std only, linear time, and it never panics, whatever the input.

mod entities;
mod render;
#[cfg(test)]
mod tests;
mod tokenize;

use entities::decode_entities;
use render::Renderer;
use tokenize::Tokenizer;

/// Elements whose content is not shown (`<title>` is read separately).
const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas",
    "select", "audio", "video", "datalist",
];
/// What may appear in `<head>`; any other tag ends it.
const IN_HEAD: &[&str] = &[
    "head", "title", "meta", "link", "base", "script", "style", "noscript", "template",
];
/// Elements whose content is raw text, ended only by the matching close tag.
const RAW_TEXT: &[&str] = &["script", "style", "textarea", "title"];
/// Blocks set off by a line break.
#[rustfmt::skip]
const BLOCKS: &[&str] = &[
    "div", "section", "article", "main", "header", "footer", "nav", "aside", "form", "fieldset",
    "figcaption", "address", "details", "summary", "caption", "legend", "center", "dt",
];
/// Blocks set off by a blank line (a line break inside lists). Lists, tables, quotes, `<pre>`
/// and headings do the same but need more, so they have their own arms.
const PARAGRAPHS: &[&str] = &["p", "figure"];
/// Nesting deeper than this adds no more indentation, so lines stay short on hostile input.
const MAX_LEVELS: usize = 10;
/// Longer link targets are left out: they are tracking noise, not something to follow.
const MAX_URL: usize = 300;
/// Longest title shown, in characters.
const MAX_TITLE: usize = 200;

/// Converts an HTML document (or fragment) to plain text.
pub fn html_to_text(html: &str) -> String {
    let mut renderer = Renderer::new(html.len() / 4);
    for token in Tokenizer::new(html) {
        renderer.token(token);
    }
    renderer.finish()
}

/// Whitespace that collapses to one space outside `<pre>` (`&nbsp;` included).
fn is_collapsible(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0C' | '\u{a0}')
}

/// C0 (but newline and tab), DEL and C1: never written, so a page cannot drive the terminal.
fn is_unsafe_control(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

/// Decodes references, collapses whitespace, drops controls and trims: for titles and alts.
fn clean_text(raw: &str) -> String {
    let mut decoded = String::new();
    decode_entities(raw, &mut decoded);
    let mut out = String::with_capacity(decoded.len());
    let mut space = false;
    for c in decoded.chars() {
        if is_collapsible(c) {
            space = !out.is_empty();
        } else if !is_unsafe_control(c) {
            if std::mem::take(&mut space) {
                out.push(' ');
            }
            out.push(c);
        }
    }
    out
}

/// The link target worth showing: an absolute http(s) URL of sane length, else None
/// (relative, `#fragment`, `javascript:`, `mailto:` ...).
fn link_target(raw: &str) -> Option<String> {
    let mut decoded = String::new();
    decode_entities(raw.trim(), &mut decoded);
    let mut href = String::from(if decoded.starts_with("//") {
        "https:"
    } else {
        ""
    });
    for c in decoded.trim().chars() {
        match c {
            ' ' => href.push_str("%20"),
            c if c.is_whitespace() || c.is_control() => {}
            c => href.push(c),
        }
    }
    let scheme = href.get(..8).unwrap_or(&href).to_ascii_lowercase();
    let web = scheme.starts_with("http://") || scheme.starts_with("https://");
    (web && href.len() <= MAX_URL).then_some(href)
}

/// Whether a link's text already says where it goes.
fn same_target(text: &str, href: &str) -> bool {
    fn bare(s: &str) -> &str {
        let s = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .unwrap_or(s);
        let s = s.strip_prefix("www.").unwrap_or(s);
        s.strip_suffix('/').unwrap_or(s)
    }
    bare(text).eq_ignore_ascii_case(bare(href))
}

fn heading_level(name: &str) -> usize {
    match name.as_bytes() {
        [b'h', digit @ b'1'..=b'6'] => usize::from(digit - b'0'),
        _ => 0,
    }
}

/// Puts the title first, drops trailing whitespace, leading and trailing blank lines, and
/// runs of blank lines beyond one.
fn tidy(body: &str, title: Option<&str>) -> String {
    let mut out = String::with_capacity(body.len() + 64);
    let mut blank = false;
    if let Some(title) = title {
        out.push_str("# ");
        out.push_str(title);
        blank = true;
    }
    for line in body.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if std::mem::take(&mut blank) {
                out.push('\n');
            }
        }
        out.push_str(line);
    }
    out
}
