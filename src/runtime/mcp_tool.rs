//! MCP tools in a turn. The hub's ready servers offer their tools as `mcp__SERVER__TOOL`, each
//! schema in the request — or, when those schemas would take more than `[mcp]
//! schema_budget_percent` of the model's context window (10 % by default), two tools instead: `mcp_search` (find tools by words, with their schemas)
//! and `mcp_call` (call one by name). Either way a call becomes a `Prepared` named after the
//! real tool, so the gate, rules such as `mcp__SERVER__*`, a server's own `mode`, the audit log
//! and the tool cells treat it like any other call. A result is untrusted content: it marks the
//! turn (`tool_call.rs`) and is wrapped as such for the model (`tools/envelope.rs`).

use serde_json::{Map, Value, json};

use super::turn::TurnEnv;
use crate::mcp::hub::{Hub, OfferedTool};
use crate::policy::{CallSubject, SubjectKind};
use crate::protocol::{ApprovalMode, RiskLevel, ToolStatus};
use crate::provider::{ToolCall, ToolDef};
use crate::tools::ToolOutput;
use crate::tools::registry::{Prepared, Rejected};

pub use crate::mcp::names::{CALL, SEARCH, is_mcp_tool as is_mcp_name};
/// Longest tool description offered (a server's text, cut).
const MAX_DESCRIPTION: usize = 1_024;
/// Tools one search returns at most.
const SEARCH_HITS: usize = 8;

/// How this turn offers the MCP tools.
#[derive(Clone)]
pub struct McpTurn {
    pub hub: Hub,
    /// `mcp_search` + `mcp_call` instead of every schema.
    pub search: bool,
}

impl McpTurn {
    /// The definitions for the next request (the hub's tools as they are now: a changed list
    /// shows up in the next request). `read_only_only` (plan mode, a restricted skill): the
    /// read-only ones only, as for built-in tools.
    pub fn definitions(&self, read_only_only: bool) -> Vec<ToolDef> {
        let offered = self.hub.offered();
        let defs = if self.search {
            search_defs()
        } else {
            direct_defs(&offered)
        };
        if !read_only_only {
            return defs;
        }
        let read_only = read_only_names(&offered, self.search);
        defs.into_iter()
            .filter(|d| read_only.contains(&d.name))
            .collect()
    }

    /// Whether a tool of this name exists now (offered or not).
    pub fn exists(&self, name: &str) -> bool {
        if self.search {
            name == SEARCH || name == CALL
        } else {
            self.hub.resolve(name).is_some()
        }
    }

    /// Whether the tool of this name is read-only: its server's annotations say so and the
    /// user trusts them; `mcp_search`; `mcp_call` when some tool it reaches is read-only (the
    /// gate then judges the tool it names).
    pub fn read_only(&self, name: &str) -> bool {
        self.read_only_names().iter().any(|n| n == name)
    }

    /// The names [`McpTurn::read_only`] holds true for.
    pub fn read_only_names(&self) -> Vec<String> {
        read_only_names(&self.hub.offered(), self.search)
    }

    /// Every name the turn could offer.
    pub fn names(&self) -> Vec<String> {
        self.definitions(false)
            .into_iter()
            .map(|d| d.name)
            .collect()
    }
}

/// The names among the offered ones (or the fallback pair) that are read-only.
fn read_only_names(offered: &[OfferedTool], search: bool) -> Vec<String> {
    let direct = offered
        .iter()
        .filter(|t| t.read_only)
        .map(|t| t.name.clone());
    if !search {
        return direct.collect();
    }
    let mut names = vec![SEARCH.to_string()];
    if offered.iter().any(|t| t.read_only) {
        names.push(CALL.to_string());
    }
    names
}

/// How a turn offers the MCP tools (see [`choose`]).
pub struct McpOffer {
    pub defs: Vec<ToolDef>,
    /// Which of them are read-only ([`McpTurn::read_only`]).
    pub read_only: Vec<String>,
    /// Which way they are offered, for `/context`.
    pub note: String,
}

/// The way to offer `hub`'s tools for a model with `window` tokens: every schema, or the
/// search fallback when they would take more than `percent` % of the window. `None` when no
/// server is ready.
pub fn choose(hub: &Hub, window: u64, percent: u8) -> Option<McpOffer> {
    let offered = hub.offered();
    if offered.is_empty() {
        return None;
    }
    let direct = direct_defs(&offered);
    let tokens = schema_tokens(&direct);
    let budget = window.saturating_mul(u64::from(percent)) / 100;
    let search = window > 0 && tokens > budget;
    let note = if search {
        format!(
            "MCP: {} tools (~{tokens} tokens of schemas) exceed {percent}% of the {window}-token window ([mcp] schema_budget_percent): offered as {SEARCH} + {CALL}",
            offered.len()
        )
    } else {
        format!(
            "MCP: {} tools offered directly (~{tokens} tokens of schemas, {percent}% of the window allowed)",
            offered.len()
        )
    };
    Some(McpOffer {
        defs: if search { search_defs() } else { direct },
        read_only: read_only_names(&offered, search),
        note,
    })
}

