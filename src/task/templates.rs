//! `--no-ai`: built-in templates compile every action into a small `/bin/sh` script (data a
//! script copies goes in a file of its own, so nothing the user wrote is ever re-quoted into
//! code it was not meant to be). The result is a bundle like the model's and is validated the
//! same way.

use std::fmt::Write as _;

use serde_json::Value;

use super::bundle::{Artifact, Bundle, Step, build_dir};
use super::facts::Facts;
use super::plan::{Action, Plan, Verb};

/// The bundle for `plan` of task `name`.
pub fn compile(plan: &Plan, name: &str, facts: &Facts) -> Bundle {
    let build = build_dir(name);
    let mut b = Bundle::default();
    for (i, a) in plan.actions.iter().enumerate() {
        let stem = format!(
            "{:02}-{}-{}",
            i + 1,
            a.kind,
            a.id.split_once('.').map_or("", |x| x.1)
        );
        let data = format!("{build}/{stem}.data");
        let (script, data_file, network, detach) = script_for(a, &data, facts);
        if let Some(content) = data_file {
            b.files.push(Artifact {
                path: format!("{stem}.data"),
                mode: "0644".into(),
                purpose: a.purpose(),
                language: "text".into(),
                content,
            });
        }
        let (language, ext) = if script.starts_with("#!/usr/bin/env python3") {
            ("python3", "py")
        } else {
            ("sh", "sh")
        };
        b.files.push(Artifact {
            path: format!("{stem}.{ext}"),
            mode: "0755".into(),
            purpose: a.purpose(),
            language: language.into(),
            content: script,
        });
        b.steps.push(Step {
            purpose: a.purpose(),
            command: format!("{language} {build}/{stem}.{ext}"),
            timeout_secs: a.args.get("timeout_secs").and_then(Value::as_u64),
            network,
            detach,
        });
    }
    b
}

/// Single-quoted for `/bin/sh`.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn arg<'a>(a: &'a Action, k: &str) -> Option<&'a str> {
    a.args.get(k).and_then(Value::as_str)
}

fn int(a: &Action, k: &str, default: i64) -> i64 {
    a.args.get(k).and_then(Value::as_i64).unwrap_or(default)
}

type Script = (String, Option<String>, bool, bool);

