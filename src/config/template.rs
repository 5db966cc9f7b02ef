//! The commented file `pincer config init` writes.

pub const TEMPLATE: &str = r#"# pincer configuration. `pincer config show` prints what is in effect.
#
# Which profile to use when neither --provider nor PINCER_PROVIDER is given.
# Without it pincer picks openai or anthropic when their key is in the environment.
# default_provider = "ollama"

# Colour theme: "dark", "light", or the name of a file in <config dir>/themes/NAME.toml.
theme = "dark"

# Optional system prompt sent with every conversation.
# system_prompt = "You are a concise assistant."

# How tool calls are gated when no rule decides:
#   plan      read-only tools only
#   ask       read-only tools run, everything else asks (default)
#   auto-edit writes inside the workspace run; shell and network ask
#   yolo      everything runs (still sandboxed and audited)
# mode = "ask"

# Projects whose own .pincer/config.toml allow rules you trust (their deny/ask rules always apply).
# trusted_projects = ["/home/me/src/myproject"]

# Top-level keys end here: everything below belongs to a [table].

# Built-in profiles (override any field here): openai, anthropic, ollama, llamacpp, lmstudio.
# A profile of kind "openai" speaks OpenAI Chat Completions (OpenAI, Ollama, llama.cpp, vLLM,
# LM Studio, OpenRouter); kind "anthropic" speaks Anthropic Messages. The key is read from the
# environment variable named by api_key_env; it is never stored here. Or keep it encrypted:
# `pincer secrets set OPENROUTER` and api_key = "secret:OPENROUTER" in the profile.

# [providers.openai]
# model = "gpt-4.1-mini"

# [providers.anthropic]
# model = "claude-sonnet-4-5"

# [providers.ollama]
# model = "llama3.2"          # empty = the first model the server lists

# [providers.llamacpp]
# base_url = "http://127.0.0.1:8080/v1"

# [providers.openrouter]
# kind = "openai"
# base_url = "https://openrouter.ai/api/v1"
# model = "meta-llama/llama-3.3-70b-instruct"
# api_key_env = "OPENROUTER_API_KEY"
# max_tokens = 4096
# context_window = 131072     # tokens; guessed from the model name when unset
# failover = ["anthropic"]   # tried in order after 5xx, timeouts, dropped connections, 429
#                             # (never after 401/403 or a context-length error)

[permissions]
# Rules are "TOOL" or "TOOL: PATTERN", checked deny → ask → allow.
# allow = ["shell: git status*", "shell: cargo test*", "write_file: src/**", "web_fetch: domain:docs.rs"]
# ask = ["shell: git push*"]
# deny = ["shell: rm -rf*"]

[limits]
# max_rounds = 25                   # model rounds for one message
# max_tool_calls_per_round = 16
# max_consecutive_tool_errors = 4
# shell_timeout_secs = 120
# tool_output_max_bytes = 16384     # what the model sees of a tool's output

[context]
# compact_at = 0.8                  # compact older turns into a summary at 80 % of the window
# keep_turns = 3                    # turns kept verbatim when compacting
# model_summary = false             # /compact asks the model to write the summary

[skills]
# catalog_tokens = 2000             # prompt space for skill names and descriptions
# include_claude = false            # also read <project>/.claude/skills/

[tasks]
# auto_fix = false                  # `task drift` applies retry / health-check / logging patches itself
#                                   # (two per task per hour; ports, mounts, privileges never)
# watch = ["~/svc/web.cw"]          # task files checked for drift when they change

[memory]
# enabled = true                    # memory tools, index, core MEMORY.md in the prompt
# half_life_days = 30               # recency decay of search (core and pinned exempt)
# core_max_lines = 200              # MEMORY.md size cap; writes beyond go to topic files
# auto_recall = false               # add the top hits for each message to the prompt
# auto_recall_tokens = 800
# extract = false                   # propose durable facts after a turn
# [memory.embeddings]               # vector leg of search (text search works without)
# url = "http://127.0.0.1:11434/v1"
# model = "nomic-embed-text"
# api_key_env = "OPENAI_API_KEY"
# batch = 64
[pipeline]
# narrow = true                     # offer only the tools a task needs (false: all, every turn)
# policy = "full"                   # pin one tool set: none, read_only, research, editing, memory, full

[instructions]
# claude_md = false                 # also read CLAUDE.md beside AGENTS.md (workspace up to the repo root)

[network]
# connect_timeout_ms = 10000
# stream_idle_timeout_ms = 120000   # a stream silent this long counts as stalled
# max_retries = 4                   # for 429, 5xx and dropped connections
# retry_base_delay_ms = 1000        # doubled each attempt, ±25 % jitter
# retry_max_delay_ms = 30000

