use super::*;

#[test]
fn redacts_common_secrets() {
    let text = "curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123' OPENAI_API_KEY=sk-proj-aaaaaaaaaaaaaaaaaaaaaaaa aws AKIAABCDEFGHIJKLMNOP ghp_0123456789abcdefghijklmnopqrstuvwxyz";
    let r = redact(text);
    assert!(!r.contains("abcdefghijklmnopqrstuvwxyz0123"), "{r}");
    assert!(!r.contains("sk-proj-aaaa"), "{r}");
    assert!(!r.contains("AKIAABCDEFGHIJKLMNOP"), "{r}");
    assert!(!r.contains("ghp_0123"), "{r}");
    assert!(r.contains("[REDACTED"));
}

#[test]
fn leaves_ordinary_text_alone() {
    for clean in [
        "cargo test --release",
        "{\"path\":\"src/main.rs\"}",
        "let primary_key = row.id; sort_key: created_at",
        "max_tokens = 4096\ntoken count: 12",
        "see https://docs.rs/regex/latest/regex/struct.Regex.html",
        "password = ${DB_PASSWORD}",
        "the monkey: bananas",
        "/usr/lib/x86_64-linux-gnu/libssl.so.3",
        "PWD=/work/wt/e\nOLDPWD=/work/wt",
        "error: unexpected token src/tools/compress.rs",
    ] {
        assert_eq!(redact(clean), clean);
        assert!(!contains_secret(clean), "{clean}");
    }
}

#[test]
fn private_keys_are_removed_whole() {
    let r = redact(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\ndef\n-----END OPENSSH PRIVATE KEY-----\nrest",
    );
    assert_eq!(r, "[REDACTED private key]\nrest");
}

#[test]
fn assignments_keep_their_name() {
    assert_eq!(
        redact("STRIPE_WEBHOOK_TOKEN=Zk29fQx81LmPq03Vn7Rt"),
        "STRIPE_WEBHOOK_TOKEN=[REDACTED secret assignment]"
    );
    assert_eq!(
        redact("postgres://app:hunter2hunter@db:5432/x"),
        "postgres://app:[REDACTED connection string password]@db:5432/x"
    );
}

#[test]
fn exact_values_are_redacted() {
    add_exact("plainlookingvalue42");
    assert_eq!(redact("x plainlookingvalue42 y"), "x [REDACTED key] y");
    add_exact("short");
    assert_eq!(redact("short"), "short");
}

#[test]
fn encoded_secrets_are_found() {
    let key = "sk-ant-api03-Qw3rTy8UiOp1AsDfGhJkLzXcVbNm";
    let escaped: String = key
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let b64 = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(key)
    };
    let pct: String = key.bytes().map(|b| format!("%{b:02X}")).collect();
    for enc in [escaped, b64, pct] {
        let r = redact(&format!("{{\"a\":\"{enc}\"}}"));
        assert!(r.contains("[REDACTED"), "{enc} → {r}");
        assert!(!r.contains(&enc), "{r}");
        assert!(contains_secret(&enc));
    }
}

#[test]
fn json_values_are_redacted_in_place() {
    let mut v = serde_json::json!({"cmd": "echo ghp_0123456789abcdefghijklmnopqrstuvwxyz", "n": 1});
    redact_json(&mut v);
    assert_eq!(v["cmd"], "echo [REDACTED github token]");
}
