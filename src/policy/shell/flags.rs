//! Flag spellings of the common destructive commands: `rm -rf`, `rm -fr`, `rm -r -f`,
//! `rm --recursive --force` and `rm -Rf` are one flag set. A rule naming such a command with
//! flags (`rm -rf *`) is matched on the *set* of flags plus the operands, so every spelling and
//! every order (GNU tools accept options after operands) matches.

use crate::policy::command::Wildcard;

/// How one command spells its flags.
struct Spec {
    program: &'static str,
    /// `git push`: the subcommand that must follow the program.
    sub: Option<&'static str>,
    /// Spelling → canonical flags (space-separated when one spelling means several).
    aliases: &'static [(&'static str, &'static str)],
    /// Short options that take an argument (`git push -o X`).
    short_with_arg: &'static str,
    /// Long options that take an argument (`chmod --reference FILE`).
    long_with_arg: &'static [&'static str],
}

const SPECS: &[Spec] = &[
    Spec {
        program: "rm",
        sub: None,
        aliases: &[
            ("-R", "-r"),
            ("--recursive", "-r"),
            ("--force", "-f"),
            ("--dir", "-d"),
            ("--verbose", "-v"),
        ],
        short_with_arg: "",
        long_with_arg: &[],
    },
    Spec {
        program: "chmod",
        sub: None,
        aliases: &[
            ("--recursive", "-R"),
            ("--verbose", "-v"),
            ("--changes", "-c"),
            ("--silent", "-f"),
            ("--quiet", "-f"),
        ],
        short_with_arg: "",
        long_with_arg: &["reference"],
    },
    Spec {
        program: "chown",
        sub: None,
        aliases: CHOWN_ALIASES,
        short_with_arg: "",
        long_with_arg: &["reference", "from"],
    },
    Spec {
        program: "chgrp",
        sub: None,
        aliases: CHOWN_ALIASES,
        short_with_arg: "",
        long_with_arg: &["reference"],
    },
    Spec {
        program: "git",
        sub: Some("push"),
        aliases: &[
            ("--force", "-f"),
            ("--delete", "-d"),
            ("--verbose", "-v"),
            ("--quiet", "-q"),
            ("--set-upstream", "-u"),
            ("--dry-run", "-n"),
        ],
        short_with_arg: "o",
        long_with_arg: &["repo", "push-option", "receive-pack", "exec"],
    },
    Spec {
        program: "git",
        sub: Some("reset"),
        aliases: &[("--quiet", "-q")],
        short_with_arg: "",
        long_with_arg: &[],
    },
    Spec {
        program: "git",
        sub: Some("clean"),
        aliases: &[
            ("--force", "-f"),
            ("--dry-run", "-n"),
            ("--quiet", "-q"),
            ("--interactive", "-i"),
        ],
        short_with_arg: "e",
        long_with_arg: &["exclude"],
    },
    Spec {
        program: "git",
        sub: Some("checkout"),
        aliases: &[("--force", "-f"), ("--quiet", "-q")],
        short_with_arg: "bB",
        long_with_arg: &[],
    },
    Spec {
        program: "git",
        sub: Some("branch"),
        aliases: &[("--delete", "-d"), ("--force", "-f"), ("-D", "-d -f")],
        short_with_arg: "",
        long_with_arg: &[],
    },
];

const CHOWN_ALIASES: &[(&str, &str)] = &[
    ("--recursive", "-R"),
    ("--verbose", "-v"),
    ("--changes", "-c"),
    ("--silent", "-f"),
    ("--quiet", "-f"),
    ("--no-dereference", "-h"),
];

fn spec_for(program: &str, sub: Option<&str>) -> Option<(&'static Spec, usize)> {
    SPECS.iter().find_map(|s| match s.sub {
        None if s.program == program => Some((s, 1)),
        Some(want) if s.program == program && sub == Some(want) => Some((s, 2)),
        _ => None,
    })
}

