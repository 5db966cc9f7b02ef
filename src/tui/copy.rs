//! `/copy`: the last reply's last code block (or the whole reply when it has none) as its
//! source text — no margin, no wrapping — for the clipboard (OSC 52, `Effect::Copy`).

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::cells::CellKind;
use super::transcript::Transcript;

/// The code blocks of a Markdown text, in order, as written (indentation kept).
pub fn code_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => current = Some(String::new()),
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            Event::Text(text) => {
                if let Some(block) = current.as_mut() {
                    block.push_str(&text);
                }
            }
            _ => {}
        }
    }
    blocks
}

/// What `/copy` copies: the last code block of the newest reply, else that reply whole.
pub fn copy_text(transcript: &Transcript) -> Option<String> {
    let reply = transcript.cells.iter().rev().find_map(|c| match &c.kind {
        CellKind::Assistant { text, .. } if !text.trim().is_empty() => Some(text),
        _ => None,
    })?;
    Some(code_blocks(reply).pop().unwrap_or_else(|| reply.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(text: &str) -> Transcript {
        let mut t = Transcript::default();
        t.push(CellKind::Assistant {
            turn_id: None,
            text: text.into(),
            streaming: false,
            interrupted: false,
        });
        t
    }

    #[test]
    fn the_last_code_block_is_copied_as_written() {
        let long = format!("    call({});", "x".repeat(200));
        let t = reply(&format!(
            "First:\n\n```sh\nls\n```\n\nThen:\n\n```rust\nfn f() {{\n{long}\n}}\n```\n"
        ));
        assert_eq!(copy_text(&t).unwrap(), format!("fn f() {{\n{long}\n}}\n"));
    }

    #[test]
    fn a_reply_without_code_is_copied_whole_and_nothing_without_a_reply() {
        assert_eq!(copy_text(&reply("just text")).unwrap(), "just text");
        assert_eq!(copy_text(&Transcript::default()), None);
    }
}
