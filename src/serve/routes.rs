//! The HTTP API (under `/api`, every call with the token) and the page (`/`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::auth::{self, Token};
use super::error::ApiError;
use super::hub::Hub;
use super::limits::{Limits, MAX_BODY_BYTES, Rates};
use crate::protocol::{ApprovalDecision, MemoryScopeFilter, SessionSummary};

/// A request body beyond this is not even drained: the connection is dropped.
const DRAIN_CAP_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub hub: Arc<Hub>,
    pub limits: Arc<Limits>,
}

/// The whole service: the page, and the API behind the token and the request limit.
pub fn router(hub: Arc<Hub>, token: Token, rates: Rates) -> Router {
    let state = AppState {
        hub,
        limits: Arc::new(Limits::new(rates)),
    };
    let api = Router::new()
        .route("/sessions", get(list).post(create))
        .route(
            "/sessions/{id}",
            get(show).patch(rename).delete(delete_session),
        )
        .route("/sessions/{id}/messages", post(message))
        .route("/sessions/{id}/resume", post(resume))
        .route("/sessions/{id}/fork", post(fork))
        .route("/sessions/{id}/events", get(super::stream::events))
        .route("/sessions/{id}/approvals/{request_id}", post(approve))
        .route("/sessions/{id}/interrupt", post(interrupt))
        .route("/skills", get(skills))
        .route("/memory", get(memory))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), throttle))
        .layer(middleware::from_fn_with_state(token, auth::require_token));
    Router::new()
        .route("/", get(super::page::index))
        .route("/app.js", get(super::page::script))
        .route("/app.css", get(super::page::style))
        .nest("/api", api)
        .fallback(not_found)
        .with_state(state)
}

async fn throttle(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match state.limits.requests.take("requests") {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route: see docs/SERVE.md for the API")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this route does not take that method: see docs/SERVE.md for the API",
    )
}

/// The body, at most [`MAX_BODY_BYTES`]; a bigger one is read to its end (so the client gets
/// the answer) and refused with 413.
async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(format!("the request body broke off: {e}; send it again"))
        })?;
        total += chunk.len();
        if total <= MAX_BODY_BYTES {
            kept.extend_from_slice(&chunk);
        } else if total > DRAIN_CAP_BYTES {
            break;
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request body is {} bytes or more; the limit is {MAX_BODY_BYTES}: send a shorter message, or attach files with @path",
                total
            ),
        ));
    }
    Ok(kept.into())
}

/// Parse a JSON body; an empty body reads as `{}`.
async fn json_body<T: DeserializeOwned>(body: Body, example: &str) -> Result<T, ApiError> {
    let bytes = read_body(body).await?;
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "the body is not the JSON this route takes ({e}); send e.g. {example}"
        ))
    })
}

fn with_status(hub: &Hub, s: &SessionSummary) -> Value {
    let (open, running) = hub.status(&s.id);
    let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("open".into(), open.into());
        map.insert("running".into(), running.into());
    }
    v
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    all: bool,
    #[serde(default)]
    limit: Option<usize>,
}

async fn list(
    State(st): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| {
        ApiError::bad_request(format!("{e}; use ?all=true and ?limit=N (a number)"))
    })?;
    let limit = q.limit.unwrap_or(200).clamp(1, 10_000);
    let all = q.all;
    let sessions = st
        .hub
        .store()
        .call(move |s| s.list_sessions(None, all, limit))
        .await?;
    let sessions: Vec<Value> = sessions.iter().map(|s| with_status(&st.hub, s)).collect();
    Ok(axum::Json(json!({ "sessions": sessions })).into_response())
}

#[derive(Deserialize)]
struct CreateBody {
    #[serde(default)]
    title: Option<String>,
}

async fn create(State(st): State<AppState>, body: Body) -> Result<Response, ApiError> {
    let b: CreateBody = json_body(body, r#"{"title": "notes"} or nothing"#).await?;
    let summary = st.hub.create(b.title).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(with_status(&st.hub, &summary)),
    )
        .into_response())
}

async fn show(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let summary = st.hub.summary(&id).await?;
    Ok(axum::Json(with_status(&st.hub, &summary)).into_response())
}

#[derive(Deserialize)]
struct RenameBody {
    title: String,
}

async fn rename(
    State(st): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let b: RenameBody = json_body(body, r#"{"title": "new title"}"#).await?;
    let title = b.title.trim().to_string();
    if title.is_empty() {
        return Err(ApiError::bad_request(
            "the title is empty: send {\"title\": \"some words\"}",
        ));
    }
    let key = id.clone();
    st.hub
        .store()
        .call(move |s| s.rename_session(&key, &title))
        .await?;
    show(State(st), Path(id)).await
}

async fn delete_session(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    st.hub.delete(&id).await?;
    Ok(axum::Json(json!({ "deleted": id })).into_response())
}

#[derive(Deserialize)]
struct MessageBody {
    text: String,
}

async fn message(
    State(st): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let b: MessageBody = json_body(body, r#"{"text": "hello"}"#).await?;
    if b.text.trim().is_empty() {
        return Err(ApiError::bad_request(
            "the message is empty: send {\"text\": \"what you want\"}",
        ));
    }
    st.hub.summary(&id).await?;
    st.limits.messages.take("messages")?;
    st.hub.send_message(&id, b.text).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({ "accepted": true })),
    )
        .into_response())
}

