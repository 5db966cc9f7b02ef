//! Running the user's editor on a file while the TUI is suspended.

use std::process::Command;

/// `$VISUAL`, else `$EDITOR`, else `vi` (words split on spaces, so `code -w` works).
fn editor_command() -> Vec<String> {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .find(|words| !words.is_empty())
        .unwrap_or_else(|| vec!["vi".to_string()])
}

/// Open `path` and wait for the editor to exit. The error says what to set.
pub fn open(path: &str) -> Result<(), String> {
    let words = editor_command();
    let Some((program, args)) = words.split_first() else {
        return Err("no editor: set $VISUAL or $EDITOR".into());
    };
    match Command::new(program).args(args).arg(path).status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("the editor `{program}` exited with {status}")),
        Err(e) => Err(format!(
            "cannot start the editor `{program}`: {e} — set $VISUAL or $EDITOR to your editor"
        )),
    }
}
