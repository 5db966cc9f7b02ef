//! Commands that run another command: the chain of forms a simple command is matched as.
//!
//! `nice -n 5 sudo -u bob /bin/rm -rf x` gives the forms `nice -n 5 sudo -u bob /bin/rm -rf x`,
//! `sudo -u bob /bin/rm -rf x`, `/bin/rm -rf x` and `rm -rf x`. Deny rules are tried on every
//! form; allow rules only on forms that run the same program with the same privileges as
//! written (not past `sudo`, an unsafe `VAR=…` or a stripped directory). `sh -c STR`, `su -c`,
//! `watch` give a nested line; `xargs CMD` and `find -exec CMD ;` give a separate command —
//! both must be allowed on their own.

use super::{Form, SimpleCommand, Word, flags::FlagWords};

pub(super) struct Unwrapped {
    pub(super) forms: Vec<Form>,
    pub(super) nested_lines: Vec<String>,
    pub(super) nested_commands: Vec<SimpleCommand>,
    pub(super) uncertain: Option<&'static str>,
}

/// Stands for the arguments `xargs` appends: only a wildcard in a pattern matches it.
const XARGS_ARGS: &str = "\u{E000}";

/// Assignments that cannot change which program runs or what it loads.
fn safe_assignment(text: &str) -> bool {
    let name = text.split('=').next().unwrap_or_default();
    matches!(
        name,
        "RUST_BACKTRACE"
            | "RUST_LOG"
            | "NO_COLOR"
            | "CLICOLOR"
            | "CLICOLOR_FORCE"
            | "FORCE_COLOR"
            | "TERM"
            | "COLUMNS"
            | "LINES"
            | "LANG"
            | "LANGUAGE"
            | "TZ"
            | "CI"
            | "CARGO_TERM_COLOR"
            | "PYTHONUNBUFFERED"
            | "PYTHONDONTWRITEBYTECODE"
            | "NODE_ENV"
            | "DEBUG"
            | "VERBOSE"
    ) || name.starts_with("LC_")
}

fn basename(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// What one wrapper does with the words after it.
enum Step {
    /// The wrapped command starts at this index; `transparent` when it runs with the same
    /// program lookup and privileges.
    Inner {
        at: usize,
        transparent: bool,
    },
    /// A string parsed as a command line (`sh -c STR`).
    Line(String),
    /// Commands run on their own (`xargs CMD`, `find -exec CMD ;`).
    Separate(Vec<Vec<Word>>),
    Leaf,
    /// Options not understood: skip every `-x` word and go on (deny only).
    Unknown,
}

/// Options of one wrapper: short letters without / with an argument, long names likewise.
struct Opts {
    short: &'static str,
    short_arg: &'static str,
    long: &'static [&'static str],
    long_arg: &'static [&'static str],
}

/// The index of the first word that is not an option; `None` on an unknown option.
fn skip_options(words: &[Word], opts: &Opts) -> Option<usize> {
    let mut i = 0;
    while let Some(word) = words.get(i) {
        let w = word.text.as_str();
        if w == "--" {
            return Some(i + 1);
        }
        if !w.starts_with('-') || w == "-" {
            return Some(i);
        }
        i += 1;
        if let Some(long) = w.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or_default();
            if opts.long_arg.contains(&name) {
                if !long.contains('=') {
                    i += 1;
                }
            } else if !opts.long.contains(&name) {
                return None;
            }
            continue;
        }
        for (at, c) in w.char_indices().skip(1) {
            if opts.short_arg.contains(c) {
                if at + c.len_utf8() == w.len() {
                    i += 1;
                }
                break;
            }
            if !opts.short.contains(c) {
                return None;
            }
        }
    }
    Some(i)
}

fn inner(words: &[Word], opts: &Opts, transparent: bool) -> Step {
    match skip_options(words, opts) {
        Some(at) => Step::Inner { at, transparent },
        None => Step::Unknown,
    }
}

const NO_OPTS: Opts = Opts {
    short: "",
    short_arg: "",
    long: &[],
    long_arg: &[],
};

