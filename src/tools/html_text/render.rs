//! Tokens to text: blocks, lists, quotes, tables, links and `<pre>`.

use super::decode_entities;
use super::tokenize::{Tag, Token};
use super::{
    BLOCKS, IN_HEAD, MAX_LEVELS, MAX_TITLE, PARAGRAPHS, RAW_TEXT, SKIPPED, clean_text,
    heading_level, is_collapsible, is_unsafe_control, link_target, same_target, tidy,
};

/// Containers that prefix the lines inside them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Quote,
    List,
    Dl,
    Dd,
}

impl Kind {
    fn indent(self) -> &'static str {
        match self {
            Kind::Quote => "> ",
            Kind::Dl => "",
            Kind::List | Kind::Dd => "  ",
        }
    }
}

struct Container {
    kind: Kind,
    ordered: bool,
    /// The number of the next `<li>` of an ordered list.
    next: i64,
}

#[derive(Default)]
struct TableRow {
    cells: usize,
    in_cell: bool,
}

struct Link {
    href: String,
    /// Where the link's text starts in the output, once it has any.
    text_start: Option<usize>,
}

#[derive(Default)]
pub(super) struct Renderer {
    out: String,
    title: Option<String>,
    /// Some while inside `<title>`.
    title_buf: Option<String>,
    /// The element whose content is being skipped and how deep in same-named ones we are.
    skip: Option<(String, usize)>,
    stack: Vec<Container>,
    /// Open containers of each kind, so closing a kind that is not open costs nothing.
    open: [usize; 4],
    /// The line prefix the open containers give, capped at `MAX_LEVELS`.
    prefix: String,
    tables: Vec<TableRow>,
    /// Newlines wanted before the next content: 1 ends the line, 2 leaves a blank line.
    pending_breaks: u8,
    pending_space: bool,
    at_line_start: bool,
    /// List marker, heading hashes and opening backtick, written with the next content.
    pending_item: Option<String>,
    pending_heading: usize,
    pending_code: bool,
    code_open: bool,
    code_depth: usize,
    pre_depth: usize,
    /// Just after `<pre>`, whose first newline is dropped.
    pre_fresh: bool,
    link: Option<Link>,
    /// A `</a>` with no content after it yet.
    link_just_closed: bool,
    scratch: String,
}

impl Renderer {
    pub(super) fn new(capacity: usize) -> Renderer {
        Renderer {
            out: String::with_capacity(capacity),
            at_line_start: true,
            ..Renderer::default()
        }
    }

    pub(super) fn token(&mut self, token: Token) {
        match token {
            Token::Text(text) => self.text(text, true),
            Token::Cdata(text) => self.text(text, false),
            Token::Start(tag) => self.start(&tag),
            Token::End(name) => self.end(&name),
        }
    }

