//! The classification rules as data: one row per rule — an id (shown in the decision trace),
//! a language, a signal (keywords, or a structure of the text) and what it votes for.
//!
//! Keywords: a plain word matches a whole word; `word*` matches words starting with `word`;
//! a pattern with a space matches that phrase (words in order, whole words). Matching is on
//! the lowercased text. To change how messages are classified, edit this table and the
//! labelled examples in `tests/data/task_specs.tsv`.

use crate::protocol::TaskType;

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Keywords(&'static [&'static str]),
    /// The text ends with `?` or starts with a question word.
    Question,
    /// A file path (`src/main.rs`, `Cargo.toml`).
    HasPath,
    HasUrl,
    /// A fenced code block.
    CodeBlock,
    /// Compiler / runtime error output pasted in.
    ErrorOutput,
}

/// What a matching rule votes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    Task(TaskType, u8),
    MultiStep,
    HighRisk,
    Proposed,
}

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub lang: &'static str,
    pub signal: Signal,
    pub vote: Vote,
}

const fn kw(
    id: &'static str,
    lang: &'static str,
    words: &'static [&'static str],
    vote: Vote,
) -> Rule {
    Rule {
        id,
        lang,
        signal: Signal::Keywords(words),
        vote,
    }
}

const fn structure(id: &'static str, signal: Signal, vote: Vote) -> Rule {
    Rule {
        id,
        lang: "",
        signal,
        vote,
    }
}

use TaskType::*;
use Vote::Task;

