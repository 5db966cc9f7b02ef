//! What a shell would run: a small parser for the POSIX subset model-written commands use, the
//! wrappers that run another command (`env`, `sudo`, `xargs`, `sh -c`, …) and per-command flag
//! spellings (`-rf` = `-r -f` = `--recursive --force`).
//!
//! The parser is our own (no crate): the subset is small, and what matters for the gate is
//! knowing *when not to trust it*. Anything it cannot reproduce with certainty — here-documents,
//! `eval`, control structures, functions, arithmetic, process substitution, brace expansion,
//! `$'…'`, a glob or expansion in command position, unbalanced quotes — sets
//! [`ParsedLine::uncertain`], and an uncertain line is never allowed by a rule that uses
//! wildcards. Parameter expansions and command substitutions anywhere in a command also make it
//! uncertain: their values are unknown, so a deny rule could not be checked against them (the
//! commands inside substitutions are still parsed and checked against deny rules).

mod flags;
mod parser;
mod unwrap;

pub(crate) use flags::{FlagPattern, FlagWords};

/// One word after quote removal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Word {
    /// The value; expansions keep their source text (`$HOME`, `$(id)`).
    pub(crate) text: String,
    /// Holds a parameter expansion or command substitution (value unknown).
    pub(crate) expansion: bool,
    /// Holds an unquoted `*`, `?` or `[` (pathname expansion).
    pub(crate) glob: bool,
    /// An unquoted `NAME=` prefix: an assignment when it precedes the command.
    pub(crate) assignment: bool,
}

/// One simple command as written: assignments, then words; redirections are noted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SimpleCommand {
    pub(crate) assignments: Vec<Word>,
    pub(crate) words: Vec<Word>,
    /// Has a redirection (`>`, `>>`, `<`, `2>&1`, …).
    pub(crate) redirect: bool,
}

/// A command line parsed into the simple commands it runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParsedLine {
    /// Every simple command: in lists, pipelines, subshells, groups and substitutions.
    pub(crate) commands: Vec<SimpleCommand>,
    /// Why the parse cannot be trusted to allow anything; `None` when it can.
    pub(crate) uncertain: Option<&'static str>,
}

/// One way to read a simple command for matching: the words as written, or with wrappers,
/// assignments, program directories or `git` global options removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Form {
    /// The words joined by single spaces.
    pub(crate) text: Vec<char>,
    /// The words themselves (for flag-aware matching).
    pub(crate) flags: Option<FlagWords>,
    /// Whether an allow rule may match this form. Forms that drop something that changes what
    /// runs (`sudo`, `PATH=…`, `/tmp/x/git` → `git`, `git -c …`) are for deny rules only.
    pub(crate) allow_ok: bool,
}

/// The commands of a line, each as its chain of forms.
#[derive(Debug, Clone, Default)]
pub(crate) struct Analysis {
    /// One entry per command the line would run (substitutions, `sh -c`, `xargs` and
    /// `find -exec` targets included); every one must be allowed for the line to be allowed.
    pub(crate) commands: Vec<CommandForms>,
    pub(crate) uncertain: Option<&'static str>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CommandForms {
    pub(crate) forms: Vec<Form>,
    /// A redirection: only a pattern that spells the line out can allow it.
    pub(crate) redirect: bool,
}

/// How deep `sh -c "sh -c '…'"` nesting is followed before giving up (uncertain).
const MAX_DEPTH: usize = 8;

/// Parses `line` and unwraps every command it runs.
pub(crate) fn analyze(line: &str) -> Analysis {
    let mut out = Analysis::default();
    analyze_into(line, 0, &mut out);
    out
}

fn analyze_into(line: &str, depth: usize, out: &mut Analysis) {
    if depth > MAX_DEPTH {
        out.uncertain.get_or_insert("commands nested too deeply");
        return;
    }
    let parsed = parser::parse(line);
    if let Some(reason) = parsed.uncertain {
        out.uncertain.get_or_insert(reason);
    }
    for command in parsed.commands {
        add_command(&command, depth, out);
    }
}

fn add_command(command: &SimpleCommand, depth: usize, out: &mut Analysis) {
    if depth > MAX_DEPTH {
        out.uncertain.get_or_insert("commands nested too deeply");
        return;
    }
    let unwrapped = unwrap::unwrap(command);
    if let Some(reason) = unwrapped.uncertain {
        out.uncertain.get_or_insert(reason);
    }
    out.commands.push(CommandForms {
        forms: unwrapped.forms,
        redirect: command.redirect,
    });
    for line in unwrapped.nested_lines {
        analyze_into(&line, depth + 1, out);
    }
    for nested in unwrapped.nested_commands {
        add_command(&nested, depth + 1, out);
    }
}

#[cfg(test)]
mod tests;
