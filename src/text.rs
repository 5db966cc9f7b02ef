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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_defused() {
        assert_eq!(sanitize("a\x1b[2Jb\u{9b}c\x07\r\n\td"), "a[2Jbc\n\td");
        assert!(matches!(sanitize("plain ünïcode 🦀\n"), Cow::Borrowed(_)));
    }
}
