//! Integration tests of the builtin file and web tools, with temp dirs as workspaces.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use pincer::protocol::{ApprovalPreview, ToolStatus};
use pincer::tools::describe::{self, SubjectKind};
use pincer::tools::specs::{file_tool_specs, run};
use pincer::tools::{ToolContext, ToolLimits, ToolOutput};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn workspace() -> (TempDir, ToolContext) {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ToolContext {
        workspace: fs::canonicalize(dir.path()).unwrap(),
        temp_dir: std::env::temp_dir(),
        limits: ToolLimits::default(),
        outside_workspace_approved: false,
    };
    (dir, ctx)
}

fn approved(ctx: &ToolContext) -> ToolContext {
    ToolContext {
        outside_workspace_approved: true,
        ..ctx.clone()
    }
}

async fn fetch_local(ctx: &ToolContext, args: Value) -> ToolOutput {
    let allow = pincer::tools::net_guard::AllowHosts(vec!["127.0.0.1".into()]);
    pincer::tools::fetch::web_fetch_with(ctx, &args, &allow).await
}

async fn call(ctx: &ToolContext, tool: &str, args: Value) -> ToolOutput {
    run(tool, ctx, &args).await.unwrap()
}

fn ok(out: &ToolOutput) -> &str {
    assert_eq!(out.status, ToolStatus::Ok, "{}", out.text);
    &out.text
}

fn err(out: &ToolOutput) -> &str {
    assert_eq!(out.status, ToolStatus::Error, "{}", out.text);
    &out.text
}

fn write(root: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}

