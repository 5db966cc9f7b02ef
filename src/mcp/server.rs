//! `pincer mcp serve`: pincer's own tools for another MCP client (another agent, an editor),
//! over stdio. Only the tools in `[mcp_server] tools` are listed (read-only ones by default);
//! every call is prepared, judged by the same rules, mode and protected paths as a headless
//! run — what would ask is refused, since no one is there to answer — run with the workspace
//! confinement and sandbox unchanged, and its output redacted.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, TextContent, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use crate::policy::Verdict;
use crate::protocol::RiskLevel;
use crate::provider::ToolCall;
use crate::runtime::{RuntimeSettings, SharedGate, build_gate};
use crate::tools::context::{ToolContext, ToolLimits};
use crate::tools::registry::ToolBox;
use crate::tools::shell::ShellEnv;

/// pincer's tools as an MCP server.
pub struct PincerServer {
    toolbox: ToolBox,
    allowed: Vec<String>,
    gate: SharedGate,
    ctx: ToolContext,
    shell_env: ShellEnv,
}

impl PincerServer {
    /// `allowed`: tool names to serve (unknown names are ignored with a log line).
    pub fn new(settings: &RuntimeSettings, allowed: &[String]) -> PincerServer {
        let toolbox = ToolBox::builtin();
        let known = toolbox.names();
        let allowed: Vec<String> = allowed
            .iter()
            .filter(|name| {
                let ok = known.contains(&name.as_str());
                if !ok {
                    tracing::warn!("[mcp_server] tools: `{name}` is not a pincer tool; skipped");
                }
                ok
            })
            .cloned()
            .collect();
        let limits = &settings.config.limits;
        let gate = build_gate(settings);
        let sandboxed = gate.lock().sandbox_available;
        PincerServer {
            toolbox,
            allowed,
            gate,
            ctx: ToolContext {
                workspace: settings.workspace.clone(),
                temp_dir: settings.temp_dir.clone(),
                limits: ToolLimits {
                    shell_timeout: std::time::Duration::from_secs(limits.shell_timeout_secs),
                    ..ToolLimits::default()
                },
                outside_workspace_approved: false,
            },
            shell_env: ShellEnv {
                exe: settings.exe.clone(),
                sandboxed,
                default_timeout: std::time::Duration::from_secs(limits.shell_timeout_secs),
                env: crate::tools::shell::env_filter(&settings.config),
            },
        }
    }

    /// The served tools with their schemas.
    pub fn tools(&self) -> Vec<Tool> {
        self.allowed
            .iter()
            .filter_map(|name| self.toolbox.spec(name))
            .map(|spec| {
                let schema = match &spec.schema {
                    Value::Object(m) => m.clone(),
                    _ => Map::new(),
                };
                let mut tool = Tool::new(spec.name, spec.description, Arc::new(schema));
                if spec.risk == RiskLevel::ReadOnly {
                    let mut hints = rmcp::model::ToolAnnotations::default();
                    hints.read_only_hint = Some(true);
                    tool.annotations = Some(hints);
                }
                tool
            })
            .collect()
    }

    /// One call: (text, is_error).
    pub async fn call(&self, name: &str, arguments: Map<String, Value>) -> (String, bool) {
        if !self.allowed.iter().any(|a| a == name) {
            return (
                format!("`{name}` is not served; add it to [mcp_server] tools in pincer's config"),
                true,
            );
        }
        let call = ToolCall {
            id: "mcp".into(),
            name: name.to_string(),
            arguments: Value::Object(arguments).to_string(),
        };
        let prepared = match self.toolbox.prepare(&self.ctx, &call) {
            Ok(p) => p,
            Err(rejected) => return (rejected.message, true),
        };
        let verdict = self.gate.lock().decide(&prepared, None);
        match verdict {
            Verdict::Deny { by, reason } => (format!("Not run: {reason} ({by})."), true),
            Verdict::Ask { reason } => (
                format!(
                    "Not run: this call needs the user's approval ({reason}) and `pincer mcp \
                     serve` cannot ask. The user can allow it with a rule such as `{}` in \
                     pincer's config.",
                    prepared.suggested_rule
                ),
                true,
            ),
            Verdict::Allow { .. } => {
                let mut ctx = self.ctx.clone();
                ctx.outside_workspace_approved = !prepared.inside_workspace;
                let out = self
                    .toolbox
                    .execute(&ctx, &prepared, &self.shell_env, CancellationToken::new())
                    .await;
                let failed = out.status != crate::protocol::ToolStatus::Ok;
                (crate::redact::redact(&out.text), failed)
            }
        }
    }

    /// Serve on stdin/stdout until the client goes away.
    pub async fn serve_stdio(self) -> Result<(), String> {
        let running = self
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| format!("MCP handshake on stdio failed: {e}"))?;
        running
            .waiting()
            .await
            .map_err(|e| format!("MCP server stopped: {e}"))?;
        Ok(())
    }
}

impl ServerHandler for PincerServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(
            rmcp::model::Implementation::new("pincer", env!("CARGO_PKG_VERSION")),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let (text, is_error) = self
            .call(&request.name, request.arguments.unwrap_or_default())
            .await;
        let content = vec![ContentBlock::Text(TextContent::new(text))];
        let result = if is_error {
            CallToolResult::error(content)
        } else {
            CallToolResult::success(content)
        };
        Ok(result.into())
    }
}
