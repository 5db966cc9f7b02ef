//! A recursive-descent parser for the POSIX shell subset: words with quoting, expansions and
//! substitutions (parsed recursively), pipelines, lists, subshells, groups, redirections and
//! assignment prefixes. What it cannot reproduce with certainty marks the line uncertain and is
//! parsed on a best-effort basis (so deny rules still see the commands).

use super::{ParsedLine, SimpleCommand, Word};

/// Recursion limit for `$( ( $( … ) ) )` nesting.
const MAX_NESTING: usize = 64;

/// Words that start or continue a control structure.
const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "select", "function", "[[", "]]", "coproc", "in",
];

pub(super) fn parse(line: &str) -> ParsedLine {
    let chars: Vec<char> = line.chars().collect();
    let mut parser = Parser {
        chars: &chars,
        pos: 0,
        nesting: 0,
        out: ParsedLine::default(),
    };
    while parser.pos < chars.len() {
        parser.list(None);
        if parser.pos < chars.len() {
            // A stray `)` or `}`: a syntax error for the shell.
            parser.uncertain("unbalanced `)`");
            parser.pos += 1;
        }
    }
    parser.out
}

struct Parser<'a> {
    chars: &'a [char],
    pos: usize,
    nesting: usize,
    out: ParsedLine,
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r')
}

