//! Everything that leaves the UI: one `Effect` type on one queue (`App::effects`), drained by
//! the event loop in `tui/mod.rs`. Key handlers, the reducer and the panes only push here;
//! nothing else sends ops to the runtime, quits, suspends or touches the terminal.

use crate::protocol::Op;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// An op for the runtime.
    Op(Op),
    /// Leave: the loop stops, the runtime is shut down, the terminal restored.
    Quit,
    /// Ctrl+Z: hand the terminal back to the shell until `fg`.
    Suspend,
    /// Open this file in `$VISUAL` / `$EDITOR` with the screen suspended.
    Edit(String),
    /// The same, at a line (editors that take one: `+LINE`, `FILE:LINE`).
    EditAt(String, u32),
    /// Edit the prompt's draft file (Ctrl+G); the composer takes its text back afterwards.
    EditPrompt(std::path::PathBuf),
    /// Put this text on the terminal's clipboard (OSC 52).
    Copy(String),
}

/// The queue of effects, oldest first.
#[derive(Debug, Default)]
pub struct Effects {
    queue: Vec<Effect>,
}

impl Effects {
    pub fn push(&mut self, effect: Effect) {
        self.queue.push(effect);
    }

    pub fn ops(&mut self, ops: impl IntoIterator<Item = Op>) {
        self.queue.extend(ops.into_iter().map(Effect::Op));
    }

    /// Everything queued so far, oldest first; the queue is empty afterwards.
    pub fn drain(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.queue)
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Test helper: only the ops, dropping the other effects.
    #[cfg(test)]
    pub fn take_ops(&mut self) -> Vec<Op> {
        self.drain()
            .into_iter()
            .filter_map(|e| match e {
                Effect::Op(op) => Some(op),
                _ => None,
            })
            .collect()
    }
}

/// The OSC 52 sequence that sets the clipboard to `text` (xterm, kitty, iTerm2, WezTerm,
/// Windows Terminal, foot; tmux passes it on with `set-clipboard on`).
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{encoded}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_encodes_the_text_whole() {
        assert_eq!(
            osc52("fn main() {}\n"),
            "\x1b]52;c;Zm4gbWFpbigpIHt9Cg==\x07"
        );
    }

    #[test]
    fn drain_keeps_order_and_empties() {
        let mut e = Effects::default();
        e.ops([Op::Interrupt]);
        e.push(Effect::Quit);
        assert_eq!(e.drain(), vec![Effect::Op(Op::Interrupt), Effect::Quit]);
        assert!(e.is_empty());
    }
}