[routing]
# Which profile answers each tier: short, simple questions go to the small tier, multi-step or
# risky work to the large one. A tier left out uses the current profile; /model and --model
# always win. A small-tier failure (error, empty answer, refusing a needed tool) escalates once.
# small = "ollama"
# large = "openai"

[breaker]
# failures = 5                      # transient failures in a row that open a profile's breaker
# cool_down_secs = 30               # skipped this long, then probed
# probes = 1                        # successful probes that close it again

[cache]
# responses = false                 # answer repeated tool-free requests from a cache
# max_entries = 200
# max_age_secs = 86400

[tools.shell]
# Provider keys and secret-looking variables (*_KEY, *_TOKEN, *_SECRET, *_PASSWORD, …)
# never reach shell commands; name the ones a command really needs here.
# pass_env = ["NPM_TOKEN"]

# MCP servers: connected in the background after the first frame; their tools are offered as
# mcp__NAME__TOOL and every call goes through the approval rules (e.g. allow "mcp__git__*").
# `pincer mcp add|list|rm|test` edits and checks these.
[mcp]
# schema_budget_percent = 10        # past this share of the context window, every MCP schema
#                                   # is replaced by two tools: mcp_search and mcp_call
# [mcp_servers.git]
# command = "uvx"
# args = ["mcp-server-git"]
# startup_timeout = 30              # seconds to wait for the handshake (one retry)
# tool_timeout = 120                # seconds a call may take
# disabled_tools = ["git_reset"]
# mode = "ask"                      # this server's approval mode (else the session's)
# trust_annotations = false         # believe the server's read-only hints
# [mcp_servers.docs]
# url = "http://127.0.0.1:8000/mcp" # streamable HTTP
# bearer_token_env = "DOCS_MCP_TOKEN"

[mcp_server]
# What `pincer mcp serve` offers another MCP client (read-only tools by default).
# tools = ["read_file", "list_dir", "glob", "grep"]
"#;

/// A commented line that holds TOML (`# key = value` or `# [table]`), uncommented.
#[cfg(test)]
fn uncommented(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("# ")?;
    let key_len = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'))
        .unwrap_or(rest.len());
    let is_assignment = key_len > 0 && rest[key_len..].starts_with(" = ");
    (is_assignment || rest.starts_with('[')).then_some(rest)
}

/// The template's commented blocks: runs of consecutive commented TOML lines, as line ranges.
#[cfg(test)]
pub fn commented_blocks(template: &str) -> Vec<std::ops::Range<usize>> {
    let mut blocks = Vec::new();
    let mut start = None;
    let lines: Vec<&str> = template.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        match (uncommented(line).is_some(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                blocks.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        blocks.push(s..lines.len());
    }
    blocks
}

/// The template with the lines of `blocks` uncommented.
#[cfg(test)]
pub fn uncomment_blocks(template: &str, blocks: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(template.len());
    for (i, line) in template.lines().enumerate() {
        let text = if blocks.iter().any(|b| b.contains(&i)) {
            uncommented(line).unwrap_or(line)
        } else {
            line
        };
        out.push_str(text);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use std::path::Path;

    fn load(text: &str) -> Result<Config, crate::config::ConfigError> {
        Config::parse(text, Path::new("/c/config.toml"))
    }

    #[test]
    fn every_commented_block_is_valid_when_uncommented() {
        let blocks = commented_blocks(TEMPLATE);
        assert!(blocks.len() >= 10, "found only {} blocks", blocks.len());
        for block in &blocks {
            let text = uncomment_blocks(TEMPLATE, std::slice::from_ref(block));
            let lines: Vec<&str> = TEMPLATE.lines().collect();
            if let Err(e) = load(&text) {
                panic!(
                    "uncommenting {:?} breaks the template: {e}",
                    &lines[block.clone()]
                );
            }
        }
    }

    #[test]
    fn all_commented_blocks_together_are_valid_and_land_under_their_tables() {
        let text = uncomment_blocks(TEMPLATE, &commented_blocks(TEMPLATE));
        let c = load(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(c.default_provider.as_deref(), Some("ollama"));
        assert_eq!(c.mode, crate::protocol::ApprovalMode::Ask);
        assert_eq!(c.providers["openrouter"].context_window, Some(131072));
        assert!(!c.permissions.allow.is_empty());
    }

    #[test]
    fn prose_comments_are_not_blocks() {
        assert_eq!(uncommented("# Colour theme: \"dark\""), None);
        assert_eq!(uncommented("#   plan      read-only tools only"), None);
        assert_eq!(uncommented("# mode = \"ask\""), Some("mode = \"ask\""));
        assert_eq!(uncommented("# [providers.x]"), Some("[providers.x]"));
    }
}
