//! Shell command patterns: whitespace normalisation, the `*`/`?` wildcard matcher, and a
//! command prepared once per call: parsed into the simple commands it runs ([`super::shell`])
//! plus a quote-unaware split kept for deny rules (an operator inside quotes still counts, so a
//! parse that is wrong once cannot hide a command from a deny rule).

use super::shell::{self, Analysis, FlagPattern};

/// Characters that end a segment for allow rules.
fn is_list_operator(c: char) -> bool {
    matches!(c, ';' | '&' | '|' | '\n')
}

/// Collapses every run of ASCII whitespace to one space (or one newline when the run holds a
/// newline, which is a command separator) and trims both ends.
pub(crate) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending: Option<char> = None;
    for c in text.chars() {
        if c.is_ascii_whitespace() {
            if c == '\n' {
                pending = Some('\n');
            } else if pending.is_none() {
                pending = Some(' ');
            }
            continue;
        }
        if let Some(ws) = pending.take()
            && !out.is_empty()
        {
            out.push(ws);
        }
        out.push(c);
    }
    out
}

/// Marks the characters that are shell control syntax: list operators, pipes, redirections,
/// backticks and both characters of `$(`.
fn control_mask(chars: &[char]) -> Vec<bool> {
    let mut mask = vec![false; chars.len()];
    for (i, &c) in chars.iter().enumerate() {
        let control = match c {
            ';' | '&' | '|' | '\n' | '`' | '<' | '>' => true,
            '$' => chars.get(i + 1) == Some(&'('),
            '(' => i > 0 && chars[i - 1] == '$',
            _ => false,
        };
        if control {
            mask[i] = true;
        }
    }
    mask
}

/// A command prepared once per call and matched against many rules.
#[derive(Debug, Clone)]
pub(crate) struct PreparedCommand {
    /// The normalised command.
    pub(crate) chars: Vec<char>,
    /// `true` where `chars` holds control syntax.
    pub(crate) mask: Vec<bool>,
    /// Any control syntax at all.
    pub(crate) compound: bool,
    /// The simple commands the shell would run, each with its unwrapped forms.
    pub(crate) analysis: Analysis,
    /// Extra candidates for deny rules from a quote-unaware split: segments split on list
    /// operators, substitutions, groups and redirections, also without leading wrappers and
    /// program directories.
    pub(crate) deny_candidates: Vec<Vec<char>>,
}

impl PreparedCommand {
    pub(crate) fn new(command: &str) -> PreparedCommand {
        let normalized = normalize(command);
        let chars: Vec<char> = normalized.chars().collect();
        let mask = control_mask(&chars);
        let compound = mask.iter().any(|&m| m);
        let mut deny_candidates = if compound {
            split(&chars, is_list_operator)
        } else {
            Vec::new()
        };
        if chars.iter().any(|&c| is_deny_separator(c)) || needs_unwrap(&chars) {
            deny_candidates.extend(crude_deny_candidates(&chars));
        }
        PreparedCommand {
            analysis: shell::analyze(command),
            chars,
            mask,
            compound,
            deny_candidates,
        }
    }
}

fn split(chars: &[char], is_sep: impl Fn(char) -> bool) -> Vec<Vec<char>> {
    chars
        .split(|&c| is_sep(c))
        .map(trim_spaces)
        .filter(|s| !s.is_empty())
        .map(<[char]>::to_vec)
        .collect()
}

fn trim_spaces(mut s: &[char]) -> &[char] {
    while let [' ', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., ' '] = s {
        s = rest;
    }
    s
}

/// Words that may precede the real program of a simple command.
const WRAPPERS: &[&str] = &[
    "!", "if", "then", "else", "elif", "do", "while", "until", "time", "exec", "command",
    "builtin", "nohup", "sudo", "doas", "env", "nice", "xargs",
];

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

fn needs_unwrap(chars: &[char]) -> bool {
    let first: String = chars.iter().take_while(|&&c| c != ' ').collect();
    first.contains('/')
        || first.starts_with('\\')
        || is_assignment(&first)
        || WRAPPERS.contains(&first.as_str())
}

/// The segment without leading wrappers/assignments, with the program's directory and a leading
/// backslash (alias bypass) removed. `None` when nothing changed.
fn unwrap_segment(segment: &[char]) -> Option<Vec<char>> {
    let text: String = segment.iter().collect();
    let mut words: Vec<&str> = text.split(' ').collect();
    let mut start = 0;
    while start < words.len() && (WRAPPERS.contains(&words[start]) || is_assignment(words[start])) {
        start += 1;
    }
    if start == words.len() {
        return None;
    }
    let program = words[start].trim_start_matches('\\');
    let program = program.rsplit('/').next().unwrap_or(program);
    let changed = start > 0 || program.len() != words[start].len();
    if !changed || program.is_empty() {
        return None;
    }
    words[start] = program;
    Some(words[start..].join(" ").chars().collect())
}