/// Estimated tokens of some definitions: the pipeline's own estimate of each definition as it
/// is sent (name, description, schema and the request's wrapper around them), so the budget is
/// checked against what the request will really carry.
pub fn schema_tokens(defs: &[ToolDef]) -> u64 {
    defs.iter().map(crate::pipeline::tool_def_tokens).sum()
}

fn description(tool: &OfferedTool) -> String {
    let text = tool.tool.description.as_deref().unwrap_or("");
    let clean = crate::text::sanitize(text);
    let cut: String = clean.chars().take(MAX_DESCRIPTION).collect();
    format!("[MCP server {}] {cut}", tool.server)
}

fn direct_defs(offered: &[OfferedTool]) -> Vec<ToolDef> {
    offered
        .iter()
        .map(|t| ToolDef {
            name: t.name.clone(),
            description: description(t),
            parameters: Value::Object((*t.tool.input_schema).clone()),
        })
        .collect()
}

fn search_defs() -> Vec<ToolDef> {
    vec![
        ToolDef {
            name: SEARCH.into(),
            description: "Find tools of the connected MCP servers by what they do. Returns \
                          matching tool names with their argument schemas; call one with mcp_call."
                .into(),
            parameters: json!({
                "type": "object",
                "properties": {"query": {"type": "string", "description": "words describing the tool"}},
                "required": ["query"]
            }),
        },
        ToolDef {
            name: CALL.into(),
            description: "Call an MCP tool found with mcp_search, by its full name.".into(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "tool": {"type": "string", "description": "the name mcp_search gave, mcp__SERVER__TOOL"},
                    "arguments": {"type": "object", "description": "the tool's arguments"}
                },
                "required": ["tool"]
            }),
        },
    ]
}

/// Whether this call is one of the turn's MCP tools.
pub fn handles(env: &TurnEnv, name: &str) -> bool {
    env.mcp.is_some() && is_mcp_name(name)
}

/// The approval mode for this call: its server's `mode`, else the session's.
pub fn mode_for(env: &TurnEnv, p: &Prepared) -> Option<ApprovalMode> {
    let hub = &env.mcp.as_ref()?.hub;
    hub.resolve(&p.name).and_then(|(cfg, _, _)| cfg.mode)
}

/// Check the call and describe it for the gate, named after the real tool.
pub fn prepare(env: &TurnEnv, call: &ToolCall) -> Result<Prepared, Rejected> {
    let reject = |message: String| Rejected {
        summary: format!("{} (invalid arguments)", call.name),
        message,
    };
    let args: Value = serde_json::from_str(&call.arguments).map_err(|e| {
        reject(format!(
            "The arguments are not valid JSON ({e}). Send a JSON object matching the tool's schema."
        ))
    })?;
    let Some(mcp) = &env.mcp else {
        return Err(reject("MCP is not enabled in this session.".into()));
    };
    if call.name == SEARCH {
        let query = args.get("query").and_then(Value::as_str).unwrap_or("");
        return Ok(Prepared {
            call_id: call.id.clone(),
            name: SEARCH.into(),
            summary: format!("Search MCP tools for {query:?}"),
            risk: RiskLevel::ReadOnly,
            subject: CallSubject::new(SEARCH, SubjectKind::Other, query),
            inside_workspace: true,
            suggested_rule: SEARCH.into(),
            command: None,
            args,
        });
    }
    let (tool, arguments) = if call.name == CALL {
        let Some(tool) = args.get("tool").and_then(Value::as_str) else {
            return Err(reject(
                "mcp_call needs `tool`: a name mcp_search returned.".into(),
            ));
        };
        let arguments = args.get("arguments").cloned().unwrap_or(json!({}));
        (tool.to_string(), arguments)
    } else {
        (call.name.clone(), args)
    };
    if !arguments.is_object() {
        return Err(reject(format!(
            "The arguments of {tool} must be a JSON object."
        )));
    }
    let Some(offered) = mcp.hub.offered().into_iter().find(|t| t.name == tool) else {
        let connecting = mcp.hub.connecting();
        let why = if connecting.is_empty() {
            String::from("no connected MCP server offers it")
        } else {
            format!("servers still connecting: {}", connecting.join(", "))
        };
        return Err(Rejected {
            summary: format!("{tool} (not available)"),
            message: format!("`{tool}` is not available ({why}). Use another tool."),
        });
    };
    let shown = crate::text::sanitize(&arguments.to_string()).into_owned();
    let short: String = shown.chars().take(120).collect();
    Ok(Prepared {
        call_id: call.id.clone(),
        name: tool.clone(),
        summary: format!("{tool} {short}"),
        risk: if offered.read_only {
            RiskLevel::ReadOnly
        } else {
            RiskLevel::Network
        },
        subject: CallSubject::new(tool.clone(), SubjectKind::Other, shown),
        inside_workspace: true,
        suggested_rule: tool,
        command: None,
        args: arguments,
    })
}

