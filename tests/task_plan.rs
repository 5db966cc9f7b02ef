//! Assembly: deterministic action lists (golden files in tests/golden/tasks/), the diff
//! against recorded state, and the `--no-ai` templates' bundles for the examples.
//! `PINCER_UPDATE_GOLDEN=1 cargo test --test integration task_plan` rewrites the golden files.

#![cfg(feature = "tasks")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use pincer::task::diag::Source;
use pincer::task::ir::{Task, from_source};
use pincer::task::plan::{self, resource_hash};
use pincer::task::state::{ResourceState, State};
use pincer::task::{Facts, templates, validate};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn example(name: &str, env: &dyn Fn(&str) -> Option<String>) -> Task {
    let rel = format!("examples/tasks/{name}/{name}.cw");
    let text = std::fs::read_to_string(root().join(&rel)).unwrap();
    // A relative file name: golden output must not depend on where the checkout lives.
    from_source(&Source::new(Path::new(&rel), text), None, env).unwrap()
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// The state after every resource of `task` was applied successfully.
fn applied(task: &Task) -> State {
    let mut s = State {
        version: pincer::task::state::STATE_VERSION,
        task: task.name.clone(),
        ..State::default()
    };
    for (order, r) in task.resources.iter().enumerate() {
        s.resources.insert(
            r.id(),
            ResourceState {
                kind: r.kind.into(),
                hash: resource_hash(r),
                attrs: r.attrs.clone(),
                ok: true,
                order,
                pid: None,
            },
        );
    }
    s
}

fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden/tasks").join(name);
    if std::env::var_os("PINCER_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (PINCER_UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(actual, want, "{name} differs from its golden file");
}

#[test]
fn fresh_plans_of_the_examples() {
    for name in ["web", "repos", "backup"] {
        let t = example(name, &no_env);
        let p = plan::assemble(&t, &State::default());
        golden(&format!("{name}.plan.txt"), &plan::render(&p));
    }
}

#[test]
fn an_applied_task_plans_nothing() {
    let t = example("web", &no_env);
    let p = plan::assemble(&t, &applied(&t));
    assert!(p.actions.is_empty(), "{p:?}");
    assert_eq!(p.unchanged.len(), 4);
}

#[test]
fn a_changed_variable_updates_what_uses_it_and_what_depends_on_that() {
    let t = example("web", &no_env);
    let state = applied(&t);
    let env = |k: &str| (k == "PINCER_TASK_VAR_port").then(|| "9000".to_string());
    let changed = example("web", &env);
    let p = plan::assemble(&changed, &state);
    golden("web.port_changed.plan.txt", &plan::render(&p));
    let ids: Vec<&str> = p.actions.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["service.web", "http_check.home"]);
}

#[test]
fn a_dependency_change_reruns_commands_but_not_files() {
    let t = example("backup", &no_env);
    let mut state = applied(&t);
    let readme = state.resources.get_mut("file.readme").unwrap();
    readme.hash = "old".into();
    readme.attrs.insert("content".into(), "old text".into());
    let p = plan::assemble(&t, &state);
    let got: Vec<(String, String)> = p
        .actions
        .iter()
        .map(|a| (a.purpose(), a.reason.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "update file.readme".to_string(),
                "changed: content".to_string()
            ),
            (
                "update command.archive".to_string(),
                "file.readme changes".to_string()
            ),
        ]
    );
}

#[test]
fn removed_resources_are_deleted_last_applied_first_and_failed_ones_rerun() {
    let full = example("backup", &no_env);
    let mut state = applied(&full);
    state.resources.get_mut("directory.notes").unwrap().ok = false;
    let text = "task \"backup\" {}\ndirectory \"notes\" {\n  path = \"notes\"\n}\n";
    let smaller = from_source(&Source::new(Path::new("b.cw"), text.into()), None, &no_env).unwrap();
    let p = plan::assemble(&smaller, &state);
    golden("backup.shrunk.plan.txt", &plan::render(&p));
    let d = plan::destroy(&state);
    let ids: Vec<String> = d.actions.iter().map(|a| a.purpose()).collect();
    assert_eq!(
        ids,
        [
            "delete schedule.nightly",
            "delete command.archive",
            "delete directory.backups",
            "delete file.readme",
            "delete directory.notes"
        ]
    );
}

#[test]
fn plans_are_identical_over_a_hundred_runs() {
    let first = serde_json::to_string(&plan::assemble(&example("web", &no_env), &State::default()))
        .unwrap();
    for _ in 0..100 {
        let t = example("web", &no_env);
        let again = serde_json::to_string(&plan::assemble(&t, &State::default())).unwrap();
        assert_eq!(again, first);
    }
}

#[test]
fn template_bundles_of_the_examples_are_valid_and_stable() {
    let facts = Facts::all("linux");
    for name in ["web", "repos", "backup"] {
        let t = example(name, &no_env);
        let p = plan::assemble(&t, &State::default());
        let b = templates::compile(&p, &t.name, &facts);
        let dir = tempfile::tempdir().unwrap();
        let findings = validate::validate(&b, &p, &t.name, dir.path(), &facts);
        assert!(findings.is_empty(), "{name}: {findings:?}");
        golden(
            &format!("{name}.bundle.json"),
            &format!("{}\n", serde_json::to_string_pretty(&b).unwrap()),
        );
        let undo = plan::destroy(&applied(&t));
        let b = templates::compile(&undo, &t.name, &facts);
        let findings = validate::validate(&b, &undo, &t.name, dir.path(), &facts);
        assert!(findings.is_empty(), "{name} destroy: {findings:?}");
    }
}

#[test]
fn without_python_the_http_check_uses_curl() {
    let mut facts = Facts::all("linux");
    facts.runtimes.insert("python3".into(), false);
    let t = example("web", &no_env);
    let p = plan::assemble(&t, &State::default());
    let b = templates::compile(&p, &t.name, &facts);
    let check = b
        .files
        .iter()
        .find(|f| f.purpose == "create http_check.home")
        .unwrap();
    assert_eq!(check.language, "sh");
    assert!(check.content.contains("curl"), "{}", check.content);
}
