//! Config parsing: defaults, profiles, validation errors with file:line:column.

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("/c/config.toml"))
}

#[test]
fn empty_file_gives_builtin_profiles() {
    let c = parse("").unwrap();
    assert!(c.providers.contains_key("openai"));
    assert!(c.providers.contains_key("ollama"));
    assert_eq!(c.theme, "dark");
}

#[test]
fn template_parses() {
    parse(TEMPLATE).unwrap();
}

#[test]
fn profile_overrides_and_adds() {
    let c = parse(
        "default_provider = \"local\"\n[providers.local]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1/\"\nmodel = \"m\"\n[providers.openai]\nmodel = \"gpt-x\"\n",
    )
    .unwrap();
    assert_eq!(c.default_provider.as_deref(), Some("local"));
    assert_eq!(c.providers["local"].base_url, "http://127.0.0.1:9/v1");
    assert_eq!(c.providers["openai"].model, "gpt-x");
    assert_eq!(
        c.providers["openai"].api_key_env.as_deref(),
        Some("OPENAI_API_KEY")
    );
}

#[test]
fn syntax_error_has_line_and_column() {
    let e = parse("theme = \"dark\"\nmodel = = 3\n").unwrap_err();
    assert_eq!((e.line, e.path.as_str()), (2, "/c/config.toml"));
    assert!(e.to_string().starts_with("/c/config.toml:2:"), "{e}");
}

#[test]
fn unknown_key_is_located_with_fix() {
    let e = parse("[providers.x]\nkind = \"openai\"\nbase_url = \"http://h/v1\"\nmodle = \"m\"\n")
        .unwrap_err();
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("modle"), "{e}");
    assert!(e.fix.contains("spelling"));
}

#[test]
fn unknown_kind_names_valid_kinds() {
    let e = parse("[providers.x]\nkind = \"gemini\"\nbase_url = \"http://h\"\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(e.fix.contains("anthropic"));
}

#[test]
fn unknown_default_provider_lists_profiles() {
    let e = parse("\n\ndefault_provider = \"nope\"\n").unwrap_err();
    assert_eq!((e.line, e.column), (3, 20), "{e}");
    assert!(e.fix.contains("ollama"));
}

#[test]
fn bad_url_is_located() {
    let e = parse("[providers.x]\nkind = \"openai\"\nbase_url = \"localhost:8080\"\n").unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.message.contains("not an http"));
}

#[test]
fn new_profile_needs_url() {
    let e = parse("[providers.x]\nkind = \"openai\"\n").unwrap_err();
    assert!(e.message.contains("base_url"), "{e}");
}

#[test]
fn permissions_mode_and_limits() {
    let c = parse(
        "mode = \"auto-edit\"\n[permissions]\nallow = [\"shell: git status*\"]\ndeny = [\"shell: rm -rf*\"]\n[limits]\nmax_rounds = 3\n",
    )
    .unwrap();
    assert_eq!(c.mode, ApprovalMode::AutoEdit);
    assert_eq!(c.permissions.allow, vec!["shell: git status*"]);
    assert_eq!(c.permissions.deny.len(), 1);
    assert_eq!(c.limits.max_rounds, 3);
    let e = parse("mode = \"wild\"\n").unwrap_err();
    assert!(e.fix.contains("auto-edit"));
    let e = parse("[permissions]\nallow = [\"shell\", \": no tool\"]\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 19), "{e}");
}

#[test]
fn project_config_holds_only_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    assert_eq!(Config::load_project(&path).unwrap(), Permissions::default());
    std::fs::write(&path, "[permissions]\nask = [\"shell: git push*\"]\n").unwrap();
    assert_eq!(
        Config::load_project(&path).unwrap().ask,
        vec!["shell: git push*"]
    );
    std::fs::write(&path, "mode = \"yolo\"\n").unwrap();
    assert!(Config::load_project(&path).is_err());
}

#[test]
fn line_col_handles_multibyte() {
    assert_eq!(line_col("ä\nöx", 5), (2, 2));
    assert_eq!(line_col("ä\nöx", 4), (2, 1));
    assert_eq!(line_col("abc", 99), (1, 4));
    assert_eq!(line_col("äb", 1), (1, 1));
}

#[test]
fn missing_file_is_default_and_non_utf8_is_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    assert_eq!(Config::load(&path).unwrap(), Config::default());
    std::fs::write(&path, b"theme = \"\xff\"\n").unwrap();
    let e = Config::load(&path).unwrap_err();
    assert!(e.message.contains("UTF-8"));
}

#[test]
fn init_writes_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/config.toml");
    assert!(init_file(&path).unwrap().is_some());
    assert!(init_file(&path).unwrap().is_none());
    Config::load(&path).unwrap();
}