/// A command's flags as a canonical set, and its operands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FlagWords {
    key: &'static str,
    sub: Option<&'static str>,
    /// Sorted, deduplicated canonical flags (`-f`, `-r`, `--hard`, `-o=x`).
    flags: Vec<String>,
    /// The operands joined by single spaces.
    operands: Vec<char>,
}

impl FlagWords {
    /// `None` when the program has no flag table.
    pub(crate) fn new(words: &[&str]) -> Option<FlagWords> {
        let program = *words.first()?;
        let (spec, skip) = spec_for(program, words.get(1).copied())?;
        let (flags, operands) = split_flags(spec, &words[skip..]);
        Some(FlagWords {
            key: spec.program,
            sub: spec.sub,
            flags,
            operands: operands.join(" ").chars().collect(),
        })
    }
}

fn push_canonical(spec: &Spec, spelling: &str, value: Option<&str>, out: &mut Vec<String>) {
    let canonical = spec
        .aliases
        .iter()
        .find(|(from, _)| *from == spelling)
        .map_or(spelling, |(_, to)| *to);
    for flag in canonical.split(' ') {
        match value {
            Some(v) => out.push(format!("{flag}={v}")),
            None => out.push(flag.to_string()),
        }
    }
}

/// Splits words into canonical flags (sorted, deduplicated) and operands, GNU style (options
/// anywhere until `--`).
fn split_flags<'w>(spec: &Spec, words: &[&'w str]) -> (Vec<String>, Vec<&'w str>) {
    let mut flags = Vec::new();
    let mut operands = Vec::new();
    let mut i = 0;
    let mut options_done = false;
    while i < words.len() {
        let word = words[i];
        i += 1;
        if options_done || word == "-" || !word.starts_with('-') {
            if spec.sub == Some("push") && word.starts_with('+') {
                flags.push("-f".to_string());
            }
            operands.push(word);
            continue;
        }
        if word == "--" {
            options_done = true;
            continue;
        }
        if let Some(long) = word.strip_prefix("--") {
            match long.split_once('=') {
                Some((name, value)) => {
                    push_canonical(spec, &format!("--{name}"), Some(value), &mut flags)
                }
                None if spec.long_with_arg.contains(&long) => {
                    let value = words.get(i).copied().unwrap_or_default();
                    i += 1;
                    push_canonical(spec, word, Some(value), &mut flags);
                }
                None => push_canonical(spec, word, None, &mut flags),
            }
            continue;
        }
        let cluster: Vec<char> = word.chars().skip(1).collect();
        for (at, &c) in cluster.iter().enumerate() {
            let spelling = format!("-{c}");
            if spec.short_with_arg.contains(c) {
                let attached: String = cluster[at + 1..].iter().collect();
                let value = if attached.is_empty() {
                    i += 1;
                    words.get(i - 1).copied().unwrap_or_default().to_string()
                } else {
                    attached
                };
                push_canonical(spec, &spelling, Some(&value), &mut flags);
                break;
            }
            push_canonical(spec, &spelling, None, &mut flags);
        }
    }
    flags.sort();
    flags.dedup();
    (flags, operands)
}

/// A rule pattern naming a command with flags: `rm -rf *` → {-f, -r} + `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FlagPattern {
    key: &'static str,
    sub: Option<&'static str>,
    flags: Vec<String>,
    /// The pattern for the operands.
    rest: Wildcard,
    /// The flags end in `*` or the operand pattern starts with one: extra flags are fine.
    open: bool,
}

fn has_wildcard(word: &str) -> bool {
    word.contains(['*', '?', '\\'])
}

