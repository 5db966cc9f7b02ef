//! The task spec compiler: a user's message (and a little session state) → [`TaskSpec`], by
//! the rules in `rules.rs`. Deterministic, no model, no I/O. Every field says in the trace
//! which rule set it.

use super::rules::{
    ERROR_MARKERS, GERMAN_MARKERS, PATH_EXTENSIONS, QUESTION_WORDS, RULES, Rule, Signal,
    TASK_PRIORITY, Vote,
};
use crate::protocol::{
    Complexity, OutputKind, Risk, SideEffects, Target, TargetKind, TaskSpec, TaskType, TraceEntry,
};

/// What the session tells the compiler besides the message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionState {
    /// The previous turn's task, if any.
    pub last_task: Option<TaskType>,
    /// The previous turn called tools.
    pub last_used_tools: bool,
}

/// Messages up to this many words with no target are "short".
const SHORT_WORDS: usize = 14;
/// Messages over this many words are multi-step by length alone.
const LONG_WORDS: usize = 80;

/// The text prepared once for every rule: lowercase words, and the words joined by single
/// spaces with a space at each end (for phrase matching).
struct Text<'a> {
    raw: &'a str,
    lower: String,
    words: Vec<String>,
    joined: String,
}

impl<'a> Text<'a> {
    fn new(raw: &'a str) -> Text<'a> {
        let lower = raw.to_lowercase();
        let words: Vec<String> = lower
            .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
            .map(|w| w.trim_matches(|c| c == '\'' || c == '-'))
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        let mut joined = String::with_capacity(lower.len() + 2);
        joined.push(' ');
        for w in &words {
            joined.push_str(w);
            joined.push(' ');
        }
        Text {
            raw,
            lower,
            words,
            joined,
        }
    }

    /// The first pattern that matches, if any.
    fn find_keyword(&self, patterns: &[&'static str]) -> Option<&'static str> {
        patterns.iter().copied().find(|p| self.matches(p))
    }

    fn matches(&self, pattern: &str) -> bool {
        let wordy = |c: char| c.is_alphanumeric() || matches!(c, '*' | '\'' | '-');
        if pattern.chars().all(wordy) {
            return match pattern.strip_suffix('*') {
                Some(stem) => self.words.iter().any(|w| w.starts_with(stem)),
                None => self.words.iter().any(|w| w == pattern),
            };
        }
        if pattern.chars().all(|c| c == ' ' || (wordy(c) && c != '-')) {
            // A phrase: whole words in order (the last may be a stem).
            return match pattern.strip_suffix('*') {
                Some(stem) => self.joined.contains(&format!(" {stem}")),
                None => self.joined.contains(&format!(" {pattern} ")),
            };
        }
        // Punctuation that words lose (`rm -rf`, `reset --hard`): the text as written.
        self.lower.contains(pattern)
    }

    /// Ends with `?`, or starts with a question word (what, why, warum, …).
    fn is_question(&self) -> bool {
        self.raw.trim_end().ends_with('?')
            || self
                .words
                .first()
                .is_some_and(|w| QUESTION_WORDS.contains(&w.as_str()))
    }
}

/// Does `rule` match; what matched (for the trace).
fn evidence(rule: &Rule, text: &Text<'_>, targets: &[Target]) -> Option<String> {
    let has = |kind| {
        targets
            .iter()
            .find(|t| t.kind == kind)
            .map(|t| t.text.clone())
    };
    match rule.signal {
        Signal::Keywords(words) => text.find_keyword(words).map(str::to_string),
        Signal::Question => text.is_question().then(|| "question".to_string()),
        Signal::HasPath => has(TargetKind::Path),
        Signal::HasUrl => has(TargetKind::Url),
        Signal::CodeBlock => text.raw.contains("```").then(|| "```".to_string()),
        Signal::ErrorOutput => ERROR_MARKERS
            .iter()
            .find(|m| text.lower.contains(*m))
            .map(|m| m.trim().to_string()),
    }
}

/// Compile the spec of one message.
pub fn compile(message: &str, session: &SessionState) -> TaskSpec {
    let text = Text::new(message);
    let targets = find_targets(message);
    let mut trace = Vec::new();
    let mut scores: Vec<(TaskType, u32, &'static str, String)> = Vec::new();
    let (mut multi, mut high, mut proposed) = (None, None, None);
    let (mut en_hits, mut de_hits) = (0u32, 0u32);
    for rule in RULES {
        let Some(ev) = evidence(rule, &text, &targets) else {
            continue;
        };
        match rule.lang {
            "de" => de_hits += 1,
            "en" => en_hits += 1,
            _ => {}
        }
        match rule.vote {
            Vote::Task(task, weight) => match scores.iter_mut().find(|s| s.0 == task) {
                Some(s) => s.1 += u32::from(weight),
                None => scores.push((task, u32::from(weight), rule.id, ev)),
            },
            Vote::MultiStep => {
                multi.get_or_insert((rule.id, ev));
            }
            Vote::HighRisk => {
                high.get_or_insert((rule.id, ev));
            }
            Vote::Proposed => {
                proposed.get_or_insert((rule.id, ev));
            }
        }
    }
    let german_words = text
        .words
        .iter()
        .filter(|w| GERMAN_MARKERS.contains(&w.as_str()))
        .count() as u32;
    let language = if de_hits + german_words > en_hits + 1 {
        "de"
    } else {
        "en"
    };

    let mut session_facts = Vec::new();
    let task = pick_task(&scores, &mut trace);
    let task = follow_up(task, &text, session, &mut session_facts, &mut trace);
    let complexity = complexity(task, &text, &targets, multi.as_ref(), &mut trace);
    let (output, default_risk, default_effects) = defaults(task);
    let risk = match &high {
        Some((id, ev)) => {
            push(&mut trace, "risk", id, ev);
            Risk::High
        }
        None => {
            push(&mut trace, "risk", "default.task", "");
            default_risk
        }
    };
    let side_effects = match (&proposed, default_effects) {
        (Some((id, ev)), SideEffects::Immediate) => {
            push(&mut trace, "side_effects", id, ev);
            SideEffects::Proposed
        }
        _ => {
            push(&mut trace, "side_effects", "default.task", "");
            default_effects
        }
    };
    let output = if side_effects == SideEffects::Proposed && output == OutputKind::Patch {
        OutputKind::Plan
    } else {
        output
    };
    push(&mut trace, "output", "default.task", "");
    TaskSpec {
        task,
        complexity,
        risk,
        side_effects,
        output,
        targets,
        language: language.to_string(),
        session_facts,
        trace,
    }
}

fn push(trace: &mut Vec<TraceEntry>, field: &str, rule: &str, evidence: &str) {
    trace.push(TraceEntry {
        field: field.to_string(),
        rule: rule.to_string(),
        evidence: evidence.to_string(),
    });
}

/// The highest score wins; a tie goes to the earlier type in `TASK_PRIORITY`; nothing → unknown.
fn pick_task(
    scores: &[(TaskType, u32, &'static str, String)],
    trace: &mut Vec<TraceEntry>,
) -> TaskType {
    let best = TASK_PRIORITY
        .iter()
        .filter_map(|t| scores.iter().find(|s| s.0 == *t))
        .fold(
            None::<&(TaskType, u32, &str, String)>,
            |best, s| match best {
                Some(b) if b.1 >= s.1 => Some(b),
                _ => Some(s),
            },
        );
    match best {
        Some((task, score, id, ev)) => {
            push(trace, "task", id, &format!("{ev} (score {score})"));
            *task
        }
        None => {
            push(trace, "task", "default.unknown", "no rule matched");
            TaskType::Unknown
        }
    }
}

/// A short message with no task of its own after a turn that used tools continues that
/// turn's task ("yes, do it", "and the tests too"), so it stays capable.
fn follow_up(
    task: TaskType,
    text: &Text<'_>,
    session: &SessionState,
    facts: &mut Vec<String>,
    trace: &mut Vec<TraceEntry>,
) -> TaskType {
    let weak = matches!(task, TaskType::Unknown | TaskType::Answer);
    let short = text.words.len() <= SHORT_WORDS;
    match session.last_task {
        Some(last) if session.last_used_tools && weak && short && last != TaskType::Answer => {
            facts.push(format!(
                "follow-up of a turn that used tools ({})",
                task_name(last)
            ));
            push(trace, "task", "session.follow_up", task_name(last));
            last
        }
        _ => task,
    }
}

fn complexity(
    task: TaskType,
    text: &Text<'_>,
    targets: &[Target],
    multi: Option<&(&'static str, String)>,
    trace: &mut Vec<TraceEntry>,
) -> Complexity {
    let words = text.words.len();
    if task == TaskType::Unknown {
        push(trace, "complexity", "default.unknown_task", "");
        return Complexity::Ambiguous;
    }
    if let Some((id, ev)) = multi {
        push(trace, "complexity", id, ev);
        return Complexity::MultiStep;
    }
    if words > LONG_WORDS {
        push(
            trace,
            "complexity",
            "structure.long",
            &format!("{words} words"),
        );
        return Complexity::MultiStep;
    }
    if targets.len() >= 3 {
        push(
            trace,
            "complexity",
            "structure.many_targets",
            &format!("{} targets", targets.len()),
        );
        return Complexity::MultiStep;
    }
    if matches!(task, TaskType::Answer | TaskType::MemoryPersonal)
        && targets.is_empty()
        && words <= SHORT_WORDS
    {
        push(
            trace,
            "complexity",
            "structure.short_answer",
            &format!("{words} words"),
        );
        return Complexity::Trivial;
    }
    push(trace, "complexity", "default.bounded", "");
    Complexity::Bounded
}

/// Output kind, risk and side effects a task type has unless a rule says otherwise.
fn defaults(task: TaskType) -> (OutputKind, Risk, SideEffects) {
    use TaskType::*;
    match task {
        Answer => (OutputKind::Text, Risk::Low, SideEffects::None),
        Review => (OutputKind::Explanation, Risk::Low, SideEffects::None),
        CodeChange => (OutputKind::Patch, Risk::Medium, SideEffects::Immediate),
        Debug => (OutputKind::Patch, Risk::Medium, SideEffects::Immediate),
        Plan => (OutputKind::Plan, Risk::Low, SideEffects::None),
        Operate => (
            OutputKind::CommandResult,
            Risk::Medium,
            SideEffects::Immediate,
        ),
        Research => (OutputKind::Text, Risk::Low, SideEffects::None),
        MemoryPersonal => (OutputKind::Fact, Risk::Low, SideEffects::Immediate),
        Unknown => (OutputKind::Text, Risk::Medium, SideEffects::Immediate),
    }
}

/// The snake_case name of a task type (as in the TSV and the JSON).
pub fn task_name(task: TaskType) -> &'static str {
    use TaskType::*;
    match task {
        Answer => "answer",
        Review => "review",
        CodeChange => "code_change",
        Debug => "debug",
        Plan => "plan",
        Operate => "operate",
        Research => "research",
        MemoryPersonal => "memory_personal",
        Unknown => "unknown",
    }
}

/// Paths, URLs and issue references in the text, in order, without duplicates.
pub fn find_targets(message: &str) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    let mut add = |kind, text: &str| {
        if !out.iter().any(|t| t.text == text) {
            out.push(Target {
                kind,
                text: text.to_string(),
            });
        }
    };
    let mut prev = "";
    for raw in message.split_whitespace() {
        let word = raw
            .trim_start_matches(['`', '"', '\'', '(', '[', '<'])
            .trim_end_matches(|c: char| {
                matches!(
                    c,
                    '`' | '"' | '\'' | ')' | ']' | '>' | ',' | ';' | ':' | '!' | '?' | '.'
                )
            });
        if word.starts_with("http://") || word.starts_with("https://") {
            add(TargetKind::Url, word);
        } else if let Some(n) = word.strip_prefix('#').filter(|n| is_number(n)) {
            add(TargetKind::Issue, &format!("#{n}"));
        } else if is_number(word)
            && matches!(
                prev.to_lowercase().as_str(),
                "issue" | "pr" | "ticket" | "bug"
            )
        {
            add(TargetKind::Issue, &format!("#{word}"));
        } else if is_path(word) {
            add(TargetKind::Path, word);
        }
        prev = word;
    }
    out
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_path(word: &str) -> bool {
    if word.len() < 3 || word.contains("://") || word.starts_with('-') {
        return false;
    }
    let ok_chars = word
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '~'));
    if !ok_chars {
        return false;
    }
    let has_ext = word.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && PATH_EXTENSIONS.contains(&ext.to_lowercase().as_str())
    });
    let slashed = word.contains('/')
        && word.split('/').filter(|s| !s.is_empty()).count() >= 2
        && word.chars().any(char::is_alphabetic);
    has_ext || slashed || word.starts_with("./") || word.starts_with("~/")
}
