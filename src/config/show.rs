//! `pincer config show`: the configuration in effect as valid TOML. What is guessed or unset is
//! written as a comment, so the output can be pasted back into config.toml as it is.

use std::fmt::Write as _;
use std::path::Path;

use super::{Config, context_window};

/// A TOML string literal (quotes and escapes as TOML wants them).
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| quoted(s)).collect();
    format!("[{}]", parts.join(", "))
}

/// The configuration as TOML: top-level keys first, then one table per section.
pub fn describe(config: &Config, path: &Path) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "# {}", path.display());
    match &config.default_provider {
        Some(d) => {
            let _ = writeln!(w, "default_provider = {}", quoted(d));
        }
        None => {
            let _ = writeln!(
                w,
                "# default_provider: none (picked from the environment: openai or anthropic when its key is set)"
            );
        }
    }
    let _ = writeln!(w, "theme = {}", quoted(&config.theme));
    if let Some(sp) = &config.system_prompt {
        let _ = writeln!(w, "system_prompt = {}", quoted(sp));
    }
    let _ = writeln!(w, "mode = {}", quoted(config.mode.as_str()));
    let _ = writeln!(w, "trusted_projects = {}", list(&config.trusted_projects));
    let _ = writeln!(
        w,
        "untrusted_projects = {}",
        list(&config.untrusted_projects)
    );
    let n = &config.network;
    let _ = write!(
        w,
        "\n[network]\nconnect_timeout_ms = {}\nstream_idle_timeout_ms = {}\nmax_retries = {}\nretry_base_delay_ms = {}\nretry_max_delay_ms = {}\n",
        n.connect_timeout_ms,
        n.stream_idle_timeout_ms,
        n.max_retries,
        n.retry_base_delay_ms,
        n.retry_max_delay_ms
    );
    let p = &config.permissions;
    let _ = write!(
        w,
        "\n[permissions]\nallow = {}\nask = {}\ndeny = {}\n",
        list(&p.allow),
        list(&p.ask),
        list(&p.deny)
    );
    let l = &config.limits;
    let _ = write!(
        w,
        "\n[limits]\nmax_rounds = {}\nmax_tool_calls_per_round = {}\nmax_consecutive_tool_errors = {}\nshell_timeout_secs = {}\ntool_output_max_bytes = {}\n",
        l.max_rounds,
        l.max_tool_calls_per_round,
        l.max_consecutive_tool_errors,
        l.shell_timeout_secs,
        l.tool_output_max_bytes
    );
    let c = &config.context;
    let _ = write!(
        w,
        "\n[context]\ncompact_at = {:?}\nkeep_turns = {}\nmodel_summary = {}\n",
        c.compact_at, c.keep_turns, c.model_summary
    );
    let s = &config.skills;
    let _ = write!(
        w,
        "\n[skills]\ncatalog_tokens = {}\ninclude_claude = {}\n",
        s.catalog_tokens, s.include_claude
    );
    let _ = write!(
        w,
        "\n[tasks]\nauto_fix = {}\nwatch = {}\n",
        config.tasks.auto_fix,
        list(&config.tasks.watch)
    );
    let _ = write!(
        w,
        "\n[tools.shell]\npass_env = {}\n",
        list(&config.shell_pass_env)
    );
    let _ = write!(
        w,
        "\n[mcp]\nschema_budget_percent = {}\n",
        config.mcp.schema_budget_percent
    );
    w.push_str(&config.chain.describe());
    describe_memory(w, config);
    describe_pipeline(w, config);
    for (name, p) in &config.providers {
        let _ = write!(
            w,
            "\n[providers.{}]\nkind = {}\nbase_url = {}\nmodel = {}\n",
            toml_key(name),
            quoted(p.kind.as_str()),
            quoted(&p.base_url),
            quoted(&p.model)
        );
        match &p.api_key_env {
            Some(k) => {
                let _ = writeln!(w, "api_key_env = {}", quoted(k));
            }
            None => {
                let _ = writeln!(w, "# api_key_env: none (a keyless local server)");
            }
        }
        let _ = writeln!(w, "max_tokens = {}", p.max_tokens);
        if let Some(list) = config.chain.failover.get(name) {
            let _ = writeln!(w, "failover = {}", self::list(list));
        }
        match p.context_window {
            Some(cw) => {
                let _ = writeln!(w, "context_window = {cw}");
            }
            None => {
                let _ = writeln!(
                    w,
                    "# context_window = {}   # guessed from the model name (local servers report theirs at run time)",
                    context_window(Some(p), p.kind, &p.model)
                );
            }
        }
    }
    for (profile, list) in &config.chain.failover {
        if !config.providers.contains_key(profile) {
            let _ = writeln!(w, "# [providers.{profile}] failover = {}", self::list(list));
        }
    }
    out
}

