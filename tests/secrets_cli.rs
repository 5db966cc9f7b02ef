//! `pincer secrets` and `api_key = "secret:NAME"`: the key goes in through a pipe, comes out
//! only by name, resolves for a profile, and a missing secret names the command that sets it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use pincer::config::{Config, Overrides, resolve_provider};

fn pincer(home: &std::path::Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pincer"))
        .args(args)
        .env("PINCER_HOME", home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn set_list_get_rm_and_resolve() {
    let home = tempfile::tempdir().unwrap();
    let key = "sk-proj-FromThePipe0123456789abcdef";
    let (code, out, err) = pincer(
        home.path(),
        &["secrets", "set", "OPENAI_KEY"],
        &format!("{key}\n"),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains(key) && !err.contains(key));
    let (_, list, _) = pincer(home.path(), &["secrets", "list"], "");
    assert_eq!(list, "OPENAI_KEY\n");
    let (_, got, _) = pincer(home.path(), &["secrets", "get", "OPENAI_KEY"], "");
    assert_eq!(got, format!("{key}\n"));

    // The files on disk never hold the key in clear.
    let config_dir = home.path().join("config");
    for f in ["secrets.enc", "secrets.key"] {
        let bytes = std::fs::read(config_dir.join(f)).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(key), "{f}");
    }

    let config_path = config_dir.join("config.toml");
    std::fs::write(
        &config_path,
        "default_provider = \"x\"\n[providers.x]\nkind = \"openai\"\nbase_url = \"https://api.example.com/v1\"\nmodel = \"m\"\napi_key = \"secret:OPENAI_KEY\"\n\n[providers.y]\nkind = \"openai\"\nbase_url = \"https://api.example.com/v1\"\nmodel = \"m\"\napi_key = \"secret:NOT_SET\"\n",
    )
    .unwrap();
    let config = Config::load(&config_path).unwrap();
    let path = config_path.display().to_string();
    let resolved =
        resolve_provider(&config, &Overrides::default(), &path, &|_: &str| None).unwrap();
    assert_eq!(resolved.api_key.as_deref(), Some(key));
    // The key pincer uses is redacted from then on, even where no pattern would see it.
    assert!(pincer::redact::contains_secret(key));

    let missing = Overrides {
        provider: Some("y".into()),
        ..Overrides::default()
    };
    let err = resolve_provider(&config, &missing, &path, &|_: &str| None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("pincer secrets set NOT_SET"), "{err}");

    // A literal key in config.toml is refused at its line.
    std::fs::write(
        &config_path,
        "[providers.x]\nkind = \"openai\"\nbase_url = \"https://a.example/v1\"\nmodel = \"m\"\napi_key = \"sk-literal\"\n",
    )
    .unwrap();
    let err = Config::load(&config_path).unwrap_err().to_string();
    assert!(
        err.contains(":5:") && err.contains("pincer secrets set"),
        "{err}"
    );

    let (code, out, _) = pincer(home.path(), &["secrets", "rm", "OPENAI_KEY"], "");
    assert_eq!(code, 0);
    assert!(out.contains("removed"));
    let (code, _, err) = pincer(home.path(), &["secrets", "get", "OPENAI_KEY"], "");
    assert_eq!(code, 2);
    assert!(err.contains("pincer secrets set OPENAI_KEY"), "{err}");
}
