//! The event walker: turns pulldown-cmark events into prefixed, wrapped lines.
//!
//! Block containers (quotes, list items) live on a stack and contribute a prefix
//! to every line emitted inside them; inline content is collected as styled spans
//! and wrapped to the width that remains after the prefix.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, LinkType, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::code::render_code;
use super::highlight::Highlighter;
use super::table::Table;
use super::wrap::{
    fit_line, line_width, push_styled, trim_end, trim_trailing_newlines, truncate_spans, wrap,
};
use crate::tui::theme::Theme;

const BULLETS: [&str; 3] = ["• ", "◦ ", "▪ "];
const QUOTE_BAR: &str = "▌ ";

enum Container {
    Quote,
    Item {
        marker: String,
        width: usize,
        /// The marker has not been printed yet (first line of the item).
        fresh: bool,
    },
}

struct List {
    /// Next number for ordered lists.
    next: Option<u64>,
    items: usize,
    /// Items contain paragraphs: keep blank lines between them.
    loose: bool,
}

struct LinkState {
    url: String,
    start: usize,
    show_url: bool,
}

pub(crate) struct Renderer<'a> {
    theme: &'a Theme,
    hl: &'a Highlighter,
    width: usize,
    out: Vec<Line<'static>>,
    containers: Vec<Container>,
    lists: Vec<List>,
    /// Pending inline content of the current block.
    inline: Vec<Span<'static>>,
    /// Inline style patches (emphasis, strong, links…), innermost last.
    styles: Vec<Style>,
    heading: Option<HeadingLevel>,
    links: Vec<LinkState>,
    /// Code block being collected: (language, text).
    code: Option<(String, String)>,
    table: Option<Table>,
    need_blank: bool,
    /// Quote depth shared by the blocks around a pending blank line.
    blank_quotes: usize,
}

impl<'a> Renderer<'a> {
    pub fn new(width: usize, theme: &'a Theme, hl: &'a Highlighter) -> Self {
        Renderer {
            theme,
            hl,
            width: width.max(1),
            out: Vec::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            inline: Vec::new(),
            styles: Vec::new(),
            heading: None,
            links: Vec::new(),
            code: None,
            table: None,
            need_blank: false,
            blank_quotes: 0,
        }
    }

