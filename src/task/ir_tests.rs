//! Intake: good files and every error kind with its location.

use std::path::Path;

use super::diag::{Diagnostic, Source};
use super::ir::{Task, from_source};

fn no_env(_: &str) -> Option<String> {
    None
}

fn load(text: &str) -> Result<Task, Vec<Diagnostic>> {
    from_source(&Source::new(Path::new("t.cw"), text.into()), None, &no_env)
}

/// The single error's `line:col: message`.
fn error(text: &str) -> (usize, usize, String, String) {
    match load(text) {
        Ok(t) => unreachable!("loaded: {t:?}"),
        Err(d) => {
            assert_eq!(d.len(), 1, "{d:?}");
            (
                d[0].line,
                d[0].column,
                d[0].message.clone(),
                d[0].fix.clone(),
            )
        }
    }
}

const GOOD: &str = r#"
task "web" {}

variable "port" {
  default = 8080
}

directory "site" {
  path = "site"
}

file "index" {
  path    = "${directory.site.path}/index.html"
  content = "hello on ${var.port}"
}

service "web" {
  start      = "python3 -m http.server ${var.port}"
  workdir    = directory.site.path
  health_url = "http://127.0.0.1:${var.port}/"
  depends_on = [file.index]
}
"#;

#[test]
fn a_good_file_resolves_references_in_dependency_order() {
    let t = load(GOOD).unwrap_or_else(|d| unreachable!("{d:?}"));
    assert_eq!(t.name, "web");
    let ids: Vec<String> = t.resources.iter().map(|r| r.id()).collect();
    assert_eq!(ids, ["directory.site", "file.index", "service.web"]);
    assert_eq!(t.resources[1].str_attr("path"), Some("site/index.html"));
    assert_eq!(t.resources[1].str_attr("content"), Some("hello on 8080"));
    assert_eq!(t.resources[2].str_attr("workdir"), Some("site"));
    assert_eq!(t.resources[2].depends_on, ["directory.site", "file.index"]);
    assert_eq!((t.resources[1].line, t.resources[1].column), (12, 1));
}

#[test]
fn declaration_order_breaks_ties_whatever_the_reference_order() {
    let t = load(
        r#"
file "b" { path = "b" }
file "a" { path = file.c.path }
file "c" { path = "c" }
"#,
    )
    .unwrap_or_else(|d| unreachable!("{d:?}"));
    let ids: Vec<String> = t.resources.iter().map(|r| r.id()).collect();
    assert_eq!(ids, ["file.b", "file.c", "file.a"]);
}

#[test]
fn syntax_error() {
    let (line, _, msg, _) = error("file \"a\" {\n  path = \"x\n}\n");
    assert!(msg.starts_with("HCL syntax error"), "{msg}");
    assert!(line >= 2, "{line}");
}

#[test]
fn unknown_kind_suggests_the_closest() {
    let (line, col, msg, fix) = error("\n  servise \"x\" { start = \"a\" }\n");
    assert_eq!((line, col), (2, 3));
    assert_eq!(msg, "unknown resource kind `servise`");
    assert!(fix.starts_with("did you mean `service`?"), "{fix}");
}

#[test]
fn unknown_attribute_is_located_at_its_key() {
    let (line, col, msg, fix) = error("file \"a\" {\n  path = \"x\"\n  contnet = \"y\"\n}\n");
    assert_eq!((line, col), (3, 3));
    assert_eq!(msg, "unknown attribute `contnet` for file");
    assert!(fix.starts_with("did you mean `content`?"), "{fix}");
}

#[test]
fn missing_variable_reference() {
    let (line, col, msg, _) = error("file \"a\" {\n  path = \"${var.root}/x\"\n}\n");
    assert_eq!((line, col), (2, 13));
    assert_eq!(msg, "missing variable `var.root`");
}

#[test]
fn variable_without_value() {
    let (line, col, msg, fix) = error("variable \"root\" {}\nfile \"a\" { path = var.root }\n");
    assert_eq!((line, col), (1, 1));
    assert_eq!(msg, "variable `root` has no value");
    assert!(fix.contains("PINCER_TASK_VAR_root"), "{fix}");
}