/// The step for `program args…`.
fn step(program: &str, args: &[Word]) -> Step {
    match program {
        "env" => env_step(args),
        "nice" => {
            // `nice -5 cmd`: a dash and digits (any first character may be multi-byte).
            let numeric = args.first().is_some_and(|w| {
                w.text
                    .strip_prefix('-')
                    .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
            });
            if numeric {
                return Step::Inner {
                    at: 1,
                    transparent: true,
                };
            }
            let opts = Opts {
                short: "",
                short_arg: "n",
                long: &[],
                long_arg: &["adjustment"],
            };
            inner(args, &opts, true)
        }
        "timeout" => {
            let opts = Opts {
                short: "v",
                short_arg: "sk",
                long: &["preserve-status", "foreground", "verbose"],
                long_arg: &["signal", "kill-after"],
            };
            match skip_options(args, &opts) {
                Some(at) => Step::Inner {
                    at: at + 1,
                    transparent: true,
                },
                None => Step::Unknown,
            }
        }
        "nohup" | "builtin" => inner(args, &NO_OPTS, true),
        "command" => inner(
            args,
            &Opts {
                short: "pvV",
                ..NO_OPTS
            },
            true,
        ),
        "exec" => inner(
            args,
            &Opts {
                short: "cl",
                short_arg: "a",
                ..NO_OPTS
            },
            true,
        ),
        "stdbuf" => {
            let opts = Opts {
                short: "",
                short_arg: "ioe",
                long: &[],
                long_arg: &["input", "output", "error"],
            };
            inner(args, &opts, true)
        }
        "setsid" => inner(
            args,
            &Opts {
                short: "cfw",
                long: &["ctty", "fork", "wait"],
                ..NO_OPTS
            },
            true,
        ),
        "time" => {
            let opts = Opts {
                short: "pavq",
                short_arg: "fo",
                long: &["portability", "append", "verbose", "quiet"],
                long_arg: &["format", "output"],
            };
            inner(args, &opts, true)
        }
        "ionice" => inner(
            args,
            &Opts {
                short: "tu",
                short_arg: "cnp",
                ..NO_OPTS
            },
            true,
        ),
        "busybox" => Step::Inner {
            at: 0,
            transparent: true,
        },
        "sudo" => {
            let opts = Opts {
                short: "AbEHiKklnPSsVv",
                short_arg: "ugpCDhrtTUR",
                long: &[
                    "askpass",
                    "background",
                    "login",
                    "non-interactive",
                    "preserve-groups",
                    "shell",
                    "stdin",
                    "reset-timestamp",
                    "remove-timestamp",
                    "preserve-env",
                ],
                long_arg: &[
                    "user",
                    "group",
                    "prompt",
                    "close-from",
                    "chdir",
                    "role",
                    "type",
                    "command-timeout",
                    "other-user",
                    "host",
                    "chroot",
                ],
            };
            match after_assignments(args, &opts) {
                Step::Inner { at, .. } => Step::Inner {
                    at,
                    transparent: false,
                },
                other => other,
            }
        }
        "doas" => inner(
            args,
            &Opts {
                short: "Lns",
                short_arg: "uC",
                ..NO_OPTS
            },
            false,
        ),
        "pkexec" => inner(
            args,
            &Opts {
                long: &["disable-internal-agent", "keep-cwd"],
                long_arg: &["user"],
                ..NO_OPTS
            },
            false,
        ),
        "chroot" => match skip_options(
            args,
            &Opts {
                long_arg: &["userspec", "groups"],
                long: &["skip-chdir"],
                ..NO_OPTS
            },
        ) {
            Some(at) => Step::Inner {
                at: at + 1,
                transparent: false,
            },
            None => Step::Unknown,
        },
        "su" | "runuser" => dash_c(args).map_or(Step::Leaf, Step::Line),
        "sh" | "bash" | "zsh" | "dash" | "ksh" | "ash" | "mksh" | "yash" | "posh" => {
            shell_step(args)
        }
        "watch" => {
            let opts = Opts {
                short: "bcdeghtpx",
                short_arg: "nq",
                long: &[],
                long_arg: &["interval"],
            };
            match skip_options(args, &opts) {
                Some(at) if at < args.len() => Step::Line(join(&args[at..])),
                Some(_) => Step::Leaf,
                None => Step::Unknown,
            }
        }
        "eval" => Step::Line(join(args)),
        // A reserved word where a wrapper expects a program (`nice { …; }`): no such program;
        // read on past it so deny rules still see what follows.
        "{" | "}" | "!" | "if" | "then" | "do" => Step::Unknown,
        "xargs" => xargs_step(args),
        "find" => find_step(args),
        _ => Step::Leaf,
    }
}