impl FlagPattern {
    /// `None` unless the pattern starts with a literal program from the table and names at
    /// least one flag.
    pub(crate) fn new(pattern: &str) -> Option<FlagPattern> {
        let words: Vec<&str> = pattern.split(' ').collect();
        let program = *words.first()?;
        if has_wildcard(program) {
            return None;
        }
        let sub = words.get(1).copied().filter(|w| !has_wildcard(w));
        let (spec, skip) = spec_for(program, sub)?;
        let mut flag_words = Vec::new();
        let mut rest_start = words.len();
        let mut star_after_flags = false;
        for (i, word) in words.iter().enumerate().skip(skip) {
            if !word.starts_with('-') || *word == "-" || *word == "--" {
                rest_start = i;
                break;
            }
            if let Some(stem) = word.strip_suffix('*')
                && !has_wildcard(stem)
                && stem.len() > 1
            {
                flag_words.push(stem);
                star_after_flags = true;
                rest_start = i + 1;
                break;
            }
            if has_wildcard(word) {
                rest_start = i;
                break;
            }
            flag_words.push(word);
        }
        if flag_words.is_empty() {
            return None;
        }
        let (flags, operands) = split_flags(spec, &flag_words);
        if !operands.is_empty() {
            return None;
        }
        let mut rest = words[rest_start.min(words.len())..].join(" ");
        if star_after_flags {
            rest = if rest.is_empty() {
                "*".to_string()
            } else {
                format!("* {rest}")
            };
        }
        Some(FlagPattern {
            key: spec.program,
            sub: spec.sub,
            flags,
            open: rest.starts_with('*'),
            rest: Wildcard::new(&rest),
        })
    }

    /// Deny: the command has at least the pattern's flags. Allow: exactly them, or more when
    /// the pattern leaves room with `*`.
    pub(crate) fn matches(&self, words: &FlagWords, deny: bool) -> bool {
        if self.key != words.key || self.sub != words.sub {
            return false;
        }
        let subset = self.flags.iter().all(|f| words.flags.contains(f));
        let flags_ok = if deny || self.open {
            subset
        } else {
            subset && self.flags.len() == words.flags.len()
        };
        flags_ok && self.rest.matches_with(&words.operands, None, !deny)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fw(line: &str) -> FlagWords {
        let words: Vec<&str> = line.split(' ').collect();
        FlagWords::new(&words).unwrap_or_else(|| panic!("no table for {line}"))
    }

    fn fp(pattern: &str) -> FlagPattern {
        FlagPattern::new(pattern).unwrap_or_else(|| panic!("no flag pattern in {pattern}"))
    }

    #[test]
    fn every_spelling_of_rm_rf_is_one_set() {
        let p = fp("rm -rf *");
        for line in [
            "rm -rf /",
            "rm -fr /",
            "rm -r -f /",
            "rm -f -r /",
            "rm --recursive --force /",
            "rm -Rf /",
            "rm -R --force /",
            "rm / -rf",
            "rm -rfv /",
            "rm -d -r -f /",
        ] {
            assert!(p.matches(&fw(line), true), "{line}");
        }
        assert!(!p.matches(&fw("rm -r /"), true));
        assert!(!p.matches(&fw("rm -- -rf"), true));
    }

    #[test]
    fn trailing_star_on_flags_leaves_room() {
        let p = fp("rm -rf*");
        assert!(p.matches(&fw("rm -r -f -v a b"), true));
        assert!(p.matches(&fw("rm -fr"), true));
        let p = fp("git push --force*");
        assert!(p.matches(&fw("git push -f origin main"), true));
        assert!(p.matches(&fw("git push origin main --force"), true));
        assert!(p.matches(&fw("git push origin +main"), true));
        assert!(!p.matches(&fw("git push origin main"), true));
    }

    #[test]
    fn allow_needs_the_same_flags_unless_open() {
        let p = fp("rm -r build");
        assert!(p.matches(&fw("rm --recursive build"), false));
        assert!(!p.matches(&fw("rm -rf build"), false));
        assert!(!p.matches(&fw("rm -r build /"), false));
    }

    #[test]
    fn options_with_arguments_and_aliases() {
        assert_eq!(fw("git branch -D x").flags, ["-d", "-f"]);
        assert_eq!(fw("git push -o ci.skip origin").flags, ["-o=ci.skip"]);
        assert_eq!(
            fw("chmod --reference f -R x").flags,
            ["--reference=f", "-R"]
        );
        assert!(FlagPattern::new("rm *").is_none());
        assert!(FlagWords::new(&["ls", "-la"]).is_none());
    }
}
