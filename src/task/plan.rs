//! Assembly: the IR in dependency order, diffed against the recorded state, becomes the
//! action list. Deterministic: the same task and state give the same list, byte for byte.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::ir::{Resource, Task};
use super::state::{State, hex};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    Create,
    Update,
    Delete,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Delete => "delete",
        }
    }
}

/// One named step of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Action {
    pub verb: Verb,
    /// `KIND.NAME`.
    pub id: String,
    pub kind: String,
    pub args: BTreeMap<String, Value>,
    /// Why the step is needed.
    pub reason: String,
}

impl Action {
    /// `create file.index`: what a bundle's step names to say which action it performs.
    pub fn purpose(&self) -> String {
        format!("{} {}", self.verb.as_str(), self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub task: String,
    pub actions: Vec<Action>,
    /// Resources with nothing to do.
    pub unchanged: Vec<String>,
}

/// The hash recorded for a resource: its kind and attributes, canonical JSON.
pub fn resource_hash(r: &Resource) -> String {
    let canonical = serde_json::json!({"kind": r.kind, "attrs": r.attrs}).to_string();
    hex(&Sha256::digest(canonical.as_bytes()))
}

/// The actions that bring the recorded state to the task.
pub fn assemble(task: &Task, state: &State) -> Plan {
    let mut actions = Vec::new();
    let mut unchanged = Vec::new();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    for r in &task.resources {
        let id = r.id();
        let (verb, reason) = match state.resources.get(&id) {
            None => (Some(Verb::Create), "not applied yet".to_string()),
            Some(old) if old.hash != resource_hash(r) => {
                (Some(Verb::Update), changed_attrs(&old.attrs, &r.attrs))
            }
            Some(old) if !old.ok => (
                Some(Verb::Update),
                "the last run failed or it drifted".to_string(),
            ),
            Some(_) => match r.depends_on.iter().find(|d| touched.contains(*d)) {
                Some(d) if reruns_after_dependency(r.kind) => {
                    (Some(Verb::Update), format!("{d} changes"))
                }
                _ => (None, String::new()),
            },
        };
        match verb {
            Some(verb) => {
                touched.insert(id.clone());
                actions.push(Action {
                    verb,
                    id,
                    kind: r.kind.to_string(),
                    args: r.attrs.clone(),
                    reason,
                });
            }
            None => unchanged.push(id),
        }
    }
    let present: BTreeSet<String> = task.resources.iter().map(Resource::id).collect();
    let mut gone: Vec<(&String, &super::state::ResourceState)> = state
        .resources
        .iter()
        .filter(|(id, _)| !present.contains(*id))
        .collect();
    gone.sort_by(|a, b| b.1.order.cmp(&a.1.order).then(a.0.cmp(b.0)));
    actions.extend(gone.into_iter().map(|(id, old)| delete(id, old)));
    Plan {
        task: task.name.clone(),
        actions,
        unchanged,
    }
}

/// Every recorded resource removed, last applied first.
pub fn destroy(state: &State) -> Plan {
    let mut all: Vec<_> = state.resources.iter().collect();
    all.sort_by(|a, b| b.1.order.cmp(&a.1.order).then(a.0.cmp(b.0)));
    Plan {
        task: state.task.clone(),
        actions: all.into_iter().map(|(id, old)| delete(id, old)).collect(),
        unchanged: Vec::new(),
    }
}

fn delete(id: &str, old: &super::state::ResourceState) -> Action {
    Action {
        verb: Verb::Delete,
        id: id.to_string(),
        kind: old.kind.clone(),
        args: old.attrs.clone(),
        reason: "no longer in the task".into(),
    }
}

/// Kinds that run again when something they depend on changes.
fn reruns_after_dependency(kind: &str) -> bool {
    matches!(kind, "command" | "service" | "http_check")
}

fn changed_attrs(old: &BTreeMap<String, Value>, new: &BTreeMap<String, Value>) -> String {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let changed: Vec<&str> = keys
        .into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(String::as_str)
        .collect();
    format!("changed: {}", changed.join(", "))
}

/// The plan as text: one line per action with its arguments, then what stays.
pub fn render(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "task {}: {} action(s)", plan.task, plan.actions.len());
    for (i, a) in plan.actions.iter().enumerate() {
        let _ = writeln!(s, "{:>3}. {}  ({})", i + 1, a.purpose(), a.reason);
        for (k, v) in &a.args {
            let shown = match v {
                Value::String(t) => short(t),
                other => other.to_string(),
            };
            let _ = writeln!(s, "       {k} = {shown}");
        }
    }
    if !plan.unchanged.is_empty() {
        let _ = writeln!(s, "unchanged: {}", plan.unchanged.join(", "));
    }
    if plan.actions.is_empty() {
        let _ = writeln!(s, "nothing to do");
    }
    s
}

/// A string on one line, cut at 100 characters.
fn short(t: &str) -> String {
    let one = t.replace('\n', "\\n");
    if one.chars().count() > 100 {
        format!("{:?}…", one.chars().take(100).collect::<String>())
    } else {
        format!("{one:?}")
    }
}