/// Characters that end a segment for deny rules: list operators plus substitutions, groups and
/// redirections.
fn is_deny_separator(c: char) -> bool {
    matches!(
        c,
        ';' | '&' | '|' | '\n' | '`' | '(' | ')' | '{' | '}' | '<' | '>'
    )
}

fn crude_deny_candidates(chars: &[char]) -> Vec<Vec<char>> {
    let fine = split(chars, is_deny_separator);
    let mut out = Vec::with_capacity(fine.len() * 2 + 1);
    if let Some(whole) = unwrap_segment(chars) {
        out.push(whole);
    }
    for segment in fine {
        if let Some(unwrapped) = unwrap_segment(&segment) {
            out.push(unwrapped);
        }
        out.push(segment);
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(Vec<char>),
    /// `*`: any run of characters (including spaces and `/`). `true`: a word-final star
    /// after a literal (`git status*`) that, for allow rules, matches nothing or a run starting
    /// with a space, so `git status*` does not match `git statusx`.
    Star(bool),
    /// `?`: exactly one character.
    One,
}

/// A compiled command pattern: `*` and `?` are wildcards, `\*`, `\?` and `\\` are literal,
/// everything else (including `[`, `{`) is literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wildcard {
    tokens: Vec<Token>,
    /// Literal text every match starts with.
    prefix: Vec<char>,
    /// Literal text every match ends with.
    suffix: Vec<char>,
    /// The pattern contains shell control syntax itself.
    has_control: bool,
}

impl Wildcard {
    /// Compiles an already normalised pattern.
    pub(crate) fn new(pattern: &str) -> Wildcard {
        let mut tokens: Vec<Token> = Vec::new();
        let mut literal: Vec<char> = Vec::new();
        let mut chars = pattern.chars();
        let flush = |literal: &mut Vec<char>, tokens: &mut Vec<Token>| {
            if !literal.is_empty() {
                tokens.push(Token::Literal(std::mem::take(literal)));
            }
        };
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.clone().next() {
                    Some(next @ ('*' | '?' | '\\')) => {
                        chars.next();
                        literal.push(next);
                    }
                    _ => literal.push('\\'),
                },
                '*' => {
                    flush(&mut literal, &mut tokens);
                    if !matches!(tokens.last(), Some(Token::Star(_))) {
                        tokens.push(Token::Star(false));
                    }
                }
                '?' => {
                    flush(&mut literal, &mut tokens);
                    tokens.push(Token::One);
                }
                _ => literal.push(c),
            }
        }
        flush(&mut literal, &mut tokens);
        mark_word_final_stars(&mut tokens);
        let prefix = match tokens.first() {
            Some(Token::Literal(l)) => l.clone(),
            _ => Vec::new(),
        };
        let suffix = match tokens.last() {
            Some(Token::Literal(l)) if tokens.len() > 1 => l.clone(),
            _ => Vec::new(),
        };
        let pattern_chars: Vec<char> = tokens
            .iter()
            .flat_map(|t| match t {
                Token::Literal(l) => l.clone(),
                _ => vec![' '],
            })
            .collect();
        let has_control = control_mask(&pattern_chars).iter().any(|&m| m);
        Wildcard {
            tokens,
            prefix,
            suffix,
            has_control,
        }
    }

    pub(crate) fn has_control(&self) -> bool {
        self.has_control
    }

    /// The pattern has no wildcard: it names one exact text.
    pub(crate) fn is_literal(&self) -> bool {
        !self
            .tokens
            .iter()
            .any(|t| matches!(t, Token::Star(_) | Token::One))
    }

    /// Whether the pattern matches all of `text`, with free `*` (deny semantics).
    #[cfg(test)]
    pub(crate) fn matches(&self, text: &[char], mask: Option<&[bool]>) -> bool {
        self.matches_with(text, mask, false)
    }

    /// Whether the pattern matches all of `text`. With a `mask`, wildcards never match a
    /// masked character: control syntax must be spelled out literally in the pattern. With
    /// `word_bounded`, a word-final `*` keeps its word boundary (allow semantics).
    pub(crate) fn matches_with(
        &self,
        text: &[char],
        mask: Option<&[bool]>,
        word_bounded: bool,
    ) -> bool {
        if !text.starts_with(&self.prefix) || !text.ends_with(&self.suffix) {
            return false;
        }
        if let [Token::Literal(l)] = self.tokens.as_slice() {
            return text == l.as_slice();
        }
        if self.tokens.is_empty() {
            return text.is_empty();
        }
        let blocked = |i: usize| mask.is_some_and(|m| m.get(i).copied().unwrap_or(false));
        let n = text.len();
        // reach[i]: the tokens seen so far can match text[..i].
        let mut reach = vec![false; n + 1];
        let mut next = vec![false; n + 1];
        reach[0] = true;
        for token in &self.tokens {
            next.iter_mut().for_each(|r| *r = false);
            match token {
                Token::Literal(l) => {
                    for i in 0..=n {
                        if reach[i] && text[i..].starts_with(l) {
                            next[i + l.len()] = true;
                        }
                    }
                }
                Token::One => {
                    for i in 0..n {
                        if reach[i] && !blocked(i) {
                            next[i + 1] = true;
                        }
                    }
                }
                Token::Star(true) if word_bounded => {
                    // A run that starts with a space at a reachable position.
                    let mut run = false;
                    for i in 0..=n {
                        if i > 0 {
                            let j = i - 1;
                            run = !blocked(j) && (run || (reach[j] && text[j] == ' '));
                        }
                        next[i] = reach[i] || run;
                    }
                }
                Token::Star(_) => {
                    for i in 0..=n {
                        next[i] = reach[i] || (i > 0 && next[i - 1] && !blocked(i - 1));
                    }
                }
            }
            std::mem::swap(&mut reach, &mut next);
            if !reach.iter().any(|&r| r) {
                return false;
            }
        }
        reach[n]
    }
}