/// Run a prepared MCP call (or a search).
pub async fn run(env: &TurnEnv, p: &Prepared) -> ToolOutput {
    let Some(mcp) = &env.mcp else {
        return output(
            ToolStatus::Error,
            "MCP is not enabled in this session".into(),
        );
    };
    if p.name == SEARCH {
        let query = p.args.get("query").and_then(Value::as_str).unwrap_or("");
        return output(ToolStatus::Ok, search(&mcp.hub.offered(), query));
    }
    let Some((_, tool, conn)) = mcp.hub.resolve(&p.name) else {
        return output(
            ToolStatus::Error,
            format!("{}: its server is no longer connected", p.name),
        );
    };
    let arguments = match &p.args {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    match conn.call(&tool, arguments).await {
        Ok(result) => {
            let (text, is_error) = crate::mcp::result::render(&result);
            let status = if is_error {
                ToolStatus::Error
            } else {
                ToolStatus::Ok
            };
            output(status, text)
        }
        Err(e @ crate::mcp::client::McpError::CallTimeout { .. }) => {
            output(ToolStatus::TimedOut, e.to_string())
        }
        Err(e) => output(ToolStatus::Error, e.to_string()),
    }
}

fn output(status: ToolStatus, text: String) -> ToolOutput {
    ToolOutput {
        text,
        status,
        exit_code: None,
    }
}

/// The tools whose name or description has the most of the query's words, with schemas.
fn search(offered: &[OfferedTool], query: &str) -> String {
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut scored: Vec<(usize, &OfferedTool)> = offered
        .iter()
        .map(|t| {
            let hay = format!("{} {}", t.name, t.tool.description.as_deref().unwrap_or(""))
                .to_lowercase();
            (words.iter().filter(|w| hay.contains(w.as_str())).count(), t)
        })
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    if scored.is_empty() {
        let some: Vec<&str> = offered.iter().take(30).map(|t| t.name.as_str()).collect();
        return format!(
            "No MCP tool matches {query:?}. {} tools exist, among them: {}",
            offered.len(),
            some.join(", ")
        );
    }
    let mut out = String::new();
    for (_, t) in scored.into_iter().take(SEARCH_HITS) {
        out.push_str(&format!(
            "{}: {}\n  arguments schema: {}\n",
            t.name,
            description(t),
            Value::Object((*t.tool.input_schema).clone())
        ));
    }
    out.push_str("Call one with mcp_call {\"tool\": NAME, \"arguments\": {…}}.");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(name: &str, description: &str) -> OfferedTool {
        let schema = json!({"type": "object", "properties": {"x": {"type": "string"}}})
            .as_object()
            .cloned()
            .unwrap_or_default();
        OfferedTool {
            name: format!("mcp__s__{name}"),
            server: "s".into(),
            tool: rmcp::model::Tool::new(
                name.to_string(),
                description.to_string(),
                std::sync::Arc::new(schema),
            ),
            read_only: false,
        }
    }

    #[test]
    fn search_ranks_by_words_and_lists_names_when_nothing_matches() {
        let tools = vec![
            tool("echo", "Echo the text back"),
            tool("weather", "Weather forecast for a city"),
            tool("city_map", "A map of a city"),
        ];
        let out = search(&tools, "weather city");
        let first = out.lines().next().unwrap_or_default();
        assert!(first.starts_with("mcp__s__weather:"), "{out}");
        assert!(out.contains("mcp__s__city_map"), "{out}");
        assert!(!out.contains("mcp__s__echo"), "{out}");
        assert!(out.contains("arguments schema"), "{out}");
        let none = search(&tools, "database");
        assert!(none.contains("No MCP tool matches") && none.contains("mcp__s__echo"));
    }

    #[test]
    fn schema_tokens_grow_with_the_tools() {
        let one = direct_defs(&[tool("a", "x")]);
        let many = direct_defs(
            &(0..200)
                .map(|i| tool(&format!("t{i}"), "x"))
                .collect::<Vec<_>>(),
        );
        assert!(schema_tokens(&many) > 150 * schema_tokens(&one));
        assert!(is_mcp_name("mcp__git__status") && is_mcp_name(SEARCH) && is_mcp_name(CALL));
        assert!(!is_mcp_name("read_file"));
    }

    /// The budget check must not undercount: the estimate covers each definition as an
    /// OpenAI-style request carries it (206 fixture tools were estimated under a 128k window's
    /// 10 % while the request carried 11 %).
    #[test]
    fn schema_tokens_cover_the_definitions_as_sent() {
        let defs = direct_defs(
            &(0..206)
                .map(|i| tool(&format!("tool_{i}"), "Does one thing with x"))
                .collect::<Vec<_>>(),
        );
        let wire: usize = defs
            .iter()
            .map(|d| {
                json!({"type": "function", "function": {
                    "name": d.name, "description": d.description, "parameters": d.parameters
                }})
                .to_string()
                .len()
            })
            .sum();
        assert!(
            schema_tokens(&defs) * 4 >= wire as u64,
            "{} < {wire}",
            schema_tokens(&defs) * 4
        );
    }
}