#[test]
fn bad_references() {
    let (line, col, msg, _) = error("file \"a\" {\n  path = file.b.path\n}\n");
    assert_eq!((line, col), (2, 10));
    assert_eq!(msg, "bad reference `file.b.path`: no file named `b`");
    let (_, _, msg, fix) = error("file \"b\" { path = \"b\" }\nfile \"a\" { path = file.b.url }\n");
    assert_eq!(msg, "bad reference `file.b.url`");
    assert_eq!(fix, "file has no attribute `url`");
    let (_, _, msg, _) = error("file \"a\" { path = nope.b.c }\n");
    assert!(msg.contains("`nope` is not a resource kind"), "{msg}");
    let (_, _, msg, _) = error("file \"a\" { path = root }\n");
    assert_eq!(msg, "bare name `root`");
    let (_, _, msg, _) = error("file \"b\" { path = \"b\" }\nfile \"a\" { path = file.b }\n");
    assert!(msg.contains("names a resource, not a value"), "{msg}");
    let (_, _, msg, _) =
        error("file \"b\" { path = \"b\" }\nfile \"a\" {\n path = \"a\"\n mode = file.b.mode\n}\n");
    assert!(msg.contains("that attribute is not set"), "{msg}");
}

#[test]
fn cycles_name_the_cycle() {
    let (line, col, msg, _) = error(
        "command \"a\" {\n  run = \"x\"\n  depends_on = [command.c]\n}\ncommand \"b\" {\n  run = command.a.run\n}\ncommand \"c\" {\n  run = command.b.run\n}\n",
    );
    assert_eq!((line, col), (1, 1));
    assert_eq!(
        msg,
        "dependency cycle: command.a → command.c → command.b → command.a"
    );
}

#[test]
fn types_and_required_attributes_are_checked() {
    let (line, _, msg, _) =
        error("http_check \"h\" {\n  url = \"http://x\"\n  retries = \"3\"\n}\n");
    assert_eq!(line, 3);
    assert_eq!(msg, "`retries` of http_check.h must be a whole number");
    let (line, col, msg, _) = error("\n\ngit_repo \"r\" { url = \"u\" }\n");
    assert_eq!((line, col), (3, 1));
    assert_eq!(msg, "git_repo.r needs `path`");
}

#[test]
fn duplicates_labels_and_unsupported_expressions() {
    let (_, _, msg, _) = error("file \"a\" { path = \"a\" }\nfile \"a\" { path = \"b\" }\n");
    assert_eq!(msg, "file.a is declared twice");
    let (_, _, msg, _) = error("file { path = \"a\" }\n");
    assert_eq!(msg, "`file` needs exactly one name label");
    let (_, _, msg, _) = error("file \"a\" { path = upper(\"a\") }\n");
    assert_eq!(msg, "a function call is not supported in .cw files");
    let (_, _, msg, _) = error("path = \"a\"\n");
    assert_eq!(msg, "an attribute outside any block");
}

#[test]
fn cwvars_and_environment_override_defaults() {
    let cw = Source::new(
        Path::new("t.cw"),
        "variable \"port\" { default = 1 }\nvariable \"host\" {}\nhttp_check \"h\" { url = \"http://${var.host}:${var.port}/\" }\n".into(),
    );
    let vars = Source::new(Path::new("t.cwvars"), "host = \"a\"\nport = 2\n".into());
    let env = |k: &str| (k == "PINCER_TASK_VAR_port").then(|| "3".to_string());
    let t = from_source(&cw, Some(&vars), &env).unwrap_or_else(|d| unreachable!("{d:?}"));
    assert_eq!(t.resources[0].str_attr("url"), Some("http://a:3/"));
    assert_eq!(t.variables["port"], serde_json::json!(3));
    let t = from_source(&cw, Some(&vars), &no_env).unwrap_or_else(|d| unreachable!("{d:?}"));
    assert_eq!(t.resources[0].str_attr("url"), Some("http://a:2/"));

    let bad = Source::new(Path::new("t.cwvars"), "host = \"a\"\nprot = 2\n".into());
    let d = from_source(&cw, Some(&bad), &no_env)
        .err()
        .unwrap_or_default();
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].file.as_path(), d[0].line, d[0].column),
        (Path::new("t.cwvars"), 2, 1)
    );
    assert!(d[0].fix.starts_with("did you mean `port`?"), "{}", d[0].fix);
}

#[test]
fn every_error_is_reported_at_once() {
    let d = load("fiel \"a\" {}\nfile \"b\" { pth = \"x\" }\n")
        .err()
        .unwrap_or_default();
    assert_eq!(d.len(), 3, "{d:?}");
    assert!(
        d[0].to_string()
            .starts_with("t.cw:1:1: unknown resource kind `fiel`")
    );
}
