//! Shell command patterns: whitespace normalisation, control-syntax detection, segment
//! splitting and the `*`/`?` wildcard matcher.
//!
//! Splitting is deliberately *not* quote-aware: `git commit -m "a; b"` counts as compound. A
//! quote-aware tokenizer that is wrong once (ANSI-C `$'…'` quoting, nested substitutions,
//! here-documents) would let an allow rule run a hidden command; treating a quoted operator as
//! real only makes the call ask.

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
    /// Command substitution, backticks or redirection: segments alone can never allow it.
    pub(crate) substitution_or_redirect: bool,
    /// Non-empty segments split on `;`, `&`, `|`, newline (allow semantics).
    pub(crate) segments: Vec<Vec<char>>,
    /// Extra candidates for deny rules: finer segments (also split on substitutions, groups and
    /// redirections) and the same with leading wrappers (`sudo`, `env`, `VAR=1`, `then`, …) and
    /// program directories (`/bin/rm` → `rm`) removed.
    pub(crate) deny_candidates: Vec<Vec<char>>,
}

impl PreparedCommand {
    pub(crate) fn new(command: &str) -> PreparedCommand {
        let normalized = normalize(command);
        let chars: Vec<char> = normalized.chars().collect();
        let mask = control_mask(&chars);
        let compound = mask.iter().any(|&m| m);
        let substitution_or_redirect = chars.windows(2).any(|w| w == ['$', '('])
            || chars.iter().any(|&c| matches!(c, '`' | '<' | '>'));
        let segments = if compound {
            split(&chars, is_list_operator)
        } else {
            Vec::new()
        };
        let deny_candidates = if chars.iter().any(|&c| is_deny_separator(c)) || needs_unwrap(&chars)
        {
            deny_candidates(&chars)
        } else {
            Vec::new()
        };
        PreparedCommand {
            chars,
            mask,
            compound,
            substitution_or_redirect,
            segments,
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

fn deny_candidates(chars: &[char]) -> Vec<Vec<char>> {
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
    /// `*`: any run of characters (including spaces and `/`).
    Star,
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
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
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

    /// Whether the pattern matches all of `text`. With a `mask`, wildcards never match a
    /// masked character: control syntax must be spelled out literally in the pattern.
    pub(crate) fn matches(&self, text: &[char], mask: Option<&[bool]>) -> bool {
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
                Token::Star => {
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

/// Allow/ask semantics: see the module documentation of [`crate::policy`].
pub(crate) fn matches_allow(pattern: &Wildcard, command: &PreparedCommand) -> bool {
    if !command.compound {
        return pattern.matches(&command.chars, None);
    }
    if pattern.has_control() && pattern.matches(&command.chars, Some(&command.mask)) {
        return true;
    }
    if command.substitution_or_redirect || command.segments.is_empty() {
        return false;
    }
    command
        .segments
        .iter()
        .all(|segment| pattern.matches(segment, None))
}

/// Deny semantics: the whole command or any segment.
pub(crate) fn matches_deny(pattern: &Wildcard, command: &PreparedCommand) -> bool {
    pattern.matches(&command.chars, None)
        || command
            .segments
            .iter()
            .chain(&command.deny_candidates)
            .any(|segment| pattern.matches(segment, None))
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
    fn prepared_segments() {
        let c = PreparedCommand::new("a && b || c | d ; e & f\ng");
        let segs: Vec<String> = c.segments.iter().map(|s| s.iter().collect()).collect();
        assert_eq!(segs, ["a", "b", "c", "d", "e", "f", "g"]);
        assert!(c.compound);
        assert!(!c.substitution_or_redirect);
        assert!(PreparedCommand::new("a > b").substitution_or_redirect);
        assert!(PreparedCommand::new("a `b`").substitution_or_redirect);
        assert!(PreparedCommand::new("a $(b)").substitution_or_redirect);
        assert!(!PreparedCommand::new("echo $HOME").compound);
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