#[tokio::test]
async fn read_file_ranges_and_errors() {
    let (dir, ctx) = workspace();
    let text: String = (1..=30).map(|i| format!("line {i}\n")).collect();
    write(dir.path(), "src/main.rs", &text);
    let out = call(
        &ctx,
        "read_file",
        json!({"path": "src/main.rs", "start_line": 10, "end_line": 12}),
    )
    .await;
    assert_eq!(
        ok(&out),
        "src/main.rs — lines 10–12 of 30\n  10│ line 10\n  11│ line 11\n  12│ line 12\n"
    );
    let all = call(&ctx, "read_file", json!({"path": "src/main.rs"})).await;
    assert!(ok(&all).starts_with("src/main.rs — all 30 lines\n   1│ line 1\n"));

    let missing = call(&ctx, "read_file", json!({"path": "nope.rs"})).await;
    assert!(err(&missing).contains("nope.rs does not exist"));
    assert!(err(&call(&ctx, "read_file", json!({"path": "src"})).await).contains("directory"));
    let bad = call(
        &ctx,
        "read_file",
        json!({"path": "src/main.rs", "lines": 3}),
    )
    .await;
    assert!(err(&bad).contains("unknown field `lines`"), "{}", bad.text);
    let bad = call(&ctx, "read_file", json!({"start_line": 3})).await;
    assert!(err(&bad).contains("missing field `path`"));
    let zero = call(
        &ctx,
        "read_file",
        json!({"path": "src/main.rs", "start_line": 0}),
    )
    .await;
    assert!(err(&zero).contains("start at 1"));
    let backwards = call(
        &ctx,
        "read_file",
        json!({"path": "src/main.rs", "start_line": 5, "end_line": 2}),
    )
    .await;
    assert!(err(&backwards).contains("before start_line"));

    write(dir.path(), "logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let png = call(&ctx, "read_file", json!({"path": "logo.png"})).await;
    assert!(
        err(&png).contains("binary file (PNG image, 16 B)"),
        "{}",
        png.text
    );
    write(dir.path(), "latin1.txt", b"caf\xe9 au lait\n");
    assert!(err(&call(&ctx, "read_file", json!({"path": "latin1.txt"})).await).contains("binary"));
}

#[tokio::test]
async fn read_file_large_files_need_a_range() {
    let (dir, mut ctx) = workspace();
    // ~50 MB, 1 048 576 lines of 50 bytes.
    let line = format!("{:<49}\n", "some text in a big log file");
    let chunk = line.repeat(1024);
    let mut file = std::io::BufWriter::new(fs::File::create(dir.path().join("big.log")).unwrap());
    for _ in 0..1024 {
        std::io::Write::write_all(&mut file, chunk.as_bytes()).unwrap();
    }
    std::io::Write::flush(&mut file).unwrap();
    drop(file);

    let whole = call(&ctx, "read_file", json!({"path": "big.log"})).await;
    let msg = err(&whole);
    assert!(
        msg.contains("50.0 MB") && msg.contains("1048576 lines") && msg.contains("start_line"),
        "{msg}"
    );

    let started = Instant::now();
    let part = call(
        &ctx,
        "read_file",
        json!({"path": "big.log", "start_line": 600000, "end_line": 600002}),
    )
    .await;
    let elapsed = started.elapsed();
    let text = ok(&part);
    assert!(
        text.starts_with("big.log — lines 600000–600002 of 1048576\n"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 4);
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");

    // A range is still capped at read_max_bytes.
    ctx.limits.read_max_bytes = 1000;
    let capped = call(
        &ctx,
        "read_file",
        json!({"path": "big.log", "start_line": 1, "end_line": 1000}),
    )
    .await;
    let text = ok(&capped);
    assert!(text.len() < 1500, "{}", text.len());
    assert!(text.contains("continue with start_line=21"), "{text}");
}

#[tokio::test]
async fn list_dir_sorts_marks_and_caps() {
    let (dir, mut ctx) = workspace();
    write(dir.path(), "b.txt", "hello");
    write(dir.path(), "A.md", "x".repeat(2048));
    write(dir.path(), "src/lib.rs", "");
    write(dir.path(), ".git/HEAD", "ref");
    write(dir.path(), ".env", "K=V");
    #[cfg(unix)]
    std::os::unix::fs::symlink("b.txt", dir.path().join("link")).unwrap();
    let out = call(&ctx, "list_dir", json!({})).await;
    let text = ok(&out);
    assert!(!text.contains(".git/"), "{text}");
    let body: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(body[0], "  src/");
    assert!(body.contains(&"  A.md  (2.0 KB)"), "{text}");
    assert!(body.contains(&"  b.txt  (5 B)"));
    assert!(body.contains(&"  .env  (3 B)"));
    #[cfg(unix)]
    assert!(body.contains(&"  link → b.txt  (5 B)"), "{text}");

    let sub = call(&ctx, "list_dir", json!({"path": "src"})).await;
    assert!(
        ok(&sub).starts_with("src/ — 0 directories, 1 file\n  lib.rs  (0 B)"),
        "{}",
        sub.text
    );
    ctx.limits.max_results = 2;
    let capped = call(&ctx, "list_dir", json!({"path": "."})).await;
    assert!(ok(&capped).ends_with("  … 3 more\n"), "{}", capped.text);
    let file = call(&ctx, "list_dir", json!({"path": "b.txt"})).await;
    assert!(err(&file).contains("not a directory"));
}

#[tokio::test]
async fn glob_honours_gitignore_and_sorts() {
    let (dir, mut ctx) = workspace();
    write(dir.path(), ".gitignore", "target/\n*.log\n");
    write(dir.path(), "src/main.rs", "");
    write(dir.path(), "src/a/b.rs", "");
    write(dir.path(), "build.rs", "");
    write(dir.path(), "target/debug/gen.rs", "");
    write(dir.path(), "debug.log", "");
    write(dir.path(), ".hidden/x.rs", "");
    let out = call(&ctx, "glob", json!({"pattern": "**/*.rs"})).await;
    assert_eq!(
        ok(&out),
        "3 matches for `**/*.rs`\nbuild.rs\nsrc/a/b.rs\nsrc/main.rs\n"
    );
    let top = call(&ctx, "glob", json!({"pattern": "*.rs"})).await;
    assert_eq!(ok(&top), "1 match for `*.rs`\nbuild.rs\n");
    let sub = call(&ctx, "glob", json!({"pattern": "*.rs", "path": "src"})).await;
    assert_eq!(ok(&sub), "1 match for `*.rs` in src\nsrc/main.rs\n");
    let logs = call(&ctx, "glob", json!({"pattern": "*.log"})).await;
    assert!(
        ok(&logs).starts_with("No files match `*.log`"),
        "{}",
        logs.text
    );
    let hidden = call(&ctx, "glob", json!({"pattern": ".hidden/*.rs"})).await;
    assert!(ok(&hidden).contains(".hidden/x.rs"));
    let bad = call(&ctx, "glob", json!({"pattern": "src/[a"})).await;
    assert!(err(&bad).contains("Invalid glob pattern"));
    ctx.limits.max_results = 1;
    let capped = call(&ctx, "glob", json!({"pattern": "**/*.rs"})).await;
    assert_eq!(ok(&capped), "3 matches for `**/*.rs`\nbuild.rs\n… 2 more\n");
}

#[tokio::test]
async fn grep_finds_filters_and_caps() {
    let (dir, mut ctx) = workspace();
    write(dir.path(), ".gitignore", "generated/\n");
    write(
        dir.path(),
        "src/main.rs",
        "fn main() {\n    helper();\n}\nfn helper() {}\n",
    );
    write(dir.path(), "src/notes.md", "call Helper() here\n");
    write(dir.path(), "generated/out.rs", "fn helper() {}\n");
    write(dir.path(), ".secret/h.rs", "fn helper() {}\n");
    write(dir.path(), "blob.bin", b"helper\0\0\0binary");
    write(
        dir.path(),
        "long.txt",
        format!("{}helper{}\n", "a".repeat(500), "b".repeat(500)),
    );

    let out = call(&ctx, "grep", json!({"pattern": "fn helper"})).await;
    assert_eq!(
        ok(&out),
        "1 match in 1 file for `fn helper`\nsrc/main.rs:4: fn helper() {}\n"
    );
    let ci = call(
        &ctx,
        "grep",
        json!({"pattern": "helper\\(", "case_insensitive": true, "glob": "*.md"}),
    )
    .await;
    assert_eq!(
        ok(&ci),
        "1 match in 1 file for `helper\\(`\nsrc/notes.md:1: call Helper() here\n"
    );
    let sub = call(
        &ctx,
        "grep",
        json!({"pattern": "helper", "path": "src/main.rs"}),
    )
    .await;
    assert!(ok(&sub).starts_with("2 matches in 1 file"), "{}", sub.text);
    let long = call(
        &ctx,
        "grep",
        json!({"pattern": "helper", "path": "long.txt"}),
    )
    .await;
    let line = ok(&long).lines().nth(1).unwrap();
    assert!(
        line.len() < 330 && line.contains("helper") && line.starts_with("long.txt:1: …"),
        "{line}"
    );

    let none = call(&ctx, "grep", json!({"pattern": "zebra"})).await;
    assert!(
        ok(&none).starts_with("No matches for `zebra` in ."),
        "{}",
        none.text
    );
    let bad = call(&ctx, "grep", json!({"pattern": "fn (main"})).await;
    assert!(
        err(&bad).contains("Invalid regular expression") && bad.text.contains("unclosed group"),
        "{}",
        bad.text
    );

    ctx.limits.max_results = 2;
    let capped = call(
        &ctx,
        "grep",
        json!({"pattern": "helper", "case_insensitive": true}),
    )
    .await;
    let text = ok(&capped);
    assert!(text.starts_with("4 matches in 3 files"), "{text}");
    assert!(text.contains("… 2 more matches"), "{text}");
    assert!(
        !text.contains("generated/") && !text.contains(".secret") && !text.contains("blob.bin")
    );
}

#[tokio::test]
async fn write_file_creates_replaces_and_keeps_mode() {
    let (dir, ctx) = workspace();
    let out = call(
        &ctx,
        "write_file",
        json!({"path": "a/b/new.txt", "content": "one\ntwo\n"}),
    )
    .await;
    assert_eq!(ok(&out), "Created a/b/new.txt (8 bytes, 2 lines).");
    assert_eq!(
        fs::read_to_string(dir.path().join("a/b/new.txt")).unwrap(),
        "one\ntwo\n"
    );
    write(dir.path(), "run.sh", "#!/bin/sh\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir.path().join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = call(
        &ctx,
        "write_file",
        json!({"path": "run.sh", "content": "#!/bin/sh\necho hi\nexit 0"}),
    )
    .await;
    assert_eq!(
        ok(&out),
        "Replaced run.sh (24 bytes, 3 lines; it had 1 line)."
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.path().join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }
    assert!(
        err(&call(&ctx, "write_file", json!({"path": "a", "content": ""})).await)
            .contains("directory")
    );
    assert!(
        err(&call(&ctx, "write_file", json!({"path": "x"})).await)
            .contains("missing field `content`")
    );
}

#[tokio::test]
async fn edit_file_cases() {
    let (dir, ctx) = workspace();
    write(
        dir.path(),
        "src/lib.rs",
        "fn a() {\n    let x = 1;\n}\nfn b() {\n    let x = 1;\n}\n",
    );
    let read_back = || fs::read_to_string(dir.path().join("src/lib.rs")).unwrap();

    let dup = call(
        &ctx,
        "edit_file",
        json!({"path": "src/lib.rs", "old_text": "let x = 1;", "new_text": "let x = 2;"}),
    )
    .await;
    assert!(
        err(&dup).contains("occurs 2 times") && dup.text.contains("lines 2, 5"),
        "{}",
        dup.text
    );
    let unique = call(&ctx, "edit_file", json!({"path": "src/lib.rs", "old_text": "fn b() {\n    let x = 1;", "new_text": "fn b() {\n    let x = 3;\n    let y = 4;"})).await;
    assert_eq!(
        ok(&unique),
        "Edited src/lib.rs: replaced 1 occurrence, now lines 4–6 (file has 7 lines)."
    );
    let all = call(&ctx, "edit_file", json!({"path": "src/lib.rs", "old_text": "let", "new_text": "let mut", "replace_all": true})).await;
    assert!(
        ok(&all).starts_with(
            "Edited src/lib.rs: replaced 3 occurrences, first at line 2, last at line 6"
        ),
        "{}",
        all.text
    );
    assert_eq!(
        read_back(),
        "fn a() {\n    let mut x = 1;\n}\nfn b() {\n    let mut x = 3;\n    let mut y = 4;\n}\n"
    );

    let missing = call(
        &ctx,
        "edit_file",
        json!({"path": "src/lib.rs", "old_text": "fn c()", "new_text": "x"}),
    )
    .await;
    assert!(err(&missing).contains("not found") && missing.text.contains("Read the file again"));
    let ws = call(
        &ctx,
        "edit_file",
        json!({"path": "src/lib.rs", "old_text": "fn a() {\nlet mut x = 1;", "new_text": "x"}),
    )
    .await;
    assert!(err(&ws).contains("whitespace is ignored"), "{}", ws.text);
    let empty = call(
        &ctx,
        "edit_file",
        json!({"path": "src/lib.rs", "old_text": "", "new_text": "x"}),
    )
    .await;
    assert!(err(&empty).contains("old_text is empty"));
    let nofile = call(
        &ctx,
        "edit_file",
        json!({"path": "nope.rs", "old_text": "a", "new_text": "b"}),
    )
    .await;
    assert!(err(&nofile).contains("does not exist") && nofile.text.contains("write_file"));
    write(dir.path(), "img.png", b"\x89PNG\0\0");
    let bin = call(
        &ctx,
        "edit_file",
        json!({"path": "img.png", "old_text": "PNG", "new_text": "JPG"}),
    )
    .await;
    assert!(err(&bin).contains("binary"));
}

#[tokio::test]
async fn paths_outside_the_workspace_need_approval() {
    let (dir, ctx) = workspace();
    let outside = tempfile::tempdir().unwrap();
    let outside_file = fs::canonicalize(outside.path()).unwrap().join("secret.txt");
    fs::write(&outside_file, "top secret\n").unwrap();

    let passwd = call(
        &ctx,
        "read_file",
        json!({"path": "../../../../../../../../etc/passwd"}),
    )
    .await;
    let msg = err(&passwd);
    assert!(
        msg.contains("(→ /etc/passwd) is outside the workspace")
            && msg.contains("after you approve"),
        "{msg}"
    );
    let abs = outside_file.to_string_lossy().into_owned();
    assert!(
        err(&call(&ctx, "read_file", json!({"path": abs})).await).contains("outside the workspace")
    );
    assert!(
        err(&call(&ctx, "write_file", json!({"path": abs, "content": "x"})).await)
            .contains("outside")
    );
    assert!(
        err(&call(&ctx, "grep", json!({"pattern": "x", "path": "/"})).await).contains("outside")
    );

    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outside.path(), dir.path().join("escape")).unwrap();
        let via_link = call(&ctx, "read_file", json!({"path": "escape/secret.txt"})).await;
        assert!(
            err(&via_link).contains("escape/secret.txt (→ /"),
            "{}",
            via_link.text
        );
        let edit = call(
            &ctx,
            "edit_file",
            json!({"path": "escape/secret.txt", "old_text": "top", "new_text": "no"}),
        )
        .await;
        assert!(err(&edit).contains("outside the workspace"));
        let list = call(&ctx, "list_dir", json!({"path": "escape"})).await;
        assert!(err(&list).contains("outside the workspace"));

        let yes = approved(&ctx);
        let read = call(&yes, "read_file", json!({"path": "escape/secret.txt"})).await;
        assert!(ok(&read).contains("top secret"));
        let edit = call(
            &yes,
            "edit_file",
            json!({"path": "escape/secret.txt", "old_text": "top", "new_text": "no"}),
        )
        .await;
        ok(&edit);
        assert_eq!(fs::read_to_string(&outside_file).unwrap(), "no secret\n");
        let created = call(
            &yes,
            "write_file",
            json!({"path": "escape/new/dir/f.txt", "content": "hi"}),
        )
        .await;
        assert!(ok(&created).starts_with("Created /"), "{}", created.text);
        assert!(outside.path().join("new/dir/f.txt").exists());
    }
}

