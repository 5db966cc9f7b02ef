//! The provider chain: for each model request, the tier's profile (`[routing]`), the response
//! cache, the profile's circuit breaker, the existing retry with backoff, then the profile's
//! failover list for transient failures; a failed small tier escalates once to the large one.
//! Every breaker change, failover, cache hit and escalation is an `Event::ProviderHealth`
//! (retries stay `Event::Retrying`) and a log line.

use crate::protocol::AssistantDelta;
pub mod breaker;
pub mod cache;
pub mod route;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use self::breaker::{Admit, Breaker, Clock, Transition};
use self::cache::{CachedReply, ResponseCache};
use super::EnvLookup;
use super::model_call::{Attempt, Call, CallOutcome, ModelReply, call_model_with, report_failure};
use super::reply_writer::ReplyWriter;
use crate::config::{Config, Overrides, resolve_provider};
use crate::protocol::{
    ErrorKind, Event, HealthChange, ModelTier, ProviderHealth, ProviderInfo, TierAnswer,
};
use crate::provider::retry::RetryPolicy;
use crate::provider::{ChatRequest, ProviderClient};

/// Shared by every turn of a runtime: breakers and clients live as long as the process.
pub struct ProviderChain {
    config: Arc<Config>,
    config_path: String,
    env: EnvLookup,
    clients: Mutex<HashMap<String, Arc<ProviderClient>>>,
    breakers: Mutex<HashMap<String, Breaker>>,
    cache: Option<ResponseCache>,
    clock: Arc<dyn Clock>,
    /// `/model`, `--model`, `--provider`: the current profile answers everything.
    pinned: AtomicBool,
}

/// One turn's routing: the tier in use (`None`: no routing, the current profile) and whether
/// the turn already escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Route {
    pub tier: Option<ModelTier>,
    pub escalated: bool,
}

/// One model request of a turn.
#[derive(Clone, Copy)]
pub struct Ask<'a> {
    /// The runtime's current profile.
    pub current: &'a Arc<ProviderClient>,
    pub request: &'a ChatRequest,
    pub retry: RetryPolicy,
    pub cancel: &'a CancellationToken,
    pub events: &'a UnboundedSender<Event>,
    pub turn_id: u64,
}

impl ProviderChain {
    pub fn new(
        config: &Config,
        config_path: String,
        env: EnvLookup,
        cache_dir: Option<PathBuf>,
        clock: Arc<dyn Clock>,
        pinned: bool,
    ) -> ProviderChain {
        let cache = cache_dir
            .filter(|_| config.chain.cache.responses)
            .map(|dir| ResponseCache::new(dir, config.chain.cache.clone(), Arc::clone(&clock)));
        ProviderChain {
            config: Arc::new(config.clone()),
            config_path,
            env,
            clients: Mutex::new(HashMap::new()),
            breakers: Mutex::new(HashMap::new()),
            cache,
            clock,
            pinned: AtomicBool::new(pinned),
        }
    }

    /// The user chose a model or profile: routing stops for the rest of the process.
    pub fn pin(&self) {
        self.pinned.store(true, Ordering::Relaxed);
    }

    /// The route of a turn started by `message`.
    /// The route for a turn whose policy chose `tier` (`[routing]` off or a pinned model: the
    /// current profile).
    pub fn route(&self, tier: ModelTier) -> Route {
        let routing = &self.config.chain.routing;
        if self.pinned.load(Ordering::Relaxed) || !routing.enabled() {
            return Route::default();
        }
        Route {
            tier: Some(tier),
            escalated: false,
        }
    }

    /// What `/context` and `explain` name as the model of a turn routed to `tier`: the tier's
    /// profile and its model, or `None` when the current profile answers.
    pub fn routed_model(&self, tier: ModelTier, current_profile: &str) -> Option<String> {
        if self.pinned.load(Ordering::Relaxed) {
            return None;
        }
        let name = self.tier_profile(tier).filter(|n| *n != current_profile)?;
        let model = match lock(&self.clients).get(name) {
            Some(c) => c.provider().model.clone(),
            None => self
                .config
                .providers
                .get(name)
                .map(|p| p.model.clone())
                .unwrap_or_default(),
        };
        let model = if model.is_empty() {
            "the server's first model".to_string()
        } else {
            model
        };
        Some(format!("{model} (profile {name}, {} tier)", tier.as_str()))
    }

