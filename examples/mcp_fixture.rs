//! A small MCP server over stdio for pincer's tests and for trying MCP by hand.
//!
//! Tools: `echo` (text back; annotated read-only), `slow` (waits `secs`), `fail` (an error result), `big` (a
//! 200 KB result), `crash` (the process exits mid-call), `image` (one image block), and with
//! `--many N` N more tools `tool_000…`. `--collide` adds `dot.name` and `dot_name__<hash>`-style
//! names that sanitise alike. `--noise` writes to stderr at start and on every call.
//! `--start-delay SECS` waits before answering the handshake (a slow `npx`).
//! `--list-changed` sends `tools/list_changed` after the first call and adds `late`.
//!
//! `cargo run --example mcp_fixture -- --noise`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ImageContent,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, TextContent, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde_json::{Map, Value, json};

#[derive(Clone, Default)]
struct Options {
    many: usize,
    collide: bool,
    noise: bool,
    start_delay: u64,
    list_changed: bool,
}

struct Fixture {
    opts: Options,
    late: Arc<AtomicBool>,
}

fn schema(props: Value) -> Arc<Map<String, Value>> {
    let obj = json!({"type": "object", "properties": props});
    match obj {
        Value::Object(m) => Arc::new(m),
        _ => Arc::new(Map::new()),
    }
}

fn text(t: impl Into<String>) -> ContentBlock {
    ContentBlock::Text(TextContent::new(t))
}

impl Fixture {
    fn tools(&self) -> Vec<Tool> {
        let mut tools = vec![
            Tool::new(
                "echo",
                "Echo the text back.",
                schema(json!({"text": {"type": "string"}})),
            )
            .annotate(ToolAnnotations::new().read_only(true)),
            Tool::new(
                "slow",
                "Wait `secs` seconds, then answer.",
                schema(json!({"secs": {"type": "number"}})),
            ),
            Tool::new("fail", "Always fails.", schema(json!({}))),
            Tool::new("big", "A 200 KB answer.", schema(json!({}))),
            Tool::new("crash", "The server exits mid-call.", schema(json!({}))),
            Tool::new("image", "One small image.", schema(json!({}))),
        ];
        for i in 0..self.opts.many {
            tools.push(Tool::new(
                format!("tool_{i:03}"),
                format!(
                    "Fixture tool number {i}: looks up record {i} in the pretend inventory \
                     and returns its fields."
                ),
                schema(json!({
                    "id": {"type": "string", "description": "the record id"},
                    "verbose": {"type": "boolean"}
                })),
            ));
        }
        if self.opts.collide {
            tools.push(Tool::new(
                "dot.name",
                "Collides after sanitising.",
                schema(json!({})),
            ));
            let renamed = pincer_like_offered("fixture", "dot.name");
            let literal = renamed.trim_start_matches("mcp__fixture__").to_string();
            tools.push(Tool::new(
                literal,
                "Collides with dot.name.",
                schema(json!({})),
            ));
        }
        if self.late.load(Ordering::SeqCst) {
            tools.push(Tool::new(
                "late",
                "Added after list_changed.",
                schema(json!({})),
            ));
        }
        tools
    }
}

/// The name pincer offers `tool` under (kept in step with `pincer::mcp::names`).
fn pincer_like_offered(server: &str, tool: &str) -> String {
    pincer::mcp::names::offered_name(server, tool)
}

impl ServerHandler for Fixture {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
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
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if self.opts.noise {
            eprintln!("fixture: NOISE call {}", request.name);
        }
        let args = request.arguments.unwrap_or_default();
        let result = match request.name.as_ref() {
            "echo" => {
                let t = args.get("text").and_then(Value::as_str).unwrap_or("");
                CallToolResult::success(vec![text(format!("echo: {t}"))])
            }
            "slow" => {
                let secs = args.get("secs").and_then(Value::as_f64).unwrap_or(5.0);
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
                CallToolResult::success(vec![text(format!("waited {secs} s"))])
            }
            "fail" => CallToolResult::error(vec![text("the fixture failed on purpose")]),
            "big" => CallToolResult::success(vec![text("x".repeat(200 * 1024))]),
            "crash" => std::process::exit(3),
            "image" => CallToolResult::success(vec![ContentBlock::Image(ImageContent::new(
                "iVBORw0KGgo=",
                "image/png",
            ))]),
            name if name.starts_with("tool_") || name == "late" || name.contains("name") => {
                CallToolResult::success(vec![text(format!("{name} ran"))])
            }
            other => {
                return Err(ErrorData::invalid_params(format!("no tool {other}"), None));
            }
        };
        if self.opts.list_changed && !self.late.swap(true, Ordering::SeqCst) {
            let _ = context.peer.notify_tool_list_changed().await;
        }
        Ok(result.into())
    }
}

fn parse_args() -> Options {
    let mut o = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--many" => o.many = args.next().and_then(|n| n.parse().ok()).unwrap_or(200),
            "--collide" => o.collide = true,
            "--noise" => o.noise = true,
            "--start-delay" => {
                o.start_delay = args.next().and_then(|n| n.parse().ok()).unwrap_or(5)
            }
            "--list-changed" => o.list_changed = true,
            _ => {}
        }
    }
    o
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let opts = parse_args();
    if opts.noise {
        eprintln!("fixture: NOISE starting up");
    }
    if opts.start_delay > 0 {
        tokio::time::sleep(Duration::from_secs(opts.start_delay)).await;
    }
    let server = Fixture {
        opts,
        late: Arc::new(AtomicBool::new(false)),
    };
    let running = server.serve(rmcp::transport::stdio()).await?;
    running.waiting().await?;
    Ok(())
}