fn join(words: &[Word]) -> String {
    words
        .iter()
        .map(|w| w.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn env_step(args: &[Word]) -> Step {
    let opts = Opts {
        short: "i0v",
        short_arg: "uCSP",
        long: &[
            "ignore-environment",
            "null",
            "debug",
            "block-signal",
            "default-signal",
            "ignore-signal",
            "list-signal-handling",
        ],
        long_arg: &["unset", "chdir", "split-string"],
    };
    let split = args.iter().position(|w| {
        w.text == "-S"
            || w.text.starts_with("--split-string")
            || (w.text.starts_with("-S") && !w.text.starts_with("--"))
    });
    if let Some(at) = split {
        let mut rest = args[at]
            .text
            .trim_start_matches("--split-string")
            .trim_start_matches("-S")
            .trim_start_matches('=')
            .to_string();
        let from = if rest.is_empty() { at + 1 } else { at };
        if rest.is_empty() {
            rest = args.get(at + 1).map(|w| w.text.clone()).unwrap_or_default();
        }
        let tail = args.get(from + 1..).map(join).unwrap_or_default();
        return Step::Line(format!("{rest} {tail}"));
    }
    let changes_lookup = args.iter().any(|w| {
        w.text.starts_with("-C") || w.text.starts_with("-P") || w.text.starts_with("--chdir")
    });
    match after_assignments(args, &opts) {
        Step::Inner { at, transparent } => Step::Inner {
            at,
            transparent: transparent && !changes_lookup,
        },
        other => other,
    }
}

/// Options, then `NAME=value` words, then the command (`env`, `sudo`).
fn after_assignments(args: &[Word], opts: &Opts) -> Step {
    let Some(mut at) = skip_options(args, opts) else {
        return Step::Unknown;
    };
    let mut transparent = true;
    while let Some(word) = args.get(at).filter(|w| w.assignment) {
        transparent &= safe_assignment(&word.text);
        at += 1;
    }
    Step::Inner { at, transparent }
}

/// The string after `-c` (also in clusters like `-lc`, `-ec`).
fn dash_c(args: &[Word]) -> Option<String> {
    let mut want_string = false;
    for word in args {
        if want_string && !word.text.starts_with('-') {
            return Some(word.text.clone());
        }
        let w = word.text.as_str();
        if w == "--command" || (w.starts_with('-') && !w.starts_with("--") && w.contains('c')) {
            want_string = true;
        } else if let Some(cmd) = w.strip_prefix("--command=") {
            return Some(cmd.to_string());
        } else if !w.starts_with('-') && !w.starts_with('+') && !want_string {
            // su USER -c …: keep looking past the user name.
            continue;
        }
    }
    None
}

fn shell_step(args: &[Word]) -> Step {
    if let Some(line) = dash_c(args) {
        return Step::Line(line);
    }
    let mut i = 0;
    while let Some(word) = args.get(i) {
        let w = word.text.as_str();
        if w == "--" {
            i += 1;
            break;
        }
        if !(w.starts_with('-') || w.starts_with('+')) || w == "-" {
            break;
        }
        if w.len() > 1 && w[1..].contains('s') && !w.starts_with("--") {
            return Step::Unknown;
        }
        i += if matches!(w, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
            2
        } else {
            1
        };
    }
    if i >= args.len() || args[i].text == "-" {
        // Commands come from standard input: nothing to check.
        return Step::Unknown;
    }
    Step::Leaf
}

fn xargs_step(args: &[Word]) -> Step {
    let opts = Opts {
        short: "0rtpxoiel",
        short_arg: "aEdILnPs",
        long: &[
            "null",
            "no-run-if-empty",
            "verbose",
            "interactive",
            "exit",
            "open-tty",
            "show-limits",
        ],
        long_arg: &[
            "arg-file",
            "delimiter",
            "max-lines",
            "max-args",
            "max-procs",
            "max-chars",
            "replace",
            "eof",
            "process-slot-var",
        ],
    };
    let Some(at) = skip_options(args, &opts) else {
        return Step::Unknown;
    };
    if at >= args.len() {
        return Step::Leaf;
    }
    let mut words = args[at..].to_vec();
    words.push(Word {
        text: XARGS_ARGS.to_string(),
        ..Word::default()
    });
    Step::Separate(vec![words])
}

fn find_step(args: &[Word]) -> Step {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        if matches!(
            args[i].text.as_str(),
            "-exec" | "-execdir" | "-ok" | "-okdir"
        ) {
            let start = i + 1;
            let mut end = start;
            while end < args.len() && !matches!(args[end].text.as_str(), ";" | "+") {
                end += 1;
            }
            if end > start {
                out.push(args[start..end].to_vec());
            }
            i = end;
        }
        i += 1;
    }
    if out.is_empty() {
        Step::Leaf
    } else {
        Step::Separate(out)
    }
}

/// `git -C dir -c k=v push …` → `git push …` (a deny-only form: `-c` can run anything).
fn git_without_globals(words: &[&str]) -> Option<Vec<String>> {
    if words.first().map(|w| basename(w)) != Some("git") {
        return None;
    }
    let mut i = 1;
    while let Some(w) = words.get(i) {
        if !w.starts_with('-') {
            break;
        }
        i += if matches!(
            *w,
            "-C" | "-c" | "--git-dir" | "--work-tree" | "--namespace" | "--config-env"
        ) {
            2
        } else {
            1
        };
    }
    (i > 1 && i < words.len()).then(|| {
        std::iter::once("git".to_string())
            .chain(words[i..].iter().map(|w| w.to_string()))
            .collect()
    })
}

fn make_form(words: &[&str], allow_ok: bool) -> Form {
    Form {
        text: words.join(" ").chars().collect(),
        flags: FlagWords::new(words),
        allow_ok,
    }
}

fn push_forms(words: &[Word], allow_ok: bool, forms: &mut Vec<Form>) {
    let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    forms.push(make_form(&texts, allow_ok));
    let program = basename(texts[0]);
    if program.len() != texts[0].len() && !program.is_empty() {
        let mut stripped = texts.clone();
        stripped[0] = program;
        forms.push(make_form(&stripped, false));
    }
    let mut base = texts;
    base[0] = program;
    if let Some(git) = git_without_globals(&base) {
        let refs: Vec<&str> = git.iter().map(String::as_str).collect();
        forms.push(make_form(&refs, false));
    }
}

/// How many wrappers are followed before giving up (uncertain).
const MAX_WRAPPERS: usize = 32;

pub(super) fn unwrap(command: &SimpleCommand) -> Unwrapped {
    let mut out = Unwrapped {
        forms: Vec::new(),
        nested_lines: Vec::new(),
        nested_commands: Vec::new(),
        uncertain: None,
    };
    let unsafe_assignment = command
        .assignments
        .iter()
        .any(|a| !safe_assignment(&a.text));
    if command.words.is_empty() {
        if unsafe_assignment {
            out.uncertain = Some("an assignment that changes later commands");
        }
        return out;
    }
    if !command.assignments.is_empty() {
        let all: Vec<Word> = command
            .assignments
            .iter()
            .chain(&command.words)
            .cloned()
            .collect();
        push_forms(&all, true, &mut out.forms);
    }
    let mut allow_ok = !unsafe_assignment;
    let mut words: &[Word] = &command.words;
    for _ in 0..MAX_WRAPPERS {
        let Some(first) = words.first() else {
            return out;
        };
        if first.glob {
            out.uncertain.get_or_insert("a pattern in command position");
        }
        push_forms(words, allow_ok, &mut out.forms);
        let args = &words[1..];
        if first.assignment {
            // `nohup FOO=1 rm …` runs a program named `FOO=1`; read on past it (deny only).
            allow_ok = false;
            words = args;
            continue;
        }
        match step(basename(&first.text), args) {
            Step::Inner { at, transparent } => {
                allow_ok &= transparent;
                words = args.get(at..).unwrap_or_default();
            }
            Step::Line(line) => {
                out.nested_lines.push(line);
                return out;
            }
            Step::Separate(commands) => {
                out.nested_commands
                    .extend(commands.into_iter().map(|words| SimpleCommand {
                        words,
                        ..SimpleCommand::default()
                    }));
                return out;
            }
            Step::Leaf => return out,
            Step::Unknown => {
                out.uncertain
                    .get_or_insert("a wrapper option not understood");
                let at = args
                    .iter()
                    .position(|w| !w.text.starts_with('-'))
                    .unwrap_or(args.len());
                allow_ok = false;
                words = &args[at..];
            }
        }
    }
    out.uncertain.get_or_insert("too many wrappers");
    out
}
