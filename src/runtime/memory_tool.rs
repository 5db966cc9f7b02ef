//! The memory tools (`memory_search`, `memory_get`, `memory_write`, `memory_forget`): checked
//! into a `Prepared` so they pass the same gate as other tools (search/get read-only, write and
//! forget writes), run on the store thread, and each write/forget announced with
//! `Event::MemoryChanged` (undoable). A write in a turn that took in untrusted content records
//! provenance `tool_output` instead of `model`.

use std::sync::Arc;

use serde_json::Value;

use super::turn::TurnEnv;
use crate::memory::search::{Hit, Query};
use crate::memory::{MemoryError, MemoryService, WriteMode, WriteRequest, format};
use crate::policy::{CallSubject, SubjectKind};
use crate::protocol::{Event, MemoryProvenance, MemoryScope, MemoryScopeFilter, ToolStatus};
use crate::provider::ToolCall;
use crate::tools::ToolOutput;
use crate::tools::memory_specs::{self, FORGET, GET, SEARCH, WRITE};
use crate::tools::registry::{Prepared, Rejected};

/// Whether this call is a memory tool the turn offers.
pub fn handles(env: &TurnEnv, name: &str) -> bool {
    env.memory.is_some() && env.store.is_some() && memory_specs::is_memory_tool(name)
}

fn str_arg<'a>(args: &'a Value, key: &str) -> Option<&'a str> {
    args.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Parse and check the arguments; describe the call for the gate.
pub fn prepare(call: &ToolCall, read_only: bool) -> Result<Prepared, Rejected> {
    let reject = |message: String| Rejected {
        summary: format!("{} (invalid arguments)", call.name),
        message,
    };
    let args: Value = serde_json::from_str(&call.arguments).map_err(|e| {
        reject(format!(
            "The arguments are not valid JSON ({e}). Send a JSON object matching the tool's schema."
        ))
    })?;
    let Some(def) = memory_specs::definitions(read_only)
        .into_iter()
        .find(|d| d.name == call.name)
    else {
        return Err(Rejected {
            summary: format!("{} (not available)", call.name),
            message: format!(
                "`{}` is not available now (plan mode offers only memory_search and memory_get).",
                call.name
            ),
        });
    };
    let problems = crate::tools::schema::validate(&args, &def.parameters);
    if !problems.is_empty() {
        return Err(reject(format!(
            "Invalid arguments for `{}`: {}.",
            call.name,
            problems.join("; ")
        )));
    }
    let (summary, subject) = match call.name.as_str() {
        SEARCH => {
            let q = str_arg(&args, "query").unwrap_or("");
            (format!("Search memory for {q:?}"), q.to_string())
        }
        GET => {
            let t = str_arg(&args, "target").unwrap_or("");
            (format!("Read memory {t}"), t.to_string())
        }
        WRITE => {
            let scope = str_arg(&args, "scope").unwrap_or("user");
            let file = str_arg(&args, "file").unwrap_or(crate::memory::CORE_FILE);
            let text: String = str_arg(&args, "text")
                .unwrap_or("")
                .chars()
                .take(60)
                .collect();
            (
                format!("Remember ({scope}, {file}): {text}"),
                format!("{scope}:{file}"),
            )
        }
        _ => {
            let t = str_arg(&args, "target").unwrap_or("");
            (format!("Forget memory {t}"), t.to_string())
        }
    };
    let subject = CallSubject::new(call.name.clone(), SubjectKind::Other, subject);
    Ok(Prepared {
        call_id: call.id.clone(),
        name: call.name.clone(),
        suggested_rule: format!("{}: *", call.name),
        args,
        summary,
        risk: memory_specs::risk(&call.name),
        subject,
        inside_workspace: true,
        command: None,
    })
}

fn output(status: ToolStatus, text: String) -> ToolOutput {
    ToolOutput {
        text,
        status,
        exit_code: None,
    }
}

/// Run a prepared memory call.
pub async fn run(env: &TurnEnv, p: &Prepared) -> ToolOutput {
    let (Some(memory), Some(store)) = (env.memory.clone(), env.store.clone()) else {
        return output(
            ToolStatus::Error,
            "memory is not enabled in this session".into(),
        );
    };
    let args = p.args.clone();
    let name = p.name.clone();
    let by = if env.taint.get().is_some() {
        MemoryProvenance::ToolOutput
    } else {
        MemoryProvenance::Model
    };
    let vector = if name == SEARCH {
        query_vector(&memory, &store, str_arg(&args, "query").unwrap_or("")).await
    } else {
        None
    };
    let result = store
        .call(move |s| Ok(run_blocking(&memory, s, &name, &args, by, vector)))
        .await;
    match result {
        Ok(Ok((text, change))) => {
            if let Some(change) = change {
                let _ = env.events.send(Event::MemoryChanged(change));
            }
            output(ToolStatus::Ok, text)
        }
        Ok(Err(e)) => output(ToolStatus::Error, format!("Not done: {e}")),
        Err(e) => output(ToolStatus::Error, format!("Not done: {e}")),
    }
}