fn script_for(a: &Action, data: &str, facts: &Facts) -> Script {
    let mut s = String::from("#!/bin/sh\nset -eu\n");
    let mut data_file = None;
    let (mut network, mut detach) = (false, false);
    let path = arg(a, "path").map(quote).unwrap_or_default();
    match (a.kind.as_str(), a.verb) {
        ("file", Verb::Delete) => {
            let _ = writeln!(s, "rm -f -- {path}");
        }
        ("file", _) => {
            let _ = writeln!(s, "mkdir -p -- \"$(dirname -- {path})\"");
            match arg(a, "content") {
                Some(c) => {
                    data_file = Some(c.to_string());
                    let _ = writeln!(s, "cp -- {} {path}", quote(data));
                }
                None => {
                    let _ = writeln!(s, "touch -- {path}");
                }
            }
            if let Some(m) = arg(a, "mode") {
                let _ = writeln!(s, "chmod {} -- {path}", quote(m));
            }
        }
        ("directory", Verb::Delete) => {
            let _ = writeln!(
                s,
                "rmdir -- {path} 2>/dev/null || echo \"kept {path}: not empty\""
            );
        }
        ("directory", _) => {
            let _ = writeln!(s, "mkdir -p -- {path}");
            if let Some(m) = arg(a, "mode") {
                let _ = writeln!(s, "chmod {} -- {path}", quote(m));
            }
        }
        ("git_repo", Verb::Delete) => {
            let _ = writeln!(
                s,
                "echo \"left the clone {path} in place (delete it yourself)\""
            );
        }
        ("git_repo", _) => {
            network = true;
            let url = quote(arg(a, "url").unwrap_or_default());
            let branch = arg(a, "branch").map(quote);
            let _ = writeln!(
                s,
                "if [ -d {path}/.git ]; then\n  git -C {path} fetch --quiet origin"
            );
            if let Some(b) = &branch {
                let _ = writeln!(s, "  git -C {path} checkout --quiet {b}");
            }
            let _ = writeln!(s, "  git -C {path} pull --quiet --ff-only\nelse");
            let b = branch.map(|b| format!("--branch {b} ")).unwrap_or_default();
            let _ = writeln!(s, "  git clone --quiet {b}-- {url} {path}\nfi");
            if let Some(t) = arg(a, "test_command") {
                let _ = writeln!(s, "cd {path}\n{t}");
            }
        }
        ("command", Verb::Delete) | ("schedule", Verb::Delete) => {
            let _ = writeln!(
                s,
                "echo {}",
                quote(&format!("{} removed from the task", a.id))
            );
        }
        ("command", _) => {
            network = a
                .args
                .get("network")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if let Some(c) = arg(a, "creates") {
                let _ = writeln!(
                    s,
                    "if [ -e {} ]; then echo 'already done'; exit 0; fi",
                    quote(c)
                );
            }
            if let Some(w) = arg(a, "workdir") {
                let _ = writeln!(s, "cd -- {}", quote(w));
            }
            let _ = writeln!(s, "{}", arg(a, "run").unwrap_or("true"));
        }
        ("service", Verb::Delete) => {
            let _ = writeln!(s, "echo {}", quote(&format!("{} stopped", a.id)));
        }
        ("service", _) => {
            network = true;
            detach = true;
            if let Some(w) = arg(a, "workdir") {
                let _ = writeln!(s, "cd -- {}", quote(w));
            }
            let _ = writeln!(s, "exec {}", arg(a, "start").unwrap_or("true"));
        }
        ("http_check", _) if a.verb != Verb::Delete => {
            network = true;
            return (http_check(a, facts), None, network, detach);
        }
        ("schedule", _) => {
            let line = format!(
                "{} cd \"$TASK_DIR\" && {}",
                arg(a, "cron").unwrap_or("@daily"),
                arg(a, "run").unwrap_or("true")
            );
            data_file = Some(format!("{line}\n"));
            let _ = writeln!(
                s,
                "echo 'add this line to your crontab (crontab -e), with TASK_DIR set to the task folder:'\ncat -- {}",
                quote(data)
            );
        }
        _ => {
            let _ = writeln!(
                s,
                "echo {}",
                quote(&format!("nothing to do for {}", a.purpose()))
            );
        }
    }
    (s, data_file, network, detach)
}

/// An HTTP check: python3's urllib when present, else curl.
fn http_check(a: &Action, facts: &Facts) -> String {
    let url = arg(a, "url").unwrap_or_default();
    let status = int(a, "expect_status", 200);
    let retries = int(a, "retries", 5).max(1);
    let interval = int(a, "interval_secs", 1).max(0);
    let timeout = int(a, "timeout_secs", 5).max(1);
    if facts.has("python3") {
        let url = serde_json::to_string(url).unwrap_or_default();
        return format!(
            "#!/usr/bin/env python3\nimport sys, time, urllib.request, urllib.error\n\
             url = {url}\nfor attempt in range({retries}):\n    try:\n        \
             code = urllib.request.urlopen(url, timeout={timeout}).status\n    \
             except urllib.error.HTTPError as e:\n        code = e.code\n    \
             except Exception as e:\n        code = str(e)\n    \
             if code == {status}:\n        print('ok:', url, code)\n        sys.exit(0)\n    \
             print('attempt', attempt + 1, 'got', code, file=sys.stderr)\n    \
             time.sleep({interval})\nsys.exit(1)\n"
        );
    }
    format!(
        "#!/bin/sh\nset -u\ni=0\nwhile [ $i -lt {retries} ]; do\n  \
         code=$(curl -s -o /dev/null -m {timeout} -w '%{{http_code}}' {url} || true)\n  \
         if [ \"$code\" = {status} ]; then echo \"ok: $code\"; exit 0; fi\n  \
         echo \"attempt $((i+1)) got $code\" >&2\n  i=$((i+1))\n  sleep {interval}\ndone\nexit 1\n",
        url = quote(url)
    )
}
