//! What the model is told about the memory tools (run by `runtime::memory_tool`), offered only
//! when `[memory] enabled`.

use serde_json::{Value, json};

use crate::protocol::RiskLevel;
use crate::provider::ToolDef;

pub const SEARCH: &str = "memory_search";
pub const GET: &str = "memory_get";
pub const WRITE: &str = "memory_write";
pub const FORGET: &str = "memory_forget";

pub const NAMES: [&str; 4] = [SEARCH, GET, WRITE, FORGET];

pub fn is_memory_tool(name: &str) -> bool {
    NAMES.contains(&name)
}

pub fn risk(name: &str) -> RiskLevel {
    if name == SEARCH || name == GET {
        RiskLevel::ReadOnly
    } else {
        RiskLevel::Write
    }
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

const SCOPE: &str = "user: applies everywhere (the user's preferences, habits, facts about them); \
    project: only about this project/codebase (its build, conventions, decisions).";

/// The four tool definitions (`read_only`: search and get only, for plan mode).
pub fn definitions(read_only: bool) -> Vec<ToolDef> {
    let mut defs = vec![
        ToolDef {
            name: SEARCH.into(),
            description: "Search long-term memory (the user's notes and facts you saved) and past \
                conversations of this project. Use it when the user refers to something from \
                before (\"what did we decide about X\", \"as I told you\"), or before asking the \
                user something they may have told you already. Hits give path, lines, snippet, \
                score and id (memory) or session_id/item_id (past conversations)."
                .into(),
            parameters: object(
                json!({
                    "query": {"type": "string", "description": "Words or a phrase to look for."},
                    "scope": {"type": "string", "enum": ["user", "project", "all"], "description": "Which memory: user, project or all (default all)."},
                    "k": {"type": "integer", "minimum": 1, "maximum": 50, "description": "How many hits (default 8)."}
                }),
                &["query"],
            ),
        },
        ToolDef {
            name: GET.into(),
            description: "Read a memory file (e.g. \"MEMORY.md\", \"build.md\") or one entry by \
                its id, optionally only lines start_line..end_line."
                .into(),
            parameters: object(
                json!({
                    "target": {"type": "string", "description": "A file name/path from memory_search, or an entry id."},
                    "start_line": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer", "minimum": 1}
                }),
                &["target"],
            ),
        },
    ];
    if read_only {
        return defs;
    }
    defs.push(ToolDef {
        name: WRITE.into(),
        description: "Save something to long-term memory so future sessions know it. When the \
            user says \"remember …\" call this ONCE with the fact as `text`, e.g. \
            {\"text\": \"Prefers tabs over spaces for indentation.\"} — mode defaults to append, \
            scope to user, file to the core MEMORY.md (always in your prompt). Write one short, \
            self-contained fact per call, in the third person. Use scope \"project\" for facts \
            about this codebase. Put longer or topical notes in a topic file (file: \
            \"build.md\"); the core file has a size cap and you are told when it is full. When \
            a fact changed, use mode \"supersede\" with target = the old entry's id (or a \
            passage of it): the old one stays in history, out of recall. Never save secrets."
            .into(),
        parameters: object(
            json!({
                "text": {"type": "string", "description": "The fact, preference or procedure to remember."},
                "mode": {"type": "string", "enum": ["append", "create", "replace", "supersede"], "description": "append (default): add to the file; create: a new topic file; replace: rewrite an entry (target); supersede: the fact changed — mark the old entry (target) superseded and add the new one."},
                "scope": {"type": "string", "enum": ["user", "project"], "description": SCOPE},
                "file": {"type": "string", "description": "Topic file name, e.g. \"build.md\" (default: the core MEMORY.md)."},
                "kind": {"type": "string", "enum": ["semantic", "episodic", "procedural"], "description": "semantic: a fact or preference; episodic: something that happened; procedural: how to do something."},
                "target": {"type": "string", "description": "For replace/supersede: the old entry's id or a passage of its text."}
            }),
            &["text"],
        ),
    });
    defs.push(ToolDef {
        name: FORGET.into(),
        description: "Forget a memory entry: its text is removed from the memory files and the \
            index. Use when the user asks you to forget something, or a saved fact is wrong and \
            there is nothing to replace it with."
            .into(),
        parameters: object(
            json!({
                "target": {"type": "string", "description": "The entry's id (from memory_search) or a passage of its text."}
            }),
            &["target"],
        ),
    });
    defs
}