/// Marks stars that end a word after a literal (`status*` at the end or before a space).
fn mark_word_final_stars(tokens: &mut [Token]) {
    for i in 1..tokens.len() {
        let after_word =
            matches!(&tokens[i - 1], Token::Literal(l) if l.last().is_some_and(|&c| c != ' '));
        let word_ends = match tokens.get(i + 1) {
            None => true,
            Some(Token::Literal(l)) => l.first() == Some(&' '),
            Some(_) => false,
        };
        if let Token::Star(bounded) = &mut tokens[i] {
            *bounded = after_word && word_ends;
        }
    }
}

/// Escapes `*`, `?` and `\` so the text matches itself as a command pattern.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A compiled shell rule pattern: the wildcard text, and the flag-set reading when it names a
/// command from the flag table (`rm -rf *`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandPattern {
    /// As written: matched against the whole line.
    whole: Wildcard,
    /// With shell quotes removed (quoted `*`/`?` literal): matched against one command's
    /// words, which have had their quotes removed too.
    words: Wildcard,
    flags: Option<FlagPattern>,
}

impl CommandPattern {
    /// Compiles an already normalised pattern.
    pub(crate) fn new(pattern: &str) -> CommandPattern {
        let unquoted = remove_pattern_quotes(pattern);
        CommandPattern {
            whole: Wildcard::new(pattern),
            words: Wildcard::new(&unquoted),
            flags: FlagPattern::new(&unquoted),
        }
    }

    fn matches_form(&self, form: &shell::Form, deny: bool) -> bool {
        self.words.matches_with(&form.text, None, !deny)
            || self
                .flags
                .as_ref()
                .zip(form.flags.as_ref())
                .is_some_and(|(p, f)| p.matches(f, deny))
    }
}