#[tokio::test]
async fn describe_summaries_subjects_and_previews() {
    let (dir, ctx) = workspace();
    write(
        dir.path(),
        "src/main.rs",
        "fn main() {\n    println!(\"hi\");\n}\n",
    );
    let s = |tool: &str, args: Value| describe::summary(&ctx, tool, &args);
    assert_eq!(
        s(
            "read_file",
            json!({"path": "src/main.rs", "start_line": 10, "end_line": 40})
        ),
        "Read src/main.rs (lines 10–40)"
    );
    assert_eq!(
        s(
            "write_file",
            json!({"path": "src/lib.rs", "content": "a\nb\n"})
        ),
        "Write src/lib.rs (2 lines)"
    );
    assert_eq!(
        s(
            "edit_file",
            json!({"path": "./src/main.rs", "old_text": "a", "new_text": "b"})
        ),
        "Edit src/main.rs"
    );
    assert_eq!(
        s("grep", json!({"pattern": "foo", "path": "src"})),
        "Search `foo` in src/"
    );
    assert_eq!(s("list_dir", json!({"path": "src"})), "List src/");
    assert_eq!(s("glob", json!({"pattern": "**/*.rs"})), "Find **/*.rs");
    assert_eq!(
        s("web_fetch", json!({"url": "https://docs.rs/x"})),
        "Fetch https://docs.rs/x"
    );
    assert_eq!(
        s("read_file", json!({"file": "x"})),
        "read_file (invalid arguments)"
    );

    let subj = describe::subject(&ctx, "grep", &json!({"pattern": "x"})).unwrap();
    assert_eq!(
        (subj.kind, subj.text.as_str(), subj.inside_workspace),
        (SubjectKind::Path, ".", true)
    );
    let subj = describe::subject(&ctx, "read_file", &json!({"path": "/etc/hosts"})).unwrap();
    assert!(!subj.inside_workspace && subj.text.starts_with('/'));
    let subj =
        describe::subject(&ctx, "web_fetch", &json!({"url": "https://example.com/a"})).unwrap();
    assert_eq!(
        (subj.kind, subj.text.as_str()),
        (SubjectKind::Url, "https://example.com/a")
    );
    assert!(describe::subject(&ctx, "web_fetch", &json!({"url": "ftp://x"})).is_err());
    assert!(describe::subject(&ctx, "shell", &json!({})).is_err());

    let edit = json!({"path": "src/main.rs", "old_text": "\"hi\"", "new_text": "\"hello\""});
    let Some(ApprovalPreview::Diff { path, diff }) =
        describe::preview(&ctx, "edit_file", &edit).await
    else {
        panic!("expected a diff");
    };
    assert_eq!(path, "src/main.rs");
    assert_eq!(
        diff,
        "--- a/src/main.rs\n+++ b/src/main.rs\n@@ -1,3 +1,3 @@\n fn main() {\n-    println!(\"hi\");\n+    println!(\"hello\");\n }\n"
    );
    let bad = json!({"path": "src/main.rs", "old_text": "nope", "new_text": "x"});
    let Some(ApprovalPreview::Text { text }) = describe::preview(&ctx, "edit_file", &bad).await
    else {
        panic!("expected text");
    };
    assert!(text.contains("not found"), "{text}");
    let new = json!({"path": "new.txt", "content": "a\n"});
    let Some(ApprovalPreview::Diff { diff, .. }) =
        describe::preview(&ctx, "write_file", &new).await
    else {
        panic!("expected a diff");
    };
    assert_eq!(diff, "--- a/new.txt\n+++ b/new.txt\n@@ -0,0 +1 @@\n+a\n");
    // Changes whose diff would be empty are said in words (never an empty diff).
    let same_text = std::fs::read_to_string(dir.path().join("src/main.rs")).unwrap();
    let cases = [
        (
            "write_file",
            json!({"path": "src/main.rs", "content": same_text}),
            "No change",
        ),
        (
            "write_file",
            json!({"path": "empty.txt", "content": ""}),
            "empty file",
        ),
    ];
    for (tool, args, expect) in cases {
        match describe::preview(&ctx, tool, &args).await {
            Some(ApprovalPreview::Text { text }) => {
                assert!(text.contains(expect), "{tool}: {text}")
            }
            other => panic!("{tool} {args}: expected words, got {other:?}"),
        }
    }
    assert!(
        describe::preview(&ctx, "read_file", &json!({"path": "x"}))
            .await
            .is_none()
    );
    // The preview does not write anything.
    assert!(!dir.path().join("new.txt").exists());
    assert!(run("nope", &ctx, &json!({})).await.is_none());
    assert_eq!(file_tool_specs().len(), 7);
}

