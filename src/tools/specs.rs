//! What the model is told about the builtin file and web tools, and dispatch by name.

use serde_json::{Value, json};

use crate::protocol::RiskLevel;
use crate::tools::context::{ToolContext, ToolOutput};
use crate::tools::{edit_file, glob, grep, list_dir, read_file, web_fetch, write_file};

#[derive(Debug, Clone, PartialEq)]
pub struct ToolSpec {
    pub name: &'static str,
    pub description: &'static str,
    /// JSON Schema of the arguments object.
    pub schema: Value,
    pub risk: RiskLevel,
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// The seven builtin file and web tools.
pub fn file_tool_specs() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "read_file",
            description: "Read a UTF-8 text file. Output starts with a header giving the path, \
                the line range and the total number of lines; every line is prefixed with its \
                number and `│` (the prefix is not part of the file). Files over the size \
                limit (256 KB by default) must be read in parts with start_line/end_line; a \
                range's output is capped at the same size. Binary files are refused. Read \
                a file before editing it, and read it again if an edit fails.",
            schema: object(
                json!({
                    "path": {"type": "string", "description": "File path, relative to the workspace root (or absolute)."},
                    "start_line": {"type": "integer", "minimum": 1, "description": "First line to read (1-based, inclusive). Default: 1."},
                    "end_line": {"type": "integer", "minimum": 1, "description": "Last line to read (1-based, inclusive). Default: end of file."}
                }),
                &["path"],
            ),
            risk: RiskLevel::ReadOnly,
        },
        ToolSpec {
            name: "list_dir",
            description: "List one directory (not recursive): subdirectories first with a `/` \
                suffix, then files with their sizes; symlinks show `→ target`. `.git` is \
                skipped, other hidden entries are shown. Long listings are capped. Use it to \
                get oriented; use glob to find files by name across subdirectories.",
            schema: object(
                json!({
                    "path": {"type": "string", "description": "Directory to list, relative to the workspace root. Default: the workspace root."}
                }),
                &[],
            ),
            risk: RiskLevel::ReadOnly,
        },
        ToolSpec {
            name: "glob",
            description: "Find files and directories whose path (relative to `path`) matches a \
                glob pattern, e.g. `**/*.rs`, `src/**/mod.rs`, `*.{json,toml}`. `*` does not \
                cross `/`; use `**/` to search subdirectories. Respects .gitignore and skips \
                hidden files unless the pattern names them. Returns sorted paths relative to \
                the workspace, capped (the rest is counted).",
            schema: object(
                json!({
                    "pattern": {"type": "string", "description": "Glob pattern matched against paths relative to `path`, e.g. `**/*.rs`."},
                    "path": {"type": "string", "description": "Directory to search under. Default: the workspace root."}
                }),
                &["pattern"],
            ),
            risk: RiskLevel::ReadOnly,
        },
        ToolSpec {
            name: "grep",
            description: "Search file contents with a regular expression (Rust regex syntax, \
                like ripgrep) and return `path:line: text` for each matching line; long lines \
                are trimmed. Respects .gitignore and skips hidden and binary files. Results are \
                capped and further matches are counted. Use it to find definitions and usages \
                before reading files.",
            schema: object(
                json!({
                    "pattern": {"type": "string", "description": "Regular expression, e.g. `fn\\s+main` or `TODO`. Escape regex metacharacters to search literal text."},
                    "path": {"type": "string", "description": "File or directory to search. Default: the workspace root."},
                    "glob": {"type": "string", "description": "Only search files matching this glob, e.g. `*.rs` (file name) or `src/**/*.ts` (path)."},
                    "case_insensitive": {"type": "boolean", "description": "Ignore case. Default: false."},
                    "max_results": {"type": "integer", "minimum": 1, "description": "Most matching lines to return (at most the configured cap)."}
                }),
                &["pattern"],
            ),
            risk: RiskLevel::ReadOnly,
        },
        ToolSpec {
            name: "write_file",
            description: "Create a file or replace its whole content, creating missing parent \
                directories. The write is atomic and keeps the permissions of a replaced file. \
                Use it for new files or complete rewrites; prefer edit_file for changing part \
                of an existing file.",
            schema: object(
                json!({
                    "path": {"type": "string", "description": "File path, relative to the workspace root."},
                    "content": {"type": "string", "description": "The complete new content of the file."}
                }),
                &["path", "content"],
            ),
            risk: RiskLevel::Write,
        },
        ToolSpec {
            name: "edit_file",
            description: "Replace exact text in an existing file. old_text must match the file \
                exactly (whitespace and indentation included, without the line-number prefix \
                read_file shows) and must be unique unless replace_all is true; include a few \
                surrounding lines to make it unique. If it fails, read the file again before \
                retrying. Returns the changed line range.",
            schema: object(
                json!({
                    "path": {"type": "string", "description": "File path, relative to the workspace root."},
                    "old_text": {"type": "string", "description": "The exact text to replace (not empty)."},
                    "new_text": {"type": "string", "description": "The replacement text (may be empty to delete)."},
                    "replace_all": {"type": "boolean", "description": "Replace every occurrence instead of requiring a unique match. Default: false."}
                }),
                &["path", "old_text", "new_text"],
            ),
            risk: RiskLevel::Write,
        },
        ToolSpec {
            name: "web_fetch",
            description: "Fetch a web page or text document with an HTTP GET and return it as \
                plain text (HTML is converted to text). Only http/https; HTML, text, JSON and \
                XML only (other types are refused); large bodies are truncated and slow servers \
                time out. Use it to read documentation or an API reference the user points to.",
            schema: object(
                json!({
                    "url": {"type": "string", "description": "Absolute http:// or https:// URL."}
                }),
                &["url"],
            ),
            risk: RiskLevel::Network,
        },
    ]
}

/// Runs the builtin tool `name`; `None` when no builtin tool has that name.
pub async fn run(name: &str, ctx: &ToolContext, args: &Value) -> Option<ToolOutput> {
    Some(match name {
        "read_file" => read_file(ctx, args).await,
        "list_dir" => list_dir(ctx, args).await,
        "glob" => glob(ctx, args).await,
        "grep" => grep(ctx, args).await,
        "write_file" => write_file(ctx, args).await,
        "edit_file" => edit_file(ctx, args).await,
        "web_fetch" => web_fetch(ctx, args).await,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_strict_objects() {
        let specs = file_tool_specs();
        assert_eq!(specs.len(), 7);
        for spec in &specs {
            assert_eq!(spec.schema["type"], "object", "{}", spec.name);
            assert_eq!(spec.schema["additionalProperties"], false, "{}", spec.name);
            let props = spec.schema["properties"].as_object().unwrap();
            for (name, prop) in props {
                assert!(prop["type"].is_string(), "{}.{name}", spec.name);
                assert!(prop["description"].is_string(), "{}.{name}", spec.name);
            }
            for req in spec.schema["required"].as_array().unwrap() {
                assert!(props.contains_key(req.as_str().unwrap()), "{}", spec.name);
            }
        }
    }
}
