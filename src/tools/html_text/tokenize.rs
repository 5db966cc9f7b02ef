//! The tolerant tokenizer: text, tags with attributes, and the markup it skips.

use super::RAW_TEXT;

pub(super) enum Token<'a> {
    /// Text with character references still in it.
    Text(&'a str),
    /// CDATA section: literal text.
    Cdata(&'a str),
    Start(Tag<'a>),
    End(String),
}

/// A start tag: lower-cased name and the few attributes the renderer uses.
#[derive(Default)]
pub(super) struct Tag<'a> {
    pub(super) name: String,
    pub(super) self_closing: bool,
    pub(super) href: Option<&'a str>,
    pub(super) alt: Option<&'a str>,
    pub(super) start: Option<&'a str>,
}

impl<'a> Tag<'a> {
    /// Keeps the first value of an attribute the renderer needs, as browsers do.
    fn set_attr(&mut self, name: &str, value: &'a str) {
        let slot = if name.eq_ignore_ascii_case("href") {
            &mut self.href
        } else if name.eq_ignore_ascii_case("alt") {
            &mut self.alt
        } else if name.eq_ignore_ascii_case("start") {
            &mut self.start
        } else {
            return;
        };
        slot.get_or_insert(value);
    }
}

pub(super) struct Tokenizer<'a> {
    src: &'a str,
    pos: usize,
    /// Set after a raw-text start tag: the next token is its content.
    raw_text_of: Option<String>,
}

impl<'a> Tokenizer<'a> {
    pub(super) fn new(src: &'a str) -> Self {
        Tokenizer {
            src,
            pos: 0,
            raw_text_of: None,
        }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    /// Takes `len` bytes as a token's text.
    fn take(&mut self, len: usize) -> &'a str {
        let taken = self.rest().get(..len).unwrap_or("");
        self.pos += len;
        taken
    }
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if let Some(name) = self.raw_text_of.take() {
            let rest = self.rest();
            let len = find_close_tag(rest, &name).unwrap_or(rest.len());
            return Some(Token::Text(self.take(len)));
        }
        loop {
            let rest = self.rest();
            if rest.is_empty() {
                return None;
            }
            if !rest.starts_with('<') {
                let len = rest.find('<').unwrap_or(rest.len());
                return Some(Token::Text(self.take(len)));
            }
            // Input that ends inside a tag ends the document, as in browsers.
            let (token, used) = read_markup(rest)?;
            self.pos += used;
            if let Some(Token::Start(tag)) = &token
                && RAW_TEXT.contains(&tag.name.as_str())
            {
                self.raw_text_of = Some(tag.name.clone());
            }
            if token.is_some() {
                return token;
            }
        }
    }
}

/// Reads the markup at the start of `rest` (which starts with `<`): its token, if it has one,
/// and the bytes used. None when the input ends inside a tag.
fn read_markup(rest: &str) -> Option<(Option<Token<'_>>, usize)> {
    let bytes = rest.as_bytes();
    let literal = Some((Some(Token::Text("<")), 1));
    match bytes.get(1) {
        Some(b'!') if rest.starts_with("<!--") => Some((None, skip_past(rest, 2, "-->"))),
        Some(b'!') if rest.starts_with("<![CDATA[") => {
            let body = rest.get(9..).unwrap_or("");
            let text = body.get(..body.find("]]>").unwrap_or(body.len()));
            Some((
                Some(Token::Cdata(text.unwrap_or(""))),
                skip_past(rest, 9, "]]>"),
            ))
        }
        Some(b'!' | b'?') => Some((None, skip_past(rest, 2, ">"))),
        Some(b'/') => match bytes.get(2) {
            Some(c) if c.is_ascii_alphabetic() => {
                let (tag, used) = parse_tag(rest, 2)?;
                Some((Some(Token::End(tag.name)), used))
            }
            Some(_) => Some((None, skip_past(rest, 2, ">"))),
            None => literal,
        },
        Some(c) if c.is_ascii_alphabetic() => {
            let (tag, used) = parse_tag(rest, 1)?;
            Some((Some(Token::Start(tag)), used))
        }
        _ => literal,
    }
}

/// Bytes up to and including the first `end` at or after `from`, or all of `rest`.
fn skip_past(rest: &str, from: usize, end: &str) -> usize {
    rest.get(from..)
        .and_then(|r| r.find(end))
        .map_or(rest.len(), |i| from + i + end.len())
}

/// Parses a tag whose name starts at byte `start`; returns it and the bytes used, or None
/// when the input ends first. `>` inside a quoted attribute value does not end the tag.
fn parse_tag(rest: &str, start: usize) -> Option<(Tag<'_>, usize)> {
    let bytes = rest.as_bytes();
    let mut i = start;
    while bytes.get(i).is_some_and(|&c| !ends_name(c)) {
        i += 1;
    }
    let name = rest.get(start..i).unwrap_or("").to_ascii_lowercase();
    let mut tag = Tag {
        name,
        ..Tag::default()
    };
    loop {
        match *bytes.get(i)? {
            b'>' => return Some((tag, i + 1)),
            b'/' => {
                i += 1;
                tag.self_closing = bytes.get(i) == Some(&b'>');
            }
            c if is_space(c) => i += 1,
            _ => {
                let name_start = i;
                i += 1;
                while bytes.get(i).is_some_and(|&c| !ends_name(c) && c != b'=') {
                    i += 1;
                }
                let attr = rest.get(name_start..i).unwrap_or("");
                i = skip_spaces(bytes, i);
                let mut value = "";
                if bytes.get(i) == Some(&b'=') {
                    (value, i) = attr_value(rest, skip_spaces(bytes, i + 1))?;
                }
                tag.set_attr(attr, value);
            }
        }
    }
}

/// Reads a quoted or unquoted attribute value at byte `i`; returns it and where it ends.
fn attr_value(rest: &str, i: usize) -> Option<(&str, usize)> {
    let bytes = rest.as_bytes();
    if let Some(&quote @ (b'"' | b'\'')) = bytes.get(i) {
        let len = rest.get(i + 1..)?.find(char::from(quote))?;
        return Some((rest.get(i + 1..i + 1 + len).unwrap_or(""), i + len + 2));
    }
    let mut end = i;
    while bytes.get(end).is_some_and(|&c| !is_space(c) && c != b'>') {
        end += 1;
    }
    Some((rest.get(i..end).unwrap_or(""), end))
}

/// Where the close tag of raw-text element `name` starts in `rest`, if anywhere.
fn find_close_tag(rest: &str, name: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let mut from = 0;
    while let Some(found) = rest.get(from..)?.find("</") {
        let at = from + found;
        let name_end = at + 2 + name.len();
        let same_name = bytes
            .get(at + 2..name_end)
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()));
        if same_name && bytes.get(name_end).is_none_or(|&c| ends_name(c)) {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

fn skip_spaces(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|&c| is_space(c)) {
        i += 1;
    }
    i
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0C)
}

fn ends_name(c: u8) -> bool {
    is_space(c) || c == b'/' || c == b'>'
}