fn is_meta(c: char) -> bool {
    is_blank(c) || matches!(c, '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>')
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn uncertain(&mut self, reason: &'static str) {
        self.out.uncertain.get_or_insert(reason);
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek() {
            if is_blank(c) {
                self.pos += 1;
            } else if c == '\\' && self.peek_at(1) == Some('\n') {
                self.pos += 2;
            } else if c == '#' {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn skip_blanks_and_newlines(&mut self) {
        loop {
            self.skip_blanks();
            if self.peek() == Some('\n') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// `}` as a word in command position.
    fn at_group_end(&self) -> bool {
        self.peek() == Some('}') && self.peek_at(1).is_none_or(is_meta)
    }

    /// and_or ((`;` | `&` | newline) and_or)*, up to `term` (not consumed) or the end.
    fn list(&mut self, term: Option<char>) {
        if self.nesting > MAX_NESTING {
            self.uncertain("nested too deeply");
            self.pos = self.chars.len();
            return;
        }
        self.nesting += 1;
        loop {
            self.skip_blanks_and_newlines();
            match self.peek() {
                None => break,
                Some(')') if term == Some(')') => break,
                Some('}') if term == Some('}') && self.at_group_end() => break,
                Some(')') => break,
                _ => {}
            }
            let before = self.pos;
            self.and_or();
            self.skip_blanks();
            match (self.peek(), self.peek_at(1)) {
                (Some(';'), Some(';')) => {
                    self.uncertain("`;;` outside a case");
                    self.pos += 2;
                }
                (Some(';' | '&' | '\n'), _) => self.pos += 1,
                _ => {}
            }
            if self.pos == before {
                // Nothing parsed (e.g. a leading `|`): a syntax error for the shell.
                self.uncertain("syntax error");
                self.pos += 1;
            }
        }
        self.nesting -= 1;
    }

    fn and_or(&mut self) {
        self.pipeline();
        loop {
            self.skip_blanks();
            let op = (self.peek(), self.peek_at(1));
            if matches!(op, (Some('&'), Some('&')) | (Some('|'), Some('|'))) {
                self.pos += 2;
                self.skip_blanks_and_newlines();
                self.pipeline();
            } else {
                break;
            }
        }
    }

    fn pipeline(&mut self) {
        self.skip_blanks();
        if self.peek() == Some('!') && self.peek_at(1).is_none_or(is_meta) {
            self.pos += 1;
        }
        self.command();
        loop {
            self.skip_blanks();
            if self.peek() == Some('|') && self.peek_at(1) != Some('|') {
                self.pos += 1;
                if self.peek() == Some('&') {
                    self.pos += 1;
                }
                self.skip_blanks_and_newlines();
                self.command();
            } else {
                break;
            }
        }
    }

    fn command(&mut self) {
        self.skip_blanks();
        match (self.peek(), self.peek_at(1)) {
            (Some('('), Some('(')) => {
                self.uncertain("arithmetic command");
                self.pos += 1;
                self.subshell();
            }
            (Some('('), _) => self.subshell(),
            (Some('{'), next) if next.is_none_or(is_meta) => {
                self.pos += 1;
                self.list(Some('}'));
                if self.at_group_end() {
                    self.pos += 1;
                } else {
                    self.uncertain("unbalanced `{`");
                }
                self.trailing_redirections();
            }
            _ => self.simple_command(),
        }
    }

    fn subshell(&mut self) {
        self.pos += 1;
        self.list(Some(')'));
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            self.uncertain("unbalanced `(`");
        }
        self.trailing_redirections();
    }

    /// Redirections after a subshell or group apply to all of it: recorded as a command of
    /// their own so the line still counts as redirected.
    fn trailing_redirections(&mut self) {
        let mut cmd = SimpleCommand::default();
        loop {
            self.skip_blanks();
            if !self.redirection(&mut cmd) {
                break;
            }
        }
        if cmd.redirect {
            self.out.commands.push(cmd);
        }
    }

    fn simple_command(&mut self) {
        let mut cmd = SimpleCommand::default();
        loop {
            self.skip_blanks();
            let Some(c) = self.peek() else { break };
            if self.redirection(&mut cmd) {
                continue;
            }
            if c == '(' {
                if cmd.words.len() == 1 {
                    self.uncertain("function definition");
                    self.pos += 1;
                    self.skip_blanks();
                    if self.peek() == Some(')') {
                        self.pos += 1;
                    }
                    self.skip_blanks_and_newlines();
                    self.command();
                    cmd.words.clear();
                } else {
                    self.uncertain("unexpected `(`");
                    self.subshell();
                }
                continue;
            }
            if is_meta(c) {
                break;
            }
            let Some(word) = self.word() else {
                self.uncertain("syntax error");
                self.pos += 1;
                continue;
            };
            if cmd.words.is_empty() {
                if word.assignment {
                    if self.peek() == Some('(') {
                        self.uncertain("array assignment");
                        self.subshell();
                    }
                    cmd.assignments.push(word);
                    continue;
                }
                if !word.expansion && KEYWORDS.contains(&word.text.as_str()) {
                    self.uncertain("control structure (if/for/while/case/…)");
                    continue;
                }
                if word.text == "eval" {
                    self.uncertain("`eval`");
                }
                if word.glob {
                    self.uncertain("a pattern in command position");
                }
            }
            cmd.words.push(word);
        }
        if !cmd.words.is_empty() || !cmd.assignments.is_empty() || cmd.redirect {
            self.out.commands.push(cmd);
        }
    }

    /// Parses one redirection (or process substitution) at the cursor; false when there is
    /// none.
    fn redirection(&mut self, cmd: &mut SimpleCommand) -> bool {
        let mut at = self.pos;
        while self.chars.get(at).is_some_and(char::is_ascii_digit) {
            at += 1;
        }
        let c = self.chars.get(at).copied();
        let next = self.chars.get(at + 1).copied();
        let op_start = match (c, next) {
            (Some('&'), Some('>')) if at == self.pos => at,
            (Some('<' | '>'), Some('(')) if at == self.pos => {
                self.uncertain("process substitution");
                self.pos = at + 1;
                self.subshell();
                return true;
            }
            (Some('<' | '>'), _) => at,
            _ => return false,
        };
        let rest: String = self.chars[op_start..].iter().take(3).collect();
        let len = if rest.starts_with("<<<") || rest.starts_with("&>>") {
            3
        } else if rest.starts_with("<<") {
            self.uncertain("here-document");
            if rest.starts_with("<<-") { 3 } else { 2 }
        } else if ["<>", ">>", ">|", ">&", "<&", "&>"]
            .iter()
            .any(|op| rest.starts_with(op))
        {
            2
        } else {
            1
        };
        let op: String = rest.chars().take(len).collect();
        self.pos = op_start + len;
        self.skip_blanks();
        match self.word() {
            // `2>&1`, `>&2`, `<&-`: duplicating or closing a descriptor writes no file, and
            // neither does sending output to /dev/null.
            Some(w) if harmless_redirection(&op, &w) => {}
            Some(_) => cmd.redirect = true,
            None => {
                cmd.redirect = true;
                self.uncertain("redirection without a target");
            }
        }
        true
    }

    /// One word up to the next unquoted metacharacter; `None` when there is none here.
    fn word(&mut self) -> Option<Word> {
        let start = self.pos;
        let mut w = Word::default();
        let mut plain_name = true;
        let mut brace_open = false;
        let mut brace_list = false;
        while let Some(c) = self.peek() {
            if is_meta(c) {
                break;
            }
            if !is_name_char(c) && c != '=' {
                plain_name = false;
            }
            match c {
                '\'' => {
                    plain_name = false;
                    self.pos += 1;
                    self.single_quoted(&mut w.text);
                }
                '"' => {
                    plain_name = false;
                    self.double_quoted(&mut w);
                }
                '\\' => {
                    plain_name = false;
                    match self.peek_at(1) {
                        Some('\n') => self.pos += 2,
                        Some(next) => {
                            w.text.push(next);
                            self.pos += 2;
                        }
                        None => {
                            w.text.push('\\');
                            self.pos += 1;
                        }
                    }
                }
                '$' => self.dollar(&mut w, false),
                '`' => self.backtick(&mut w),
                '=' if plain_name
                    && !w.assignment
                    && w.text.starts_with(is_name_start)
                    && w.text.chars().all(is_name_char) =>
                {
                    w.assignment = true;
                    w.text.push('=');
                    self.pos += 1;
                }
                _ => {
                    match c {
                        '*' | '?' | '[' => w.glob = true,
                        '{' => brace_open = true,
                        ',' if brace_open => brace_list = true,
                        '.' if brace_open && self.peek_at(1) == Some('.') => brace_list = true,
                        '}' if brace_open && brace_list => {
                            self.uncertain("brace expansion");
                        }
                        _ => {}
                    }
                    w.text.push(c);
                    self.pos += 1;
                }
            }
        }
        if w.expansion {
            self.uncertain("an expansion or substitution (its value is unknown)");
        }
        (self.pos > start).then_some(w)
    }

    /// After the opening `'`: up to the closing one.
    fn single_quoted(&mut self, text: &mut String) {
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == '\'' {
                return;
            }
            text.push(c);
        }
        self.uncertain("unbalanced quote");
    }

    fn double_quoted(&mut self, w: &mut Word) {
        self.pos += 1;
        while let Some(c) = self.peek() {
            match c {
                '"' => {
                    self.pos += 1;
                    return;
                }
                '\\' => match self.peek_at(1) {
                    Some('\n') => self.pos += 2,
                    Some(next @ ('$' | '`' | '"' | '\\')) => {
                        w.text.push(next);
                        self.pos += 2;
                    }
                    _ => {
                        w.text.push('\\');
                        self.pos += 1;
                    }
                },
                '$' => self.dollar(w, true),
                '`' => self.backtick(w),
                _ => {
                    w.text.push(c);
                    self.pos += 1;
                }
            }
        }
        self.uncertain("unbalanced quote");
    }

    fn push_source(&self, w: &mut Word, start: usize) {
        w.text
            .extend(&self.chars[start..self.pos.min(self.chars.len())]);
    }

    fn dollar(&mut self, w: &mut Word, in_double_quotes: bool) {
        let start = self.pos;
        match self.peek_at(1) {
            Some('(') => {
                if self.peek_at(2) == Some('(') {
                    // Arithmetic, or (bash, when that fails) a substitution of a subshell:
                    // parsed as the latter so deny rules see any command inside.
                    self.uncertain("arithmetic expansion");
                }
                self.pos += 2;
                self.list(Some(')'));
                if self.peek() == Some(')') {
                    self.pos += 1;
                } else {
                    self.uncertain("unbalanced `$(`");
                }
                w.expansion = true;
            }
            Some('{') => {
                self.pos += 1;
                let inner_start = self.pos;
                self.skip_balanced('{', '}');
                let inner = &self.chars[inner_start..self.pos.min(self.chars.len())];
                if inner.iter().any(|&c| matches!(c, '`' | '(' | '\'' | '"')) {
                    self.uncertain("a substitution inside `${…}`");
                }
                w.expansion = true;
            }
            Some('\'') if !in_double_quotes => {
                self.uncertain("`$'…'` quoting");
                self.pos += 2;
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    match c {
                        '\\' => self.pos += 1,
                        '\'' => break,
                        _ => {}
                    }
                }
                w.expansion = true;
            }
            Some('"') if !in_double_quotes => {
                self.pos += 1;
                self.double_quoted(w);
                return;
            }
            Some(c) if is_name_start(c) => {
                self.pos += 1;
                while self.peek().is_some_and(is_name_char) {
                    self.pos += 1;
                }
                w.expansion = true;
            }
            Some(c)
                if c.is_ascii_digit() || matches!(c, '@' | '*' | '#' | '?' | '$' | '!' | '-') =>
            {
                self.pos += 2;
                w.expansion = true;
            }
            _ => {
                w.text.push('$');
                self.pos += 1;
                return;
            }
        }
        self.push_source(w, start);
    }

    /// From an opening `open` at the cursor to just past its matching `close` (quotes
    /// skipped roughly); marks the line uncertain when unbalanced.
    fn skip_balanced(&mut self, open: char, close: char) {
        let mut depth = 0usize;
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == '\\' {
                self.pos += 1;
            } else if c == open {
                depth += 1;
            } else if c == close {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return;
                }
            }
        }
        self.uncertain("unbalanced brackets");
    }

    fn backtick(&mut self, w: &mut Word) {
        let start = self.pos;
        self.pos += 1;
        let mut inner = String::new();
        let mut closed = false;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '\\' => match self.peek() {
                    Some(next @ ('`' | '\\' | '$')) => {
                        inner.push(next);
                        self.pos += 1;
                    }
                    _ => inner.push('\\'),
                },
                '`' => {
                    closed = true;
                    break;
                }
                _ => inner.push(c),
            }
        }
        if !closed {
            self.uncertain("unbalanced backtick");
        }
        if self.nesting > MAX_NESTING {
            self.uncertain("nested too deeply");
        } else {
            let sub = parse(&inner);
            self.out.commands.extend(sub.commands);
            if let Some(reason) = sub.uncertain {
                self.uncertain(reason);
            }
        }
        w.expansion = true;
        self.push_source(w, start);
    }
}

/// A redirection that opens no file for writing: a descriptor duplicated or closed (`>&1`,
/// `<&-`), or output sent to `/dev/null`.
fn harmless_redirection(op: &str, target: &Word) -> bool {
    if target.expansion || target.glob {
        return false;
    }
    let t = target.text.as_str();
    let descriptor = t == "-" || (!t.is_empty() && t.chars().all(|c| c.is_ascii_digit()));
    match op {
        ">&" | "<&" => descriptor,
        ">" | ">>" | "&>" | "&>>" | ">|" => t == "/dev/null",
        _ => false,
    }
}