/// Shell quote removal for a pattern: `'…'` and `"…"` lose their quotes and their `*`, `?`
/// and `\\` become literal; `\\x` escapes stay for the wildcard compiler. Unbalanced quotes
/// are kept as written.
fn remove_pattern_quotes(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                out.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    out.push(next);
                }
                i += 2;
            }
            '\'' | '"' => match chars[i + 1..].iter().position(|&q| q == c) {
                Some(len) => {
                    for &inner in &chars[i + 1..i + 1 + len] {
                        if matches!(inner, '*' | '?' | '\\') {
                            out.push('\\');
                        }
                        out.push(inner);
                    }
                    i += len + 2;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            },
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Allow/ask semantics: see the module documentation of [`crate::policy`].
pub(crate) fn matches_allow(pattern: &CommandPattern, command: &PreparedCommand) -> bool {
    let whole = &pattern.whole;
    // The rule spells out this exact line: the user approved these very characters.
    if whole.is_literal() && whole.matches_with(&command.chars, None, true) {
        return true;
    }
    let analysis = &command.analysis;
    if analysis.uncertain.is_some() || analysis.commands.is_empty() {
        return false;
    }
    if whole.has_control() {
        return whole.matches_with(&command.chars, Some(&command.mask), true);
    }
    analysis
        .commands
        .iter()
        .all(|c| command_allowed(pattern, c))
}

/// One command of a line is allowed by `pattern`.
pub(crate) fn command_allowed(pattern: &CommandPattern, command: &shell::CommandForms) -> bool {
    if command.redirect {
        return false;
    }
    // An assignment alone (to a harmless name) runs nothing.
    command.forms.is_empty()
        || command
            .forms
            .iter()
            .any(|f| f.allow_ok && pattern.matches_form(f, false))
}

/// Deny semantics: the whole line, any command the shell would run in any of its forms, or any
/// segment of the quote-unaware split.
pub(crate) fn matches_deny(pattern: &CommandPattern, command: &PreparedCommand) -> bool {
    let whole = &pattern.whole;
    whole.matches_with(&command.chars, None, false)
        || command
            .analysis
            .commands
            .iter()
            .flat_map(|c| &c.forms)
            .any(|f| pattern.matches_form(f, true))
        || command.deny_candidates.iter().any(|segment| {
            whole.matches_with(segment, None, false)
                || pattern.words.matches_with(segment, None, false)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wc(p: &str) -> Wildcard {
        Wildcard::new(&normalize(p))
    }

    fn m(p: &str, t: &str) -> bool {
        let t: Vec<char> = normalize(t).chars().collect();
        wc(p).matches(&t, None)
    }

    #[test]
    fn normalize_collapses_and_keeps_newlines() {
        assert_eq!(
            normalize("  git   status \t --short  "),
            "git status --short"
        );
        assert_eq!(normalize("a \n  b"), "a\nb");
        assert_eq!(normalize("a\r\nb"), "a\nb");
        assert_eq!(normalize("\n\n a"), "a");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn wildcard_basics() {
        assert!(m("git status*", "git status"));
        assert!(m("git status*", "git status --short"));
        assert!(m("git   status*", "git  status   -s"));
        assert!(!m("git status*", "git stash"));
        assert!(m("ls ?", "ls a"));
        assert!(!m("ls ?", "ls ab"));
        assert!(m("cat *", "cat /etc/hosts"));
        assert!(m("*", ""));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("*.rs", "src/a b.rs"));
        assert!(m("echo \\*", "echo *"));
        assert!(!m("echo \\*", "echo x"));
        assert!(m("awk '{print $1}' *", "awk '{print $1}' f.txt"));
        assert!(m("test [ -f x ]", "test [ -f x ]"));
        assert!(m("a**b", "ab"));
    }

    #[test]
    fn masked_wildcards_skip_control_syntax() {
        let cmd = PreparedCommand::new("echo a; rm x");
        assert!(!wc("echo *").matches(&cmd.chars, Some(&cmd.mask)));
        assert!(wc("echo *; rm *").matches(&cmd.chars, Some(&cmd.mask)));
        let cmd = PreparedCommand::new("echo $(id)");
        assert!(!wc("echo $*").matches(&cmd.chars, Some(&cmd.mask)));
        assert!(wc("echo $(*)").matches(&cmd.chars, Some(&cmd.mask)));
    }

    #[test]
    fn unwrap_wrappers() {
        let u = |s: &str| {
            unwrap_segment(&s.chars().collect::<Vec<_>>())
                .map(|v| v.into_iter().collect::<String>())
        };
        assert_eq!(u("sudo rm -rf /").as_deref(), Some("rm -rf /"));
        assert_eq!(
            u("FOO=1 env BAR=2 /bin/rm -rf /").as_deref(),
            Some("rm -rf /")
        );
        assert_eq!(u("\\rm -rf /").as_deref(), Some("rm -rf /"));
        assert_eq!(u("then rm x").as_deref(), Some("rm x"));
        assert_eq!(u("rm x"), None);
        assert_eq!(u("sudo"), None);
    }

    #[test]
    fn escape_round_trips() {
        let text = "echo a*b? c\\d";
        let p = Wildcard::new(&escape(text));
        let t: Vec<char> = text.chars().collect();
        assert!(p.matches(&t, None));
        assert!(!p.matches(&"echo aXb? c\\d".chars().collect::<Vec<_>>(), None));
    }
}