pub const RULES: &[Rule] = &[
    // Memory and the user themself.
    kw(
        "memory.en",
        "en",
        &[
            "remember",
            "forget what",
            "forget that",
            "my name",
            "call me",
            "i prefer",
            "my preference*",
            "about me",
            "do you know me",
            "recall what",
            "my favourite",
            "my favorite",
        ],
        Task(MemoryPersonal, 4),
    ),
    kw(
        "memory.de",
        "de",
        &[
            "merk dir",
            "merke dir",
            "merk*",
            "vergiss",
            "erinnere dich",
            "erinnerst du dich",
            "mein name",
            "ich heiße",
            "nenn mich",
            "ich bevorzuge",
            "über mich",
            "meine vorliebe*",
            "mein lieblings*",
        ],
        Task(MemoryPersonal, 4),
    ),
    // Something is broken.
    kw(
        "debug.en",
        "en",
        &[
            "bug",
            "bugs",
            "error",
            "errors",
            "crash*",
            "panic*",
            "fails",
            "failing",
            "failed",
            "failure",
            "broken",
            "doesn't work",
            "does not work",
            "not working",
            "debug*",
            "stack trace",
            "traceback",
            "exception",
            "segfault*",
            "regression",
            "why does",
            "why is",
            "hangs",
            "flaky",
            "leak*",
        ],
        Task(Debug, 3),
    ),
    kw(
        "debug.de",
        "de",
        &[
            "fehler",
            "fehlers",
            "fehlermeldung",
            "absturz",
            "stürzt",
            "abgestürzt",
            "funktioniert nicht",
            "geht nicht",
            "schlägt fehl",
            "fehlgeschlagen",
            "kaputt",
            "debug*",
            "warum",
            "hängt",
        ],
        Task(Debug, 3),
    ),
    // Change code or text.
    kw(
        "change.en",
        "en",
        &[
            "add",
            "implement*",
            "change",
            "modify",
            "update",
            "rename*",
            "refactor*",
            "rewrite",
            "edit",
            "replace",
            "fix",
            "remove",
            "delete",
            "bump",
            "convert",
            "port",
            "create",
            "write",
            "make it",
            "move",
            "extract",
            "introduce",
            "support",
            "upgrade",
            "split",
        ],
        Task(CodeChange, 2),
    ),
    kw(
        "change.de",
        "de",
        &[
            "änder*",
            "füge",
            "hinzufüg*",
            "implementier*",
            "schreib*",
            "ersetz*",
            "umbenenn*",
            "benenne",
            "refaktor*",
            "korrigier*",
            "behebe",
            "beheb*",
            "repariere",
            "aktualisier*",
            "entfern*",
            "lösche",
            "erstelle",
            "verschieb*",
            "erweiter*",
            "baue",
        ],
        Task(CodeChange, 2),
    ),
    // Look at something that exists.
    kw(
        "review.en",
        "en",
        &[
            "review*",
            "explain*",
            "what does",
            "how does",
            "walk me through",
            "summar*",
            "read",
            "look at",
            "audit",
            "understand",
            "describe",
            "is this correct",
            "is this right",
            "what's wrong with",
        ],
        Task(Review, 3),
    ),
    kw(
        "review.de",
        "de",
        &[
            "erklär*",
            "überprüf*",
            "prüf*",
            "review*",
            "was macht",
            "wie funktioniert",
            "lies",
            "durchsehen",
            "bewert*",
            "zusammenfass*",
            "beschreib*",
            "schau dir",
        ],
        Task(Review, 3),
    ),
    // Think before acting.
    kw(
        "plan.en",
        "en",
        &[
            "plan",
            "design*",
            "architect*",
            "approach",
            "strategy",
            "roadmap",
            "how should we",
            "how should i",
            "outline",
            "trade-off*",
            "tradeoff*",
            "pros and cons",
            "compare approaches",
        ],
        Task(Plan, 3),
    ),
    kw(
        "plan.de",
        "de",
        &[
            "plan*",
            "architektur",
            "entwurf",
            "entwirf",
            "konzept",
            "strategie",
            "wie sollten wir",
            "wie sollte ich",
            "vor- und nachteile",
            "vorgehen",
        ],
        Task(Plan, 3),
    ),
    // Run things.
    kw(
        "operate.en",
        "en",
        &[
            "run",
            "execute",
            "install*",
            "build",
            "compile",
            "commit",
            "push",
            "git",
            "deploy*",
            "start the server",
            "docker",
            "npm",
            "cargo",
            "make",
            "restart",
        ],
        Task(Operate, 2),
    ),
    kw(
        "operate.de",
        "de",
        &[
            "führe",
            "ausführ*",
            "starte",
            "installier*",
            "kompilier*",
            "committe",
            "pushe",
            "neu starten",
        ],
        Task(Operate, 2),
    ),
    // The web.
    kw(
        "research.en",
        "en",
        &[
            "search the web",
            "look up",
            "online",
            "documentation",
            "latest version",
            "release notes",
            "changelog of",
            "on the internet",
        ],
        Task(Research, 3),
    ),
    kw(
        "research.de",
        "de",
        &[
            "dokumentation",
            "im web",
            "im internet",
            "recherchier*",
            "neueste version",
            "versionshinweise",
        ],
        Task(Research, 3),
    ),
    // Plain questions.
    kw(
        "answer.en",
        "en",
        &[
            "what is",
            "what are",
            "who is",
            "who was",
            "how many",
            "how much",
            "define",
            "meaning of",
            "translate",
            "when did",
            "when was",
            "capital of",
            "difference between",
            "tell me a",
            "thanks",
            "thank you",
            "hello",
            "hi",
        ],
        Task(Answer, 2),
    ),
    kw(
        "answer.de",
        "de",
        &[
            "was ist",
            "was sind",
            "wer ist",
            "wer war",
            "wie viel*",
            "wieviel*",
            "definier*",
            "bedeutung von",
            "übersetz*",
            "wann war",
            "hauptstadt",
            "unterschied zwischen",
            "erzähl mir",
            "danke",
            "hallo",
        ],
        Task(Answer, 2),
    ),
    // Structure of the text.
    structure("structure.question", Signal::Question, Task(Answer, 1)),
    structure("structure.path", Signal::HasPath, Task(Review, 1)),
    structure("structure.url", Signal::HasUrl, Task(Research, 4)),
    structure("structure.code_block", Signal::CodeBlock, Task(Review, 1)),
    structure(
        "structure.error_output",
        Signal::ErrorOutput,
        Task(Debug, 4),
    ),
    // Complexity, risk, side effects.
    kw(
        "multi.en",
        "en",
        &[
            "and then",
            "all",
            "every",
            "everywhere",
            "across",
            "whole",
            "entire",
            "step by step",
            "end to end",
            "migrat*",
            "throughout",
            "each",
            "codebase",
        ],
        Vote::MultiStep,
    ),
    kw(
        "multi.de",
        "de",
        &[
            "und dann",
            "alle",
            "jede*",
            "überall",
            "gesamte*",
            "ganze*",
            "schritt für schritt",
            "migrier*",
            "komplett*",
        ],
        Vote::MultiStep,
    ),
    kw(
        "risk.en",
        "en",
        &[
            "delete",
            "rm -rf",
            "drop",
            "force",
            "force-push",
            "production",
            "prod",
            "deploy*",
            "credential*",
            "secret*",
            "password*",
            "sudo",
            "reset --hard",
            "wipe",
            "truncate",
            "purge",
            "chmod",
        ],
        Vote::HighRisk,
    ),
    kw(
        "risk.de",
        "de",
        &[
            "lösch*",
            "produktion*",
            "passw*",
            "zugangsdaten",
            "geheim*",
            "datenbank",
            "überschreib*",
        ],
        Vote::HighRisk,
    ),
    kw(
        "proposed.en",
        "en",
        &[
            "suggest*",
            "propose*",
            "how would",
            "how could",
            "how do i",
            "how can i",
            "how to",
            "should i",
            "what would",
            "dry run",
            "dry-run",
            "without changing",
            "don't change",
            "do not change",
            "idea*",
        ],
        Vote::Proposed,
    ),
    kw(
        "proposed.de",
        "de",
        &[
            "vorschlag*",
            "schlag",
            "wie würde",
            "wie könnte",
            "wie kann ich",
            "ohne zu ändern",
            "ändere nichts",
            "sollte ich",
            "idee*",
        ],
        Vote::Proposed,
    ),
];

