//! `pincer serve`: the runtime behind an HTTP API, a Server-Sent Events stream and a web page
//! (docs/SERVE.md). `auth` (the token), `routes` (the router), `hub` (sessions ↔ runtimes),
//! `events` (the replayable log) and `stream` (SSE), `limits` (rates, body size), `page`.

mod auth;
mod error;
mod events;
mod hub;
mod limits;
mod page;
mod routes;
mod stream;

use std::future::Future;
use std::sync::Arc;

pub use auth::{Token, TokenError, load_or_create as load_token, token_file};
pub use hub::{Hub, SettingsFactory};
pub use limits::{MAX_BODY_BYTES, Rates};
pub use routes::router;
pub use stream::KEEP_ALIVE;

/// Serve on `listener` until `shutdown` resolves; then stop every runtime (which ends the
/// event streams) and return.
pub async fn serve(
    listener: tokio::net::TcpListener,
    hub: Arc<Hub>,
    token: Token,
    rates: Rates,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(Arc::clone(&hub), token, rates);
    let closing = Arc::clone(&hub);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            closing.close_all().await;
        })
        .await
}