/// `[memory]` and, when set, `[memory.embeddings]`.
fn describe_memory(w: &mut String, config: &Config) {
    let m = &config.memory;
    let _ = write!(
        w,
        "\n[memory]\nenabled = {}\nhalf_life_days = {}\ncore_max_lines = {}\nauto_recall = {}\nauto_recall_tokens = {}\nextract = {}\n",
        m.enabled,
        m.half_life_days,
        m.core_max_lines,
        m.auto_recall,
        m.auto_recall_tokens,
        m.extract
    );
    match &m.embeddings {
        None => w.push_str("# [memory.embeddings]: none (text search only)\n"),
        Some(e) => {
            let _ = write!(
                w,
                "\n[memory.embeddings]\nurl = {}\nmodel = {}\nbatch = {}\n",
                quoted(&e.url),
                quoted(&e.model),
                e.batch
            );
            if let Some(k) = &e.api_key_env {
                let _ = writeln!(w, "api_key_env = {}", quoted(k));
            }
            if let Some(d) = e.dimensions {
                let _ = writeln!(w, "dimensions = {d}");
            }
        }
    }
}

/// `[pipeline]` (the pinned policy only when one is set) and `[instructions]`.
fn describe_pipeline(w: &mut String, config: &Config) {
    let p = &config.pipeline;
    let _ = write!(w, "\n[pipeline]\nnarrow = {}\n", p.narrow);
    match p.pin {
        Some(set) => {
            let _ = writeln!(
                w,
                "policy = {}",
                quoted(crate::pipeline::tool_set_name(set))
            );
        }
        None => w.push_str("# policy: none pinned (each task decides)\n"),
    }
    let _ = write!(
        w,
        "\n[instructions]\nclaude_md = {}\n",
        config.instructions.claude_md
    );
}

/// A table key: bare when it can be, quoted otherwise.
fn toml_key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { name.to_string() } else { quoted(name) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_output_is_valid_toml_that_loads_back_the_same() {
        let text = "default_provider = \"my \\\"odd\\\" one\"\nsystem_prompt = \"line1\\nline2 \\\\ end\"\nmode = \"auto-edit\"\ntrusted_projects = [\"/p/a\"]\n[permissions]\nallow = [\"shell: git status*\"]\n[providers.\"my \\\"odd\\\" one\"]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\ncontext_window = 4096\nfailover = [\"b\"]\n[providers.b]\nkind = \"anthropic\"\nbase_url = \"https://a.example/v1\"\nmodel = \"c\"\napi_key_env = \"B_KEY\"\n[tools.shell]\npass_env = [\"NPM_TOKEN\"]\n[context]\ncompact_at = 0.5\n[memory]\nauto_recall = true\nhalf_life_days = 7\n[memory.embeddings]\nurl = \"http://127.0.0.1:11434/v1\"\nmodel = \"nomic\"\ndimensions = 256\n[pipeline]\nnarrow = false\npolicy = \"research\"\n[instructions]\nclaude_md = true\n[routing]\nsmall = \"my \\\"odd\\\" one\"\n";
        let path = Path::new("/c/config.toml");
        let config = Config::parse(text, path).unwrap();
        let shown = describe(&config, path);
        toml::from_str::<toml::Table>(&shown)
            .unwrap_or_else(|e| panic!("config show is not TOML: {e}\n{shown}"));
        let again = Config::parse(&shown, path)
            .unwrap_or_else(|e| panic!("config show does not load back: {e}\n{shown}"));
        assert_eq!(again, config);
        for table in [
            "[memory]",
            "[memory.embeddings]",
            "[pipeline]",
            "[routing]",
            "[instructions]",
        ] {
            assert!(shown.contains(table), "{table} missing:\n{shown}");
        }
    }

    #[test]
    fn defaults_show_as_valid_toml() {
        let path = Path::new("/c/config.toml");
        let config = Config::default();
        let shown = describe(&config, path);
        let again = Config::parse(&shown, path).unwrap();
        assert_eq!(again, config);
        assert!(shown.contains("# context_window = "), "{shown}");
    }
}
