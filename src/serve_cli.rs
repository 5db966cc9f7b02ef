//! `pincer serve [--bind ADDR] [--new-token]`: start the service, print the page's URL (the
//! token in its fragment), run until SIGINT or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::Overrides;
use crate::paths::Paths;
use crate::protocol::ApprovalMode;
use crate::runtime::{Resume, real_env};
use crate::serve::{Hub, Rates, SettingsFactory, load_token, token_file};
use crate::startup::{Launch, Startup};

/// The default address: loopback only.
pub const DEFAULT_BIND: &str = "127.0.0.1:7433";

#[derive(Debug, thiserror::Error)]
pub enum ServeCliError {
    #[error(transparent)]
    Token(#[from] crate::serve::TokenError),
    #[error("cannot listen on {addr}: {source}; pick another port with --bind 127.0.0.1:PORT")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open the session database: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("the service stopped: {0}")]
    Serve(std::io::Error),
}

/// How the service was asked to run.
#[derive(Debug, Clone)]
pub struct ServeRequest {
    pub bind: SocketAddr,
    pub new_token: bool,
    pub rates: Rates,
    pub workspace: std::path::PathBuf,
    pub mode: Option<ApprovalMode>,
    pub allow: Vec<String>,
}

/// Settings for each runtime, read fresh from the config every time one starts.
pub fn settings_factory(paths: Paths, overrides: Overrides, req: &ServeRequest) -> SettingsFactory {
    let (mode, allow) = (req.mode, req.allow.clone());
    Arc::new(move |resume: Resume, workspace| {
        let startup = Startup::load(paths.clone(), &overrides, real_env());
        startup.into_settings(Launch {
            workspace,
            resume,
            pick_session: None,
            interactive: true,
            mode,
            allow: allow.clone(),
        })
    })
}

/// The whole command: logging, a tokio runtime, the service until a stop signal.
pub fn command(paths: Paths, overrides: Overrides, req: ServeRequest) -> Result<(), ServeCliError> {
    // The CLI's subcommands die quietly by SIGPIPE when their reader goes away; a service
    // must not: a client that hangs up mid-stream, or a closed stdout after the URL was read,
    // is an error on that write only.
    // SAFETY: called before the tokio runtime (or any other thread) exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    if let Err(e) = crate::logging::init(&paths.log_file()) {
        let _ = writeln!(std::io::stderr(), "pincer: {e} (continuing without logs)");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(ServeCliError::Serve)?;
    runtime.block_on(run(paths, overrides, req, &mut std::io::stdout()))
}

pub async fn run(
    paths: Paths,
    overrides: Overrides,
    req: ServeRequest,
    out: &mut impl Write,
) -> Result<(), ServeCliError> {
    let token = load_token(&token_file(&paths.data_dir), req.new_token)?;
    let listener = tokio::net::TcpListener::bind(req.bind)
        .await
        .map_err(|source| ServeCliError::Bind {
            addr: req.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(ServeCliError::Serve)?;
    if !addr.ip().is_loopback() {
        let _ = writeln!(
            std::io::stderr(),
            "pincer serve: WARNING — listening on {addr}, reachable from other machines, WITHOUT TLS.\n  \
             The token and every message cross the network in clear text. Put a TLS proxy in front,\n  \
             or bind 127.0.0.1 and use an SSH tunnel (ssh -L 7433:127.0.0.1:7433 host)."
        );
    }
    let factory = settings_factory(paths.clone(), overrides, &req);
    let hub = Hub::open_store(Some(paths.database_file()), factory, req.workspace.clone()).await?;
    let shown = if addr.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    let _ = writeln!(
        out,
        "pincer serve: http://{shown}/#token={}\n  (the token is kept in {}; Ctrl+C stops)",
        token.as_str(),
        token_file(&paths.data_dir).display()
    );
    let _ = out.flush();
    tracing::info!(%addr, "serve: listening");
    crate::serve::serve(listener, hub, token, req.rates, stop_signal())
        .await
        .map_err(ServeCliError::Serve)
}

/// SIGINT or SIGTERM.
async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}