async fn resume(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    st.hub.open(&id).await?;
    show(State(st), Path(id)).await
}

#[derive(Deserialize)]
struct ForkBody {
    #[serde(default)]
    before_item: Option<i64>,
}

async fn fork(
    State(st): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let b: ForkBody = json_body(body, r#"{"before_item": 42} or nothing"#).await?;
    st.hub.summary(&id).await?;
    let new_id = crate::store::new_session_id();
    let summary = st
        .hub
        .store()
        .call(move |s| s.fork_session(&id, b.before_item, &new_id))
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(with_status(&st.hub, &summary)),
    )
        .into_response())
}

/// An answer to an approval request, as the API takes it.
#[derive(Debug, Deserialize)]
pub struct ApprovalAnswer {
    decision: String,
    #[serde(default)]
    reason: Option<String>,
    /// For `approve_session` / `approve_always`: the rule (default: the request's own).
    #[serde(default)]
    rule: Option<String>,
}

const DECISIONS: [&str; 5] = [
    "approve_once",
    "approve_session",
    "approve_always",
    "deny",
    "deny_and_stop",
];

impl ApprovalAnswer {
    fn check(self) -> Result<ApprovalAnswer, ApiError> {
        if DECISIONS.contains(&self.decision.as_str()) {
            Ok(self)
        } else {
            Err(ApiError::bad_request(format!(
                "unknown decision `{}`: use one of {}",
                self.decision,
                DECISIONS.join(", ")
            )))
        }
    }

    /// The runtime's decision; `suggested` is the rule "always" saves when none is given.
    pub fn into_decision(self, suggested: String) -> ApprovalDecision {
        let rule = self.rule.filter(|r| !r.trim().is_empty());
        match self.decision.as_str() {
            "approve_once" => ApprovalDecision::ApproveOnce,
            "approve_session" => ApprovalDecision::ApproveSession { rule },
            "approve_always" => ApprovalDecision::ApproveAlways {
                rule: rule.unwrap_or(suggested),
            },
            "deny_and_stop" => ApprovalDecision::DenyAndStop,
            _ => ApprovalDecision::Deny {
                reason: self.reason.filter(|r| !r.trim().is_empty()),
            },
        }
    }
}

async fn approve(
    State(st): State<AppState>,
    Path((id, request_id)): Path<(String, String)>,
    body: Body,
) -> Result<Response, ApiError> {
    let request_id: u64 = request_id.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "`{request_id}` is not a request id: use the request_id of the approval_requested event"
        ))
    })?;
    let answer: ApprovalAnswer = json_body(body, r#"{"decision": "approve_once"}"#).await?;
    let answer = answer.check()?;
    st.hub.summary(&id).await?;
    let decision = st.hub.answer(&id, request_id, answer)?;
    Ok(axum::Json(json!({ "resolved": request_id, "decision": decision })).into_response())
}

async fn interrupt(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    st.hub.summary(&id).await?;
    let interrupted = st.hub.interrupt(&id);
    Ok(axum::Json(json!({ "interrupted": interrupted })).into_response())
}

async fn skills(State(st): State<AppState>) -> Result<Response, ApiError> {
    let settings = st.hub.settings();
    let Some(roots) = settings.skill_roots else {
        return Ok(axum::Json(json!({ "skills": [] })).into_response());
    };
    let catalog = tokio::task::spawn_blocking(move || {
        crate::skills::Catalog::scan(
            &roots,
            &crate::skills::env_var,
            &crate::skills::has_binary_on_path,
        )
    })
    .await
    .map_err(|e| ApiError::internal(format!("the skills scan failed: {e}")))?;
    let capped: Vec<String> = catalog.capped().iter().map(|c| c.message()).collect();
    Ok(axum::Json(json!({ "skills": catalog.entries(), "warnings": capped })).into_response())
}

async fn memory(
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let scope = match q.get("scope").map(String::as_str) {
        None | Some("all") => MemoryScopeFilter::All,
        Some("user") => MemoryScopeFilter::User,
        Some("project") => MemoryScopeFilter::Project,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown scope `{other}`: use all, user or project"
            )));
        }
    };
    let settings = st.hub.settings();
    let Some(dir) = settings.memory_dir else {
        return Ok(axum::Json(json!({ "entries": [], "status": "memory is off" })).into_response());
    };
    let query = q.get("query").cloned().unwrap_or_default();
    let dirs = crate::memory::MemoryDirs::under(&dir, st.hub.workspace());
    let service = crate::memory::MemoryService::new(dirs, settings.config.memory);
    let listing = st
        .hub
        .store()
        .call(move |s| {
            service.sync(s)?;
            service.list(s, scope, &query)
        })
        .await?;
    Ok(axum::Json(listing).into_response())
}