    pub fn finish(mut self) -> Vec<Line<'static>> {
        // Close whatever a truncated stream left open.
        self.end_code();
        self.end_table();
        self.flush_inline(true);
        while !self.containers.is_empty() {
            self.pop_container();
        }
        while self.out.last().is_some_and(|l| line_width(&l.spans) == 0) {
            self.out.pop();
        }
        self.out
    }

    pub fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => match &mut self.code {
                Some((_, code)) => code.push_str(&text),
                None => self.text(&text, self.style()),
            },
            Event::Code(text) | Event::InlineMath(text) | Event::DisplayMath(text) => {
                let style = self.style().patch(self.theme.inline_code);
                self.text(&text, style);
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                let style = self.style().patch(self.theme.muted);
                self.text(&html, style);
            }
            Event::FootnoteReference(name) => {
                let style = self.style().patch(self.theme.muted);
                self.text(&format!("[^{name}]"), style);
            }
            Event::SoftBreak => self.text(" ", self.style()),
            Event::HardBreak => self.text("\n", self.style()),
            Event::Rule => {
                self.flush_inline(true);
                let avail = self.avail();
                let rule = vec![Span::styled("─".repeat(avail), self.theme.border)];
                self.push_line(rule);
                self.mark_blank();
            }
            Event::TaskListMarker(done) => {
                let (mark, style) = if done {
                    ("[x] ", self.theme.accent)
                } else {
                    ("[ ] ", self.theme.muted)
                };
                self.text(mark, style);
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => {
                // Pending content here can only be a task-list marker: keep it.
                if matches!(self.containers.last(), Some(Container::Item { .. }))
                    && let Some(list) = self.lists.last_mut()
                {
                    list.loose = true;
                }
            }
            Tag::Heading { level, .. } => {
                self.flush_inline(true);
                self.heading = Some(level);
                let hashes = "#".repeat(heading_depth(level));
                self.text(&format!("{hashes} "), self.style());
            }
            Tag::BlockQuote(_) => {
                self.flush_inline(false);
                self.containers.push(Container::Quote);
            }
            Tag::CodeBlock(kind) => {
                self.flush_inline(false);
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Tag::HtmlBlock => self.flush_inline(false),
            Tag::List(start) => {
                self.flush_inline(false);
                self.lists.push(List {
                    next: start,
                    items: 0,
                    loose: false,
                });
            }
            Tag::Item => self.start_item(),
            Tag::Table(aligns) => {
                self.flush_inline(true);
                self.table = Some(Table::new(aligns));
            }
            Tag::TableHead => {
                if let Some(t) = &mut self.table {
                    t.in_head = true;
                }
            }
            Tag::TableRow | Tag::TableCell => self.inline.clear(),
            Tag::Emphasis => self
                .styles
                .push(Style::new().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.styles.push(Style::new().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self
                .styles
                .push(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => {
                self.styles.push(self.theme.link);
                self.links.push(LinkState {
                    url: dest_url.to_string(),
                    start: self.inline.len(),
                    show_url: !matches!(link_type, LinkType::Autolink | LinkType::Email),
                });
            }
            Tag::Image { dest_url, .. } => {
                self.styles.push(self.theme.muted);
                self.text("[image: ", self.style());
                self.links.push(LinkState {
                    url: dest_url.to_string(),
                    start: self.inline.len(),
                    show_url: true,
                });
            }
            _ => self.styles.push(Style::new()),
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock => self.flush_inline(true),
            TagEnd::Heading(_) => {
                self.flush_inline(true);
                self.heading = None;
            }
            TagEnd::BlockQuote(_) => {
                self.flush_inline(true);
                self.pop_container();
                self.mark_blank();
            }
            TagEnd::CodeBlock => self.end_code(),
            TagEnd::List(_) => {
                self.flush_inline(false);
                self.lists.pop();
                self.mark_blank();
            }
            TagEnd::Item => {
                self.flush_inline(false);
                self.pop_container();
            }
            TagEnd::Table => self.end_table(),
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.in_head = false;
                }
            }
            TagEnd::TableRow => {
                if let Some(t) = &mut self.table {
                    t.end_row();
                }
            }
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.inline);
                if let Some(t) = &mut self.table {
                    t.push_cell(cell);
                }
            }
            TagEnd::Link => {
                self.styles.pop();
                self.end_link(false);
            }
            TagEnd::Image => {
                self.styles.pop();
                let style = self.style().patch(self.theme.muted);
                self.text("]", style);
                self.end_link(true);
            }
            _ => {
                self.styles.pop();
            }
        }
    }

    fn start_item(&mut self) {
        self.flush_inline(false);
        let depth = self.lists.len().saturating_sub(1);
        let Some(list) = self.lists.last_mut() else {
            return;
        };
        if list.items > 0 && !list.loose {
            self.need_blank = false;
        }
        list.items += 1;
        let marker = match &mut list.next {
            Some(n) => {
                let m = format!("{n}. ");
                *n = n.saturating_add(1);
                m
            }
            None => BULLETS
                .get(depth % BULLETS.len())
                .copied()
                .unwrap_or("• ")
                .to_string(),
        };
        let width = line_width(&[Span::raw(marker.as_str())]);
        self.containers.push(Container::Item {
            marker,
            width,
            fresh: true,
        });
    }

    fn end_link(&mut self, image: bool) {
        let Some(link) = self.links.pop() else { return };
        let text: String = self
            .inline
            .get(link.start..)
            .unwrap_or_default()
            .iter()
            .map(|s| s.content.as_ref())
            .collect();
        let same = text == link.url
            || link.url.strip_prefix("mailto:") == Some(text.as_str())
            || (image && link.url.is_empty());
        if link.show_url && !same && !link.url.is_empty() {
            let style = self.style().patch(self.theme.muted);
            self.text(&format!(" ({})", link.url), style);
        }
    }

    /// Base style of the current block with the inline patches applied.
    fn style(&self) -> Style {
        let mut style = match self.heading {
            Some(HeadingLevel::H1) => self.theme.heading.add_modifier(Modifier::UNDERLINED),
            Some(_) => self.theme.heading,
            None if self.in_quote() => self.theme.quote,
            None => self.theme.text,
        };
        for patch in &self.styles {
            style = style.patch(*patch);
        }
        style
    }

    fn in_quote(&self) -> bool {
        self.quote_depth() > 0
    }

    fn quote_depth(&self) -> usize {
        self.containers
            .iter()
            .filter(|c| matches!(c, Container::Quote))
            .count()
    }

    /// Ask for a blank line before the next block. It carries only the quote bars
    /// that both the finished block and the next one are inside.
    fn mark_blank(&mut self) {
        let depth = self.quote_depth();
        self.blank_quotes = if self.need_blank {
            self.blank_quotes.min(depth)
        } else {
            depth
        };
        self.need_blank = true;
    }

    fn text(&mut self, text: &str, style: Style) {
        push_styled(&mut self.inline, text, style);
    }

    /// Width left for content after the container prefixes (at least 1).
    fn avail(&self) -> usize {
        self.width.saturating_sub(self.prefix_width()).max(1)
    }

    fn prefix_width(&self) -> usize {
        self.containers
            .iter()
            .map(|c| match c {
                Container::Quote => 2,
                Container::Item { width, .. } => *width,
            })
            .sum()
    }

    /// Wrap and emit the pending inline content. `block` marks the end of a
    /// block that should be followed by a blank line (paragraphs, headings…);
    /// tight list item text is not.
    fn flush_inline(&mut self, block: bool) {
        if self.table.is_some() {
            return;
        }
        let spans = std::mem::take(&mut self.inline);
        let spans = trim_trailing_newlines(spans);
        if spans.is_empty() {
            return;
        }
        for line in wrap(&spans, self.avail()) {
            self.push_line(line.spans);
        }
        if block {
            self.mark_blank();
        }
    }

    fn end_code(&mut self) {
        let Some((lang, code)) = self.code.take() else {
            return;
        };
        for line in render_code(&code, &lang, self.avail(), self.theme, self.hl) {
            self.push_line(line);
        }
        self.mark_blank();
    }

    fn end_table(&mut self) {
        let Some(table) = self.table.take() else {
            return;
        };
        self.inline.clear();
        for line in table.render(self.avail(), self.theme) {
            self.push_line(line.spans);
        }
        self.mark_blank();
    }

    fn pop_container(&mut self) {
        // An item that never printed anything still shows its marker.
        if let Some(Container::Item { fresh: true, .. }) = self.containers.last() {
            self.push_line(Vec::new());
        }
        self.containers.pop();
    }

    /// Emit one content line with the container prefixes in front of it.
    fn push_line(&mut self, content: Vec<Span<'static>>) {
        if self.need_blank && !self.out.is_empty() {
            let mut blank = Vec::new();
            let depth = self.quote_depth().min(self.blank_quotes);
            for _ in 0..depth {
                push_styled(&mut blank, QUOTE_BAR, self.theme.quote);
            }
            self.out
                .push(fit_line(Line::from(trim_end(blank)), self.width));
        }
        self.need_blank = false;
        let mut prefix: Vec<Span<'static>> = Vec::new();
        for c in &mut self.containers {
            match c {
                Container::Quote => push_styled(&mut prefix, QUOTE_BAR, self.theme.quote),
                Container::Item {
                    marker,
                    width,
                    fresh,
                } => {
                    if *fresh {
                        push_styled(&mut prefix, marker, self.theme.accent);
                        *fresh = false;
                    } else {
                        push_styled(&mut prefix, &" ".repeat(*width), Style::default());
                    }
                }
            }
        }
        let content_w = line_width(&content);
        if line_width(&prefix) + content_w > self.width {
            truncate_spans(&mut prefix, self.width.saturating_sub(content_w));
        }
        let mut spans = prefix;
        spans.extend(content);
        if content_w == 0 {
            spans = trim_end(spans);
        }
        self.out.push(fit_line(Line::from(spans), self.width));
    }
}

fn heading_depth(level: HeadingLevel) -> usize {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}
