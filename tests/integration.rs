//! The integration tests, one module per file beside this one, built as one test binary: one
//! link of the pincer library and its dependencies instead of one per file (the cold
//! `cargo test` spent most of its time linking sixty binaries). `sandbox_env.rs` stays a binary
//! of its own: it sets environment variables, which only a process of its own may do safely.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

mod e2e_input;
mod e2e_memory;
mod e2e_scroll_exit;
mod e2e_sessions;
mod e2e_skills;
mod e2e_theme;
mod e2e_tui;
mod e2e_two_tuis;
mod file_faults;
mod headless;
mod headless_faults;
mod mcp_client;
mod mcp_e2e;
mod mcp_http;
mod mcp_policy;
mod mcp_runtime;
mod mcp_server;
mod memory_cli_search;
mod memory_embed;
mod memory_extract;
mod memory_index;
mod memory_runtime;
mod memory_vectors;
mod mock_server_selftest;
mod models;
mod onboarding;
mod pipeline_e2e;
mod pipeline_spec;
mod provider_chain;
mod provider_odd_bytes;
mod provider_stream;
mod queue_edit;
mod resume_typed;
mod rules_adversarial;
mod rules_config;
mod rules_proptest;
mod runtime_ops;
mod sandbox;
mod sandbox_run;
mod sandbox_sidedoors;
mod secrets_cli;
mod secrets_flow;
mod security_gate;
mod serve_api;
mod serve_browser;
mod sessions;
mod skills;
mod skills_consistency;
mod skills_runtime;
mod ssrf;
mod store_concurrency;
mod task_apply;
mod task_drift;
mod task_plan;
mod task_runtime;
mod tool_gate;
mod tools;
