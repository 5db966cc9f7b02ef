//! Secrets never travel: a workspace file full of credentials (plain and encoded) is read by the
//! scripted model; no secret may reach the next request body, the items table, the audit table,
//! an export, or the tool output events the front end draws. Tool-call arguments and a user
//! message that carry secrets are checked against the store too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::support;
use pincer::protocol::ToolCallFinished;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use pincer::config::{Config, NetworkConfig, ResolvedProvider};
use pincer::protocol::{ApprovalMode, Event, Op, ProviderKind};
use pincer::runtime::{self, RuntimeHandle, RuntimeSettings};
use support::mock_server::*;

const PROVIDER_KEY: &str = "lmstudio-local-key-7Hq2";

/// `(text written to the file, secret that must not appear anywhere)`.
fn cases() -> Vec<(String, String)> {
    let plain: Vec<(&str, &str)> = vec![
        (
            "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
            "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
        ),
        (
            "OPENAI=sk-proj-Z9y8X7w6V5u4T3s2R1q0PpOoNnMm",
            "sk-proj-Z9y8X7w6V5u4T3s2R1q0PpOoNnMm",
        ),
        (
            "legacy sk-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6",
            "sk-A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6",
        ),
        ("id AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        ("sts ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        (
            "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R",
            "ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R",
        ),
        (
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN",
        ),
        (
            "gho_16C7e42F292c6912E7710c838347Ae178B4a",
            "gho_16C7e42F292c6912E7710c838347Ae178B4a",
        ),
        (
            "CI_JOB glpat-xY3zK9mQ2wR7tV5nB8cL",
            "glpat-xY3zK9mQ2wR7tV5nB8cL",
        ),
        (
            "maps AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
            "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
        ),
        (
            "oauth ya29.a0AfH6SMBx7Kq2Lm9Np3Rs5Tu7Vw",
            "ya29.a0AfH6SMBx7Kq2Lm9Np3Rs5Tu7Vw",
        ),
        (
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        ),
        (
            "hook https://hooks.slack.com/services/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",
            "T0A1B2C3D/B0A1B2C3D/q1w2e3r4t5y6u7i8o9p0a1s2",
        ),
        (
            "stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        ),
        (
            "rk_test_51H8xYzAbCdEfGhIjKlMn",
            "rk_test_51H8xYzAbCdEfGhIjKlMn",
        ),
        (
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEArsaBodyLine1\n-----END RSA PRIVATE KEY-----",
            "MIIEpAIBAAKCAQEArsaBodyLine1",
        ),
        (
            "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIEcBodyLine2\n-----END EC PRIVATE KEY-----",
            "MHcCAQEEIEcBodyLine2",
        ),
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEsshBody3\n-----END OPENSSH PRIVATE KEY-----",
            "b3BlbnNzaC1rZXktdjEsshBody3",
        ),
        (
            "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqPkcs8Body4\n-----END PRIVATE KEY-----",
            "MIIEvgIBADANBgkqPkcs8Body4",
        ),
        (
            "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        ),
        (
            "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
            "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        ),
        (
            "Authorization: Basic dXNlcjpzM2NyZXRQYXNzd29yZA==",
            "dXNlcjpzM2NyZXRQYXNzd29yZA",
        ),
        (
            "DATABASE_URL=postgres://admin:Pa55w0rdXyz@db.internal:5432/app",
            "Pa55w0rdXyz",
        ),
        ("mysql://root:toor-secret-99@localhost/db", "toor-secret-99"),
        (
            "mongodb+srv://user:M0ng0Pa55@cluster0.example.net/x",
            "M0ng0Pa55",
        ),
        ("redis://:R3d1sS3cret@cache:6379", "R3d1sS3cret"),
        ("amqp://guest:Gu3stPa55word@rabbit/", "Gu3stPa55word"),
        (
            "MY_SERVICE_API_KEY=f3a9c1e7b2d84f06a5c3e1b9d7f2a4c8",
            "f3a9c1e7b2d84f06a5c3e1b9d7f2a4c8",
        ),
        (
            "DEPLOY_TOKEN: \"q7W9e2R4t6Y8u0I1o3P5\"",
            "q7W9e2R4t6Y8u0I1o3P5",
        ),
        (
            "CLIENT_SECRET='Zx8Cv7Bn6Mm5Lk4Jh3Gf'",
            "Zx8Cv7Bn6Mm5Lk4Jh3Gf",
        ),
        (
            "DB_PASSWORD=correct-horse-battery-9",
            "correct-horse-battery-9",
        ),
        (
            "{\"api_key\": \"AbC123dEf456GhI789jKl0\"}",
            "AbC123dEf456GhI789jKl0",
        ),
        ("smtp_password: s3cr3t-Yaml-Pw", "s3cr3t-Yaml-Pw"),
        ("local model key: lmstudio-local-key-7Hq2", PROVIDER_KEY),
    ];
    let mut all: Vec<(String, String)> = plain
        .into_iter()
        .map(|(t, s)| (t.to_string(), s.to_string()))
        .collect();
    // Encoded variants: the decoded secret and the encoded form must both be gone.
    let key = "sk-ant-api03-EnCoDeDkEy0123456789abcdef";
    let escaped: String = key
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let pct: String = key.bytes().map(|b| format!("%{b:02X}")).collect();
    let b64 = STANDARD.encode(key);
    let b64url = URL_SAFE_NO_PAD.encode("ghp_Enc0ded1Github2Token3Value4abcdefXY");
    let conn_b64 = STANDARD.encode("postgres://u:PgS3cretPw0rd@h/db");
    let double = STANDARD.encode(&pct);
    let aws_escaped = "AKIA\\u0049OSFODNN7EXAMPL2".to_string();
    let slash_escaped = "wJalrXUtnFEMI\\/K7MDENG\\/bPxRfiCYEXAMPLEKE2".to_string();
    for (text, secret) in [
        (format!("json \"{escaped}\""), escaped.clone()),
        (format!("url ?k={pct}"), pct.clone()),
        (format!("blob {b64}"), b64.clone()),
        (format!("blob-url {b64url}"), b64url.clone()),
        (format!("conn {conn_b64}"), conn_b64.clone()),
        (format!("double {double}"), double.clone()),
        (format!("aws \"{aws_escaped}\""), aws_escaped.clone()),
        (
            format!("\"aws_secret_access_key\": \"{slash_escaped}\""),
            slash_escaped.clone(),
        ),
    ] {
        all.push((text, secret));
    }
    all.push((String::new(), key.to_string()));
    all.push((String::new(), "PgS3cretPw0rd".to_string()));
    all.push((
        String::new(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE2".to_string(),
    ));
    all
}

fn settings(
    server: &MockServer,
    work: &std::path::Path,
    home: &std::path::Path,
) -> RuntimeSettings {
    let config = Config {
        mode: ApprovalMode::AutoEdit,
        network: NetworkConfig {
            retry_base_delay_ms: 5,
            stream_idle_timeout_ms: 10_000,
            ..NetworkConfig::default()
        },
        ..Config::default()
    };
    let provider = ResolvedProvider {
        profile: "mock".into(),
        kind: ProviderKind::Openai,
        base_url: format!("{}/v1", server.url()),
        model: "m".into(),
        api_key: Some(PROVIDER_KEY.into()),
        api_key_env: None,
        max_tokens: 100,
    };
    let mut s = RuntimeSettings::new(config, Ok(provider), work.to_path_buf());
    s.config_path = home.join("config.toml");
    s.database = Some(home.join("pincer.db"));
    s.temp_dir = home.join("tmp");
    s.env = Arc::new(|_: &str| None);
    s.interactive = false;
    s.exe = PathBuf::from(env!("CARGO_BIN_EXE_pincer"));
    s
}

async fn until(rt: &mut RuntimeHandle, stop: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(60), rt.events.recv())
            .await
            .expect("an event within 60 s")
            .expect("runtime alive");
        let done = stop(&ev);
        seen.push(ev);
        if done {
            return seen;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_model_the_store_the_export_or_the_ui() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let work = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let workspace = std::fs::canonicalize(work.path()).unwrap();
    let file: String = cases
        .iter()
        .filter(|(t, _)| !t.is_empty())
        .map(|(t, _)| format!("{t}\n"))
        .collect();
    std::fs::write(workspace.join("leak.txt"), &file).unwrap();

    // The model reads the file, then greps with secrets in its arguments (escaped, too).
    let grep_args =
        serde_json::json!({"pattern": "ghp_ArgSecret0123456789abcdefghijklmnop", "path": "."})
            .to_string();
    let escaped_args =
        r#"{"pattern": "\u0073k-ant-api03-ArgEscaped0123456789abcdef", "path": "."}"#;
    let script = vec![
        Reply::sse(openai_tool_calls(
            None,
            &[
                ("c1", "read_file", r#"{"path": "leak.txt"}"#),
                ("c2", "grep", &grep_args),
                ("c3", "grep", escaped_args),
            ],
        )),
        Reply::sse(openai_sse(&["done"], None)),
    ];
    let server = MockServer::start(script).await;
    let mut rt = runtime::spawn(settings(&server, &workspace, home.path()));
    until(&mut rt, |e| matches!(e, Event::PolicyConfigured { .. })).await;
    rt.ops
        .send(Op::UserMessage {
            text: "my token is xoxp-User0Typed1Secret2Here3 read leak.txt".into(),
        })
        .unwrap();
    let events = until(&mut rt, |e| matches!(e, Event::TurnFinished(_))).await;
    assert!(server.wait_for_requests(2, Duration::from_secs(30)).await);
    drop(rt);

    let shown: String = events
        .iter()
        .filter_map(|e| match e {
            Event::ToolCallFinished(ToolCallFinished { output, .. }) => Some(output.clone()),
            _ => None,
        })
        .collect();
    assert!(shown.contains("[REDACTED"), "{shown}");
    let second = String::from_utf8_lossy(&server.requests()[1].body).into_owned();
    assert!(
        second.contains("<untrusted source=\\\"read_file\\\""),
        "{second}"
    );

    let db = home.path().join("pincer.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let items: String = conn
        .prepare("SELECT content FROM items")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|r| r.unwrap() + "\n")
        .collect();
    let audit: String = conn
        .prepare("SELECT tool || ' ' || arguments || ' ' || decided_by || ' ' || status FROM audit")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|r| r.unwrap() + "\n")
        .collect();
    assert!(audit.contains("grep"), "{audit}");
    let session: String = conn
        .query_row("SELECT id FROM sessions", [], |r| r.get(0))
        .unwrap();
    let store = pincer::store::Store::open(&db).unwrap();
    let export = store.export_jsonl(&session).unwrap() + &store.export_markdown(&session).unwrap();

    // The raw database files (sessions, items, parts, audit; WAL included).
    let mut raw = String::new();
    for suffix in ["", "-wal"] {
        let path = home.path().join(format!("pincer.db{suffix}"));
        if let Ok(bytes) = std::fs::read(&path) {
            raw.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    // JSON contexts escape backslashes and quotes: look in the unescaped text too.
    let unescape = |s: &str| s.replace("\\\\", "\\").replace("\\\"", "\"");
    let (second_u, items_u, audit_u, export_u) = (
        unescape(&second),
        unescape(&items),
        unescape(&audit),
        unescape(&export),
    );
    let mut failures = Vec::new();
    for (text, secret) in &cases {
        for (place, haystack) in [
            ("request body", &second),
            ("items", &items),
            ("audit", &audit),
            ("export", &export),
            ("ui", &shown),
            ("request body (unescaped)", &second_u),
            ("items (unescaped)", &items_u),
            ("audit (unescaped)", &audit_u),
            ("export (unescaped)", &export_u),
            ("database file", &raw),
        ] {
            if haystack.contains(secret.as_str()) {
                failures.push(format!("{place}: {secret} (from `{text}`)"));
            }
        }
    }
    for secret in [
        "ghp_ArgSecret0123456789abcdefghijklmnop",
        "ArgEscaped0123456789abcdef",
        "xoxp-User0Typed1Secret2Here3",
    ] {
        for (place, haystack) in [
            ("items", &items),
            ("audit", &audit),
            ("export", &export),
            ("database file", &raw),
        ] {
            if haystack.contains(secret) {
                failures.push(format!("{place}: {secret} (tool arguments / user message)"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} leaks:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