    fn start(&mut self, tag: &Tag) {
        let name = tag.name.as_str();
        if let Some((skipped, depth)) = &mut self.skip {
            let in_head = skipped == "head";
            if !in_head || IN_HEAD.contains(&name) {
                if skipped.as_str() == name && !tag.self_closing {
                    *depth += 1;
                } else if in_head && name == "title" {
                    self.open_title();
                }
                return;
            }
            // Anything else starts the body, as in browsers (`</head>` and `<body>` are optional).
            self.skip = None;
        }
        let heading = heading_level(name);
        match name {
            "title" => self.open_title(),
            // `<svg/>` has no content to skip; `<script/>` still starts raw text.
            _ if SKIPPED.contains(&name) && (!tag.self_closing || RAW_TEXT.contains(&name)) => {
                self.skip = Some((name.to_string(), 1));
            }
            "br" => self.line_break(),
            "hr" => {
                self.para_break();
                self.begin_content();
                self.out.push_str("---");
                self.para_break();
            }
            "li" => self.start_item(),
            "ul" | "ol" => {
                let start = tag.start.and_then(|s| s.trim().parse().ok());
                self.open_block(Kind::List, name == "ol", start.unwrap_or(1));
            }
            "blockquote" => self.open_block(Kind::Quote, false, 1),
            "dl" => self.open_block(Kind::Dl, false, 1),
            "dt" | "dd" => {
                if self.stack.last().is_some_and(|c| c.kind == Kind::Dd) {
                    self.pop();
                }
                self.block_break(1);
                if name == "dd" {
                    self.push(Container {
                        kind: Kind::Dd,
                        ordered: false,
                        next: 1,
                    });
                }
            }
            "pre" => {
                self.para_break();
                self.pre_depth += 1;
                self.pre_fresh = true;
            }
            "table" => {
                self.para_break();
                self.tables.push(TableRow::default());
            }
            "tr" => {
                if let Some(row) = self.tables.last_mut() {
                    *row = TableRow::default();
                }
                self.block_break(1);
            }
            "td" | "th" => self.start_cell(),
            "a" => {
                self.close_link();
                // Menus of back-to-back links are blocks in the page's CSS; keep them apart.
                self.pending_space |= self.link_just_closed;
                let href = tag.href.and_then(link_target);
                self.link = href.map(|href| Link {
                    href,
                    text_start: None,
                });
            }
            "img" => self.image(tag.alt.unwrap_or("")),
            "code" => {
                self.code_depth += 1;
                if self.code_depth == 1 {
                    self.pending_code = self.pre_depth == 0;
                }
            }
            _ if heading > 0 => {
                self.para_break();
                self.pending_heading = heading;
            }
            _ if PARAGRAPHS.contains(&name) => self.para_break(),
            _ if BLOCKS.contains(&name) => self.block_break(1),
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        if name == "title" && self.title_buf.is_some() {
            self.close_title();
            return;
        }
        if let Some((skipped, depth)) = &mut self.skip {
            if skipped.as_str() == name {
                *depth = depth.saturating_sub(1);
                if *depth == 0 {
                    self.skip = None;
                }
            }
            return;
        }
        match name {
            "br" => self.line_break(),
            "li" => {
                self.pending_item = None;
                self.block_break(1);
            }
            "ul" | "ol" => self.close_block(Kind::List),
            "blockquote" => self.close_block(Kind::Quote),
            "dl" => self.close_block(Kind::Dl),
            "dd" => {
                self.close_to(Kind::Dd);
                self.block_break(1);
            }
            "pre" => {
                self.pre_depth = self.pre_depth.saturating_sub(1);
                self.pre_fresh = false;
                self.para_break();
            }
            "table" => {
                self.tables.pop();
                self.para_break();
            }
            "tr" | "td" | "th" => {
                if let Some(row) = self.tables.last_mut() {
                    row.in_cell = false;
                }
                if name == "tr" {
                    self.block_break(1);
                }
            }
            "a" => {
                self.close_link();
                self.link_just_closed = true;
            }
            "code" => self.end_code(),
            _ if heading_level(name) > 0 => {
                self.pending_heading = 0;
                self.para_break();
            }
            _ if PARAGRAPHS.contains(&name) => self.para_break(),
            _ if BLOCKS.contains(&name) => self.block_break(1),
            _ => {}
        }
    }

    fn text(&mut self, raw: &str, decode: bool) {
        if let Some(title) = &mut self.title_buf {
            title.push_str(raw);
            return;
        }
        if self.skip.is_some() || raw.is_empty() {
            return;
        }
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        if decode {
            decode_entities(raw, &mut text);
        } else {
            text.push_str(raw);
        }
        if self.pre_depth > 0 {
            self.pre_text(&text);
        } else {
            self.flow_text(&text);
        }
        self.scratch = text;
    }

    /// Normal text: whitespace runs become one space.
    fn flow_text(&mut self, text: &str) {
        for c in text.chars() {
            if is_collapsible(c) {
                self.pending_space = true;
            } else if !is_unsafe_control(c) {
                self.begin_content();
                self.out.push(c);
            }
        }
    }

    /// `<pre>` text: kept as it is, line ends normalised to `\n`.
    fn pre_text(&mut self, text: &str) {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\n' || c == '\r' {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    continue;
                }
                if !std::mem::take(&mut self.pre_fresh) {
                    self.flush_breaks();
                    self.out.push('\n');
                    self.at_line_start = true;
                }
            } else if !is_unsafe_control(c) {
                self.pre_fresh = false;
                self.begin_content();
                self.out.push(if c == '\u{a0}' { ' ' } else { c });
            }
        }
    }

    /// Writes what must come before the next piece of content: line breaks, the line prefix
    /// or a space, then any pending list marker, heading hashes or backtick.
    fn begin_content(&mut self) {
        self.flush_breaks();
        if self.at_line_start {
            let mut prefix = self.prefix.as_str();
            if self.pending_item.is_some()
                && self.stack.last().is_some_and(|c| c.kind == Kind::List)
            {
                // The marker takes the place of the item's own indentation.
                prefix = prefix.strip_suffix("  ").unwrap_or(prefix);
            }
            self.out.push_str(prefix);
            self.at_line_start = false;
            self.pending_space = false;
        } else if std::mem::take(&mut self.pending_space) {
            self.out.push(' ');
        }
        if let Some(marker) = self.pending_item.take() {
            self.out.push_str(&marker);
        }
        if self.pending_heading > 0 {
            self.out.push_str(&"#".repeat(self.pending_heading));
            self.out.push(' ');
            self.pending_heading = 0;
        }
        if std::mem::take(&mut self.pending_code) {
            self.out.push('`');
            self.code_open = true;
        }
        self.link_just_closed = false;
        if let Some(link) = &mut self.link
            && link.text_start.is_none()
        {
            link.text_start = Some(self.out.len());
        }
    }

    /// Ends the line (and leaves a blank one) as the pending breaks ask, counting newlines
    /// already written.
    fn flush_breaks(&mut self) {
        let wanted = std::mem::take(&mut self.pending_breaks);
        if wanted == 0 || self.out.is_empty() {
            return;
        }
        let have = if self.out.ends_with("\n\n") {
            2
        } else {
            u8::from(self.out.ends_with('\n'))
        };
        for _ in have..wanted {
            self.out.push('\n');
        }
        self.at_line_start = true;
    }

    fn in_cell(&self) -> bool {
        self.tables.last().is_some_and(|row| row.in_cell)
    }

    /// Asks for `lines` newlines before the next content; inside a table cell, a space.
    fn block_break(&mut self, lines: u8) {
        if self.in_cell() {
            self.pending_space = true;
        } else {
            self.pending_breaks = self.pending_breaks.max(lines);
        }
    }

    /// A blank line, or a line break inside a list to keep lists compact.
    fn para_break(&mut self) {
        let in_list = self.open.get(Kind::List as usize).is_some_and(|&n| n > 0);
        self.block_break(if in_list { 1 } else { 2 });
    }

    /// `<br>`: one more newline, at most one blank line.
    fn line_break(&mut self) {
        if self.in_cell() {
            self.pending_space = true;
        } else {
            self.pending_breaks = (self.pending_breaks + 1).min(2);
        }
    }

    fn start_item(&mut self) {
        self.block_break(1);
        let marker = match self.stack.last_mut() {
            Some(list) if list.kind == Kind::List && list.ordered => {
                let marker = format!("{}. ", list.next);
                list.next = list.next.saturating_add(1);
                marker
            }
            _ => "- ".to_string(),
        };
        self.pending_item = Some(marker);
    }

    fn start_cell(&mut self) {
        let Some(row) = self.tables.last_mut() else {
            return;
        };
        let separate = row.cells > 0;
        row.cells += 1;
        row.in_cell = true;
        if separate {
            self.pending_space = true;
            self.begin_content();
            self.out.push('|');
            self.pending_space = true;
        }
    }

    fn image(&mut self, alt: &str) {
        let alt = clean_text(alt);
        if !alt.is_empty() {
            self.begin_content();
            self.out.push_str("[image: ");
            self.out.push_str(&alt);
            self.out.push(']');
        }
    }

    /// Appends ` (URL)` after the link's text unless the text is empty or is the URL.
    fn close_link(&mut self) {
        let Some(Link {
            href,
            text_start: Some(start),
        }) = self.link.take()
        else {
            return;
        };
        let text = self.out.get(start..).unwrap_or("").trim();
        if !text.is_empty() && !same_target(text, &href) {
            self.out.push_str(" (");
            self.out.push_str(&href);
            self.out.push(')');
        }
    }

    fn end_code(&mut self) {
        if self.code_depth == 0 {
            return;
        }
        self.code_depth -= 1;
        if self.code_depth == 0 && !std::mem::take(&mut self.pending_code) && self.code_open {
            self.out.push('`');
            self.code_open = false;
        }
    }

    /// Starts collecting the title if there is none yet; a later `<title>` is skipped.
    fn open_title(&mut self) {
        if self.title.is_none() && self.title_buf.is_none() {
            self.title_buf = Some(String::new());
        } else if self.skip.is_none() {
            self.skip = Some(("title".to_string(), 1));
        }
    }

    fn close_title(&mut self) {
        let Some(raw) = self.title_buf.take() else {
            return;
        };
        let mut title = clean_text(&raw);
        if let Some((cut, _)) = title.char_indices().nth(MAX_TITLE) {
            title.truncate(cut);
            title.push('…');
        }
        if !title.is_empty() {
            self.title = Some(title);
        }
    }

    fn open_block(&mut self, kind: Kind, ordered: bool, next: i64) {
        self.para_break();
        self.push(Container {
            kind,
            ordered,
            next,
        });
    }

    fn push(&mut self, container: Container) {
        if let Some(open) = self.open.get_mut(container.kind as usize) {
            *open += 1;
        }
        self.stack.push(container);
        self.refresh_prefix();
    }

    fn pop(&mut self) -> Option<Kind> {
        let kind = self.stack.pop()?.kind;
        if let Some(open) = self.open.get_mut(kind as usize) {
            *open = open.saturating_sub(1);
        }
        self.refresh_prefix();
        Some(kind)
    }

    /// Closes the innermost open `kind` and everything opened inside it, if one is open.
    fn close_to(&mut self, kind: Kind) {
        if self.open.get(kind as usize).is_some_and(|&n| n > 0) {
            while self.pop().is_some_and(|popped| popped != kind) {}
        }
    }

    fn close_block(&mut self, kind: Kind) {
        self.close_to(kind);
        self.para_break();
    }

    fn refresh_prefix(&mut self) {
        self.prefix.clear();
        for container in self.stack.iter().take(MAX_LEVELS) {
            self.prefix.push_str(container.kind.indent());
        }
    }

    pub(super) fn finish(mut self) -> String {
        self.close_title();
        self.close_link();
        if self.code_open {
            self.out.push('`');
        }
        tidy(&self.out, self.title.as_deref())
    }
}