/// Ties between task types go to the earlier one here (the more specific intent).
pub const TASK_PRIORITY: &[TaskType] = &[
    MemoryPersonal,
    Debug,
    CodeChange,
    Plan,
    Research,
    Review,
    Operate,
    Answer,
];

/// Words that say a message is German (for the trace and the language field).
pub const GERMAN_MARKERS: &[&str] = &[
    "ist", "der", "die", "das", "und", "nicht", "bitte", "wie", "was", "ich", "mir", "mein",
    "meine", "ein", "eine", "den", "dem", "warum", "im", "für", "mit", "auf", "es", "sich",
];

/// Words a question starts with.
pub const QUESTION_WORDS: &[&str] = &[
    "what", "why", "how", "who", "when", "where", "which", "was", "warum", "wie", "wer", "wann",
    "wo", "welche", "welcher",
];

/// File extensions that make a bare word a path (`Cargo.toml`, `main.rs`).
pub const PATH_EXTENSIONS: &[&str] = &[
    "rs", "py", "js", "ts", "tsx", "jsx", "md", "toml", "json", "yaml", "yml", "c", "h", "cc",
    "cpp", "hpp", "go", "java", "kt", "sh", "txt", "lock", "html", "css", "sql", "rb", "php",
    "swift", "lua", "cfg", "ini", "xml", "csv", "log", "conf", "nix", "zig",
];

/// Lines that look like pasted error output.
pub const ERROR_MARKERS: &[&str] = &[
    "error[e",
    "panicked at",
    "traceback (most recent call last)",
    "exception in thread",
    "segmentation fault",
    "undefined reference",
    "cannot find",
    "error:",
    "fatal:",
    "npm err!",
    "stack backtrace",
    "   at ",
];