    fn tier_profile(&self, tier: ModelTier) -> Option<&str> {
        let routing = &self.config.chain.routing;
        match tier {
            ModelTier::Small => routing.small.as_deref(),
            ModelTier::Large => routing.large.as_deref(),
        }
    }

    /// One request: tier → cache → breaker → retries → failover, escalating a failed small
    /// tier once. A final failure is reported (`Event::Error`) here.
    pub async fn ask(
        &self,
        route: &mut Route,
        ask: Ask<'_>,
        writer: &mut ReplyWriter,
    ) -> ModelReply {
        loop {
            let client = match route.tier.and_then(|t| self.tier_profile(t)) {
                Some(name) if name != ask.current.provider().profile => {
                    self.client(name, ask.cancel).await
                }
                _ => Ok(Arc::clone(ask.current)),
            };
            let (reply, answered) = match client {
                Ok(client) => self.with_failover(&client, ask, writer).await,
                Err(message) => (failed(ErrorKind::Config, message), None),
            };
            if let Some(why) = self.should_escalate(route, ask, &reply) {
                let from = self
                    .tier_profile(ModelTier::Small)
                    .unwrap_or_default()
                    .to_string();
                let to = self.large_profile(ask);
                health(
                    ask,
                    &from,
                    HealthChange::Escalated {
                        to: to.clone(),
                        why: why.clone(),
                    },
                    !reply.text.is_empty(),
                );
                writer.reset();
                route.escalated = true;
                route.tier = Some(ModelTier::Large);
                continue;
            }
            report_failure(ask.events, &reply);
            if let (Some(tier), Some(info)) = (route.tier, answered) {
                let _ = ask.events.send(Event::TierAnswered(TierAnswer {
                    turn_id: ask.turn_id,
                    tier,
                    profile: info.profile,
                    model: info.model,
                    escalated: route.escalated,
                }));
            }
            return reply;
        }
    }

    fn large_profile(&self, ask: Ask<'_>) -> String {
        self.tier_profile(ModelTier::Large)
            .unwrap_or(&ask.current.provider().profile)
            .to_string()
    }

    /// Why the turn leaves the small tier now (once a turn, and only to another profile).
    fn should_escalate(&self, route: &Route, ask: Ask<'_>, reply: &ModelReply) -> Option<String> {
        if route.tier != Some(ModelTier::Small) || route.escalated {
            return None;
        }
        let small = self
            .tier_profile(ModelTier::Small)
            .unwrap_or(&ask.current.provider().profile);
        if small == self.large_profile(ask) {
            return None;
        }
        route::small_tier_failure(ask.request, reply)
    }

    /// The client of a profile from the config (its model asked from the server when it
    /// names none), kept for the process.
    async fn client(
        &self,
        name: &str,
        cancel: &CancellationToken,
    ) -> Result<Arc<ProviderClient>, String> {
        if let Some(c) = lock(&self.clients).get(name) {
            return Ok(Arc::clone(c));
        }
        let env = Arc::clone(&self.env);
        let scoped = move |k: &str| match k {
            "PINCER_MODEL" | "PINCER_BASE_URL" | "PINCER_PROVIDER" => None,
            _ => env(k),
        };
        let overrides = Overrides {
            provider: Some(name.to_string()),
            ..Overrides::default()
        };
        let provider = resolve_provider(&self.config, &overrides, &self.config_path, &scoped)
            .map_err(|e| e.to_string())?;
        let mut client = ProviderClient::new(provider, self.config.network.clone())
            .map_err(|e| format!("profile `{name}`: {e}"))?;
        if client.provider().model.is_empty() {
            let listed = tokio::select! {
                _ = cancel.cancelled() => return Err("interrupted".into()),
                listed = client.list_models() => listed,
            };
            match listed.map(|m| m.into_iter().next()) {
                Ok(Some(model)) => client.set_model(model),
                other => {
                    let why = match other {
                        Err(e) => e.to_string(),
                        _ => "it listed none".into(),
                    };
                    return Err(format!(
                        "profile `{name}` names no model and the server did not offer one ({why}). Set model in [providers.{name}]"
                    ));
                }
            }
        }
        let client = Arc::new(client);
        lock(&self.clients).insert(name.to_string(), Arc::clone(&client));
        Ok(client)
    }