/// A tiny HTTP/1.1 server: one response per connection, chosen by path.
async fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf);
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let reply = |status: &str, ctype: &str, body: &[u8]| {
                    let mut r = format!("HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
                    r.extend_from_slice(body);
                    r
                };
                let response = match path.as_str() {
                    "/page" => reply("200 OK", "text/html; charset=utf-8", b"<html><head><title>T</title><style>p{}</style></head><body><h1>Hello</h1><p>Some <b>bold</b> text.</p><ul><li>one</li></ul></body></html>"),
                    "/data.json" => reply("200 OK", "application/json", b"{\"a\": 1}"),
                    "/big" => reply("200 OK", "text/plain", &b"0123456789".repeat(10_000)),
                    "/logo.png" => reply("200 OK", "image/png", &[0x89, b'P', b'N', b'G', 0, 0, 0, 0]),
                    "/moved" => b"HTTP/1.1 301 Moved Permanently\r\nLocation: /page\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
                    "/stall" => {
                        let _ = sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\npartial").await;
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        return;
                    }
                    _ => reply("404 Not Found", "text/plain", b"not here"),
                };
                let _ = sock.write_all(&response).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn web_fetch_against_a_local_server() {
    // Loopback is refused unless a rule names the host: this test names it.
    let plain = call(
        &workspace().1,
        "web_fetch",
        json!({"url": "http://127.0.0.1:1/"}),
    )
    .await;
    assert!(err(&plain).contains("loopback"), "{}", plain.text);
    let base = serve().await;
    let (_dir, mut ctx) = workspace();
    ctx.limits.fetch_timeout = Duration::from_millis(700);
    ctx.limits.fetch_max_bytes = 4096;

    let page = fetch_local(&ctx, json!({"url": format!("{base}/page")})).await;
    let text = ok(&page);
    assert!(
        text.starts_with(&format!("{base}/page (text/html, ")),
        "{text}"
    );
    assert!(
        text.contains("# T\n\n# Hello\n\nSome bold text.\n\n- one"),
        "{text}"
    );
    assert!(!text.contains("<p>") && !text.contains("p{}"), "{text}");

    let json_out = fetch_local(&ctx, json!({"url": format!("{base}/data.json")})).await;
    assert!(
        ok(&json_out).ends_with("\n\n{\"a\": 1}\n"),
        "{}",
        json_out.text
    );
    let moved = fetch_local(&ctx, json!({"url": format!("{base}/moved")})).await;
    assert!(ok(&moved).contains(&format!("redirected to {base}/page")));

    let missing = fetch_local(&ctx, json!({"url": format!("{base}/missing")})).await;
    assert_eq!(
        err(&missing),
        format!("{base}/missing answered HTTP 404 Not Found.")
    );
    let big = fetch_local(&ctx, json!({"url": format!("{base}/big")})).await;
    let text = ok(&big);
    assert!(
        text.contains("truncated") && text.contains("stopped reading after 4.0 KB"),
        "{}",
        &text[..200]
    );
    assert!(text.len() < 4096 + 400);
    let png = fetch_local(&ctx, json!({"url": format!("{base}/logo.png")})).await;
    assert!(err(&png).contains("`image/png` (8 B)"), "{}", png.text);

    let started = Instant::now();
    let stall = fetch_local(&ctx, json!({"url": format!("{base}/stall")})).await;
    assert!(
        err(&stall).contains("timed out after 0.7 s"),
        "{}",
        stall.text
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    assert!(
        err(&fetch_local(&ctx, json!({"url": "file:///etc/passwd"})).await)
            .contains("only fetches http")
    );
    assert!(
        err(&fetch_local(&ctx, json!({"url": "http://127.0.0.1:1/"})).await)
            .contains("Could not connect")
    );
}

/// A FIFO, a socket and a device: every file tool refuses them (or skips them
/// in a walk) and nothing blocks.
#[tokio::test]
async fn special_files_are_refused_by_every_file_tool() {
    let (dir, ctx) = workspace();
    let fifo = std::ffi::CString::new(
        ctx.workspace
            .join("pipe")
            .into_os_string()
            .into_encoded_bytes(),
    )
    .unwrap();
    // SAFETY: test: creates a FIFO at a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let _sock = std::os::unix::net::UnixListener::bind(ctx.workspace.join("sock")).unwrap();
    write(dir.path(), "ok.txt", "needle\n");
    let limit = Duration::from_secs(60);
    let timed = |tool: &'static str, args: Value| {
        let ctx = ctx.clone();
        async move {
            tokio::time::timeout(limit, async { call(&ctx, tool, args).await })
                .await
                .unwrap_or_else(|_| panic!("{tool} blocked"))
        }
    };
    for name in ["pipe", "sock"] {
        let calls = [
            ("read_file", json!({"path": name})),
            ("write_file", json!({"path": name, "content": "x"})),
            (
                "edit_file",
                json!({"path": name, "old_text": "a", "new_text": "b"}),
            ),
            ("list_dir", json!({"path": name})),
            ("glob", json!({"pattern": "*", "path": name})),
            ("grep", json!({"pattern": "x", "path": name})),
        ];
        for (tool, args) in calls {
            let out = timed(tool, args).await;
            let text = err(&out);
            assert!(
                text.contains("pipe") || text.contains("socket") || text.contains("regular"),
                "{tool} on {name}: {text}"
            );
        }
    }
    // Walks skip them and finish.
    let out = timed("grep", json!({"pattern": "needle"})).await;
    assert!(ok(&out).contains("ok.txt:1"), "{}", out.text);
    let out = timed("glob", json!({"pattern": "*"})).await;
    assert!(ok(&out).contains("pipe"), "{}", out.text);
    ok(&timed("list_dir", json!({})).await);
    // A device outside the workspace, even approved.
    let approved = approved(&ctx);
    for (tool, args) in [
        ("read_file", json!({"path": "/dev/zero"})),
        ("write_file", json!({"path": "/dev/null", "content": "x"})),
        ("grep", json!({"pattern": "x", "path": "/dev/zero"})),
    ] {
        let out = tokio::time::timeout(limit, call(&approved, tool, args))
            .await
            .unwrap();
        assert!(
            err(&out).contains("device") || out.text.contains("regular"),
            "{tool}: {}",
            out.text
        );
    }
}