/// The query's embedding when the vector leg is usable now (else search runs on text).
pub(super) async fn query_vector(
    memory: &Arc<MemoryService>,
    store: &super::storage::StoreHandle,
    text: &str,
) -> Option<Vec<f32>> {
    let leg = memory.vector_leg()?;
    let svc = Arc::clone(memory);
    if !store.call(move |s| svc.vectors_usable(s)).await.ok()? {
        return None;
    }
    leg.query_vector(&*store.shared(), text).await
}

type Done = (String, Option<crate::protocol::MemoryChange>);

fn run_blocking(
    memory: &Arc<MemoryService>,
    store: &crate::store::Store,
    name: &str,
    args: &Value,
    by: MemoryProvenance,
    vector: Option<Vec<f32>>,
) -> Result<Done, MemoryError> {
    match name {
        SEARCH => {
            // Files edited since the last look are taken in first (cheap when none changed).
            memory.sync(store)?;
            let mut q = Query::new(str_arg(args, "query").unwrap_or(""));
            q.scope = match str_arg(args, "scope") {
                Some("user") => MemoryScopeFilter::User,
                Some("project") => MemoryScopeFilter::Project,
                _ => MemoryScopeFilter::All,
            };
            q.k = args
                .get("k")
                .and_then(Value::as_u64)
                .unwrap_or(8)
                .clamp(1, 50) as usize;
            let hits = memory.search(store, &q, vector)?;
            Ok((render_hits(&q.text, &hits), None))
        }
        GET => {
            let lines = match (
                args.get("start_line").and_then(Value::as_u64),
                args.get("end_line").and_then(Value::as_u64),
            ) {
                (None, None) => None,
                (s, e) => Some((
                    s.unwrap_or(1) as u32,
                    e.unwrap_or(u64::from(u32::MAX)) as u32,
                )),
            };
            let text = crate::memory::edit::get(
                &memory.dirs,
                str_arg(args, "target").unwrap_or(""),
                lines,
            )?;
            Ok((text, None))
        }
        WRITE => {
            let req = write_request(args)?;
            let (change, id) = match memory.write(store, &req, by) {
                // Not a failure: the fact is there; the model is told so and nothing changes.
                Err(MemoryError::AlreadyRemembered { id, path }) => {
                    let text = format!(
                        "Already remembered (id {id}, {path}): nothing written. To change it, \
                         call memory_write with mode \"supersede\" and target \"{id}\"."
                    );
                    return Ok((text, None));
                }
                other => other?,
            };
            let text = format!(
                "Saved (id {id}, {}, {}). It will be in memory in future sessions{}.",
                change.path,
                format::provenance_name(by),
                if change.path.ends_with(crate::memory::CORE_FILE) {
                    " and in the prompt"
                } else {
                    "; find it with memory_search"
                }
            );
            Ok((text, Some(change)))
        }
        FORGET => {
            let change = memory.forget(store, str_arg(args, "target").unwrap_or(""))?;
            Ok((format!("Forgotten: {}", change.summary), Some(change)))
        }
        other => Err(MemoryError::BadText(format!(
            "no memory tool called {other}"
        ))),
    }
}

fn write_request(args: &Value) -> Result<WriteRequest, MemoryError> {
    let mode = match str_arg(args, "mode") {
        None | Some("append") => WriteMode::Append,
        Some("create") => WriteMode::Create,
        Some("replace") => WriteMode::Replace,
        Some("supersede") => WriteMode::Supersede,
        Some(m) => {
            return Err(MemoryError::BadText(format!(
                "unknown mode {m:?}; use append, create, replace or supersede"
            )));
        }
    };
    let target = str_arg(args, "target").map(str::to_string);
    if matches!(mode, WriteMode::Replace | WriteMode::Supersede) && target.is_none() {
        return Err(MemoryError::BadText(
            "replace and supersede need target: the old entry's id or a passage of it".into(),
        ));
    }
    Ok(WriteRequest {
        text: str_arg(args, "text").unwrap_or("").to_string(),
        mode,
        scope: if str_arg(args, "scope") == Some("project") {
            MemoryScope::Project
        } else {
            MemoryScope::User
        },
        file: str_arg(args, "file").map(str::to_string),
        kind: str_arg(args, "kind").and_then(format::parse_kind),
        target,
    })
}

/// Short lines for the model: where, which id, the snippet.
pub fn render_hits(query: &str, hits: &[Hit]) -> String {
    if hits.is_empty() {
        return format!("No memory or past conversation matches {query:?}.");
    }
    let mut out = format!("{} hits for {query:?}:\n", hits.len());
    for (i, h) in hits.iter().enumerate() {
        let place = match (&h.session_id, h.item_id) {
            (Some(s), Some(item)) => format!("past session {s}, item {item}"),
            _ => format!("{}:{}-{} id {}", h.path, h.lines[0], h.lines[1], h.id),
        };
        let snippet = h.snippet.replace('\n', " ");
        out.push_str(&format!(
            "{}. [{place}] (score {:.4}) {snippet}\n",
            i + 1,
            h.score
        ));
    }
    out
}
