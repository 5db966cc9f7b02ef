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

/// The arguments after the editor's own words that open `path` at `line` where the editor
/// has a way to say it: `+LINE FILE` (vi, vim, nvim, nano, emacs, micro, kak, joe, …),
/// `-g FILE:LINE` (VS Code and its forks), `FILE:LINE` (helix, zed, subl). Unknown editors
/// get the file alone: opening at the top beats failing.
fn file_args(program: &str, path: &str, line: Option<u32>) -> Vec<String> {
    let Some(line) = line.filter(|&l| l > 0) else {
        return vec![path.to_string()];
    };
    let name = program.rsplit('/').next().unwrap_or(program);
    match name {
        "vi" | "vim" | "nvim" | "gvim" | "view" | "nano" | "pico" | "emacs" | "emacsclient"
        | "micro" | "kak" | "joe" | "jed" | "mg" | "ne" | "vis" | "mcedit" => {
            vec![format!("+{line}"), path.to_string()]
        }
        "code" | "code-insiders" | "codium" | "cursor" | "windsurf" => {
            vec!["-g".to_string(), format!("{path}:{line}")]
        }
        "hx" | "helix" | "zed" | "subl" => vec![format!("{path}:{line}")],
        _ => vec![path.to_string()],
    }
}

/// Open `path` (at `line` when the editor supports it) and wait for the editor to exit.
/// The error says what to set.
pub fn open_at(path: &str, line: Option<u32>) -> Result<(), String> {
    let words = editor_command();
    let Some((program, args)) = words.split_first() else {
        return Err("no editor: set $VISUAL or $EDITOR".into());
    };
    match Command::new(program)
        .args(args)
        .args(file_args(program, path, line))
        .status()
    {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("the editor `{program}` exited with {status}")),
        Err(e) => Err(format!(
            "cannot start the editor `{program}`: {e} — set $VISUAL or $EDITOR to your editor"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::file_args;

    #[test]
    fn editors_get_the_line_the_way_they_take_it() {
        let f = "/m/MEMORY.md";
        let cases: &[(&str, Option<u32>, &[&str])] = &[
            ("vim", Some(12), &["+12", f]),
            ("/usr/bin/nvim", Some(3), &["+3", f]),
            ("nano", Some(1), &["+1", f]),
            ("emacsclient", Some(7), &["+7", f]),
            ("code", Some(5), &["-g", "/m/MEMORY.md:5"]),
            ("hx", Some(9), &["/m/MEMORY.md:9"]),
            ("ed", Some(4), &[f]),
            ("vim", None, &[f]),
            ("vim", Some(0), &[f]),
        ];
        for (program, line, want) in cases {
            assert_eq!(file_args(program, f, *line), *want, "{program} {line:?}");
        }
    }
}
