//! Text hygiene shared by the runtime and every front end.

use std::borrow::Cow;

/// Whether `c` could make a terminal do something other than print: C0 controls except
/// newline and tab, DEL, and C1 controls (U+0080–U+009F, e.g. the 8-bit CSI).
fn is_terminal_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c)
}

/// Drop terminal control characters (escape sequences lose their ESC and become inert text).
/// Model output passes through this before it is stored, printed or drawn.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_terminal_control) {
        Cow::Owned(text.chars().filter(|c| !is_terminal_control(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// Remove ANSI escape sequences (colours, cursor moves, OSC titles) from program output, then
/// any remaining control characters. Tool output is shown and stored as plain text.
pub fn strip_ansi(text: &str) -> Cow<'_, str> {
    if !text.contains('\x1b') && !text.contains('\u{9b}') {
        return sanitize(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    // CSI: parameters and intermediates, then one final byte in @..~
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') | Some('P') | Some('_') | Some('^') => {
                    chars.next();
                    // OSC / DCS / APC / PM: until BEL or ESC \\
                    while let Some(c) = chars.next() {
                        if c == '\x07' {
                            break;
                        }
                        if c == '\x1b' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    // ESC, intermediate bytes (space to /), one final byte: e.g. ESC ( B
                    for c in chars.by_ref() {
                        if !(' '..='/').contains(&c) {
                            break;
                        }
                    }
                }
                None => {}
            },
            '\u{9b}' => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            '\r' => {}
            c if is_terminal_control(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_sequences_are_removed_whole() {
        assert_eq!(
            strip_ansi("\x1b[1;31merror\x1b[0m: x\x1b]0;title\x07 ok\r\n\x1b(B"),
            "error: x ok\n"
        );
        assert!(matches!(strip_ansi("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn escapes_are_defused() {
        assert_eq!(sanitize("a\x1b[2Jb\u{9b}c\x07\r\n\td"), "a[2Jbc\n\td");
        assert!(matches!(sanitize("plain ünïcode 🦀\n"), Cow::Borrowed(_)));
    }
}