    /// `primary`, then its failover profiles while failures are transient. Returns the reply
    /// and the profile that gave it.
    async fn with_failover(
        &self,
        primary: &Arc<ProviderClient>,
        ask: Ask<'_>,
        writer: &mut ReplyWriter,
    ) -> (ModelReply, Option<ProviderInfo>) {
        let first = primary.provider().profile.clone();
        let mut names = vec![first.clone()];
        names.extend(
            self.config
                .chain
                .failover
                .get(&first)
                .cloned()
                .unwrap_or_default(),
        );
        let mut last = None;
        for (i, name) in names.iter().enumerate() {
            let client = if i == 0 {
                Arc::clone(primary)
            } else {
                match self.client(name, ask.cancel).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(profile = %name, %e, "failover profile unusable");
                        continue;
                    }
                }
            };
            let reply = self.one_profile(&client, ask, writer).await;
            let transient = match &reply.failure {
                Some(e) => e.retryable(),
                // Skipped by an open breaker.
                None => reply.outcome == CallOutcome::Failed && reply.error.is_some(),
            };
            let next = names.get(i + 1);
            match (reply.outcome, next) {
                (CallOutcome::Failed, Some(to)) if transient => {
                    let reason = reply
                        .error
                        .as_ref()
                        .map(|e| e.0)
                        .unwrap_or(ErrorKind::Server);
                    let change = HealthChange::Failover {
                        to: to.clone(),
                        reason,
                    };
                    health(ask, name, change, !reply.text.is_empty());
                    writer.reset();
                    last = Some((reply, Some(client.provider().info())));
                }
                _ => return (reply, Some(client.provider().info())),
            }
        }
        last.unwrap_or_else(|| {
            (
                failed(
                    ErrorKind::Network,
                    "no profile could take the request".into(),
                ),
                None,
            )
        })
    }

    /// One profile: its cached reply, or its breaker's verdict, or the request with retries.
    async fn one_profile(
        &self,
        client: &Arc<ProviderClient>,
        ask: Ask<'_>,
        writer: &mut ReplyWriter,
    ) -> ModelReply {
        let name = client.provider().profile.clone();
        let key = self
            .cache
            .as_ref()
            .and_then(|_| ResponseCache::key(client, ask.request));
        if let (Some(cache), Some(key)) = (&self.cache, &key)
            && let Some(hit) = cache.get(key)
        {
            let change = HealthChange::CacheHit {
                age_secs: hit.age_secs,
            };
            health(ask, &name, change, false);
            return cached_reply(ask, writer, hit.reply.text);
        }
        let (admit, change) = self.with_breaker(&name, |b, now| b.admit(now));
        if let Some(t) = change {
            transition(ask, &name, t, &self.config);
        }
        if let Admit::No { retry_in_ms } = admit {
            let retry_in_secs = retry_in_ms.div_ceil(1000);
            health(
                ask,
                &name,
                HealthChange::BreakerSkipped { retry_in_secs },
                false,
            );
            return failed(
                ErrorKind::Network,
                format!(
                    "{name} is skipped after repeated failures; it is tried again in {retry_in_secs} s (or pick another profile with /model)"
                ),
            );
        }
        let call = Call {
            client,
            request: ask.request,
            policy: ask.retry,
            cancel: ask.cancel,
            events: ask.events,
            turn_id: ask.turn_id,
        };
        let reply = call_model_with(call, writer, &mut |attempt| {
            let (open, change) = self.with_breaker(&name, |b, now| {
                let t = match attempt {
                    Attempt::Succeeded => b.on_success(),
                    Attempt::Failed(e) if e.retryable() => b.on_failure(now),
                    Attempt::Failed(_) => None,
                };
                (b.is_open(), t)
            });
            if let Some(t) = change {
                transition(ask, &name, t, &self.config);
            }
            !open
        })
        .await;
        if let (Some(cache), Some(key)) = (&self.cache, &key)
            && reply.outcome == CallOutcome::Completed
            && reply.tool_calls.is_empty()
            && !reply.text.trim().is_empty()
        {
            cache.put(
                key,
                &CachedReply {
                    text: reply.text.clone(),
                },
            );
        }
        reply
    }

    fn with_breaker<T>(&self, profile: &str, f: impl FnOnce(&mut Breaker, u64) -> T) -> T {
        let now = self.clock.now_ms();
        let mut breakers = lock(&self.breakers);
        let b = breakers
            .entry(profile.to_string())
            .or_insert_with(|| Breaker::new(self.config.chain.breaker.clone()));
        f(b, now)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn failed(kind: ErrorKind, message: String) -> ModelReply {
    ModelReply {
        text: String::new(),
        tool_calls: Vec::new(),
        unrun_calls: Vec::new(),
        usage: None,
        outcome: CallOutcome::Failed,
        error: Some((kind, message)),
        failure: None,
    }
}

/// A reply from the cache, delivered like a streamed one.
fn cached_reply(ask: Ask<'_>, writer: &mut ReplyWriter, text: String) -> ModelReply {
    writer.text(&text);
    let _ = ask.events.send(Event::AssistantDelta(AssistantDelta {
        turn_id: ask.turn_id,
        text: text.clone(),
    }));
    ModelReply {
        text,
        tool_calls: Vec::new(),
        unrun_calls: Vec::new(),
        usage: None,
        outcome: CallOutcome::Completed,
        error: None,
        failure: None,
    }
}

fn transition(ask: Ask<'_>, profile: &str, t: Transition, config: &Config) {
    let change = match t {
        Transition::Opened { failures } => HealthChange::BreakerOpened {
            failures,
            cool_down_secs: config.chain.breaker.cool_down_secs,
        },
        Transition::HalfOpened => HealthChange::BreakerHalfOpen,
        Transition::Closed => HealthChange::BreakerClosed,
    };
    health(ask, profile, change, false);
}

/// Send (and log) one health change.
fn health(ask: Ask<'_>, profile: &str, change: HealthChange, discard_partial: bool) {
    let message = describe(profile, &change);
    tracing::info!(%profile, ?change, "{message}");
    let _ = ask.events.send(Event::ProviderHealth(ProviderHealth {
        turn_id: ask.turn_id,
        profile: profile.to_string(),
        change,
        message,
        discard_partial,
    }));
}

/// The one line the user sees.
pub fn describe(profile: &str, change: &HealthChange) -> String {
    match change {
        HealthChange::BreakerOpened {
            failures,
            cool_down_secs,
        } => format!(
            "{profile}: {failures} failure(s) in a row — skipping it for {cool_down_secs} s"
        ),
        HealthChange::BreakerHalfOpen => {
            format!("{profile}: cool-down over — trying it again")
        }
        HealthChange::BreakerClosed => format!("{profile}: answering again — back in use"),
        HealthChange::BreakerSkipped { retry_in_secs } => {
            format!("{profile}: skipped after repeated failures (tried again in {retry_in_secs} s)")
        }
        HealthChange::Failover { to, reason } => {
            format!("{profile} failed ({}) — trying {to}", reason.label())
        }
        HealthChange::CacheHit { age_secs } => {
            format!("answered from the response cache ({age_secs} s old) — no request sent")
        }
        HealthChange::Escalated { to, why } => {
            format!("the small tier ({profile}) failed: {why} — asking the large tier ({to})")
        }
    }
}
