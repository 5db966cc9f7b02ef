//! Scripted mock language-model HTTP server for integration and end-to-end tests.
//!
//! Built on a raw `tokio::net::TcpListener` (no HTTP framework) so tests control every byte and
//! every write boundary. The Nth request received gets `script[N]`; every connection serves one
//! request and is then closed (`connection: close`, no keep-alive).
//!
//! Two flavours: [`MockServer::start`] runs on the caller's tokio runtime (use a multi-thread
//! runtime if the test blocks its own thread); [`MockServer::start_blocking`] runs on a private
//! thread with its own current-thread runtime. Dropping the server stops it in both cases.
// Both pty.rs and mock_server.rs include it: benches and examples load either alone.
#[path = "mock_embeddings.rs"]
pub mod embeddings;
#[allow(clippy::duplicate_mod)]
#[path = "patience.rs"]
mod patience;

pub use embeddings::EmbeddingsMode;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

/// Largest request head (request line + headers) accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest request body (or request-body chunk) accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with `content-type: text/event-stream` and chunked transfer encoding: each
    /// `Step::Bytes` becomes one HTTP chunk; after the last step the body is terminated and the
    /// connection closed.
    Sse(Vec<Step>),
    /// Any status with headers and a body, sent whole, `content-length` set by the server.
    Status {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Read the request, then close the socket (FIN) without answering.
    CloseImmediately,
}

impl Reply {
    /// An SSE reply sending `bytes` as a single chunk.
    pub fn sse(bytes: Vec<u8>) -> Reply {
        Reply::Sse(vec![Step::Bytes(bytes)])
    }
}

#[derive(Clone, Debug)]
pub enum Step {
    /// Written as one HTTP chunk with one `write_all` (TCP_NODELAY is set). Empty: skipped.
    Bytes(Vec<u8>),
    /// Sleep between writes.
    Pause(Duration),
    /// Stop sending forever, keeping the socket open (until the client closes or the server drops).
    Stall,
    /// Abort the connection with a TCP RST (SO_LINGER 0, then close).
    Reset,
}

#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// The request target as sent (path plus query string, if any).
    pub path: String,
    /// Header names lowercased, values trimmed, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked if the request used chunked transfer encoding).
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    script: VecDeque<Reply>,
    requests: Vec<RecordedRequest>,
    /// `/v1/embeddings` is answered apart from the script: queued modes first, then the default.
    embed_modes: VecDeque<EmbeddingsMode>,
    embed_default: EmbeddingsMode,
    embed_requests: Vec<RecordedRequest>,
}

struct Shared {
    state: Mutex<State>,
    /// Number of requests recorded so far.
    count: watch::Sender<usize>,
    /// Number of SSE replies the client abandoned (closed its end while the reply was being
    /// sent or was stalled).
    abandoned: watch::Sender<usize>,
}

impl Shared {
    fn new(script: Vec<Reply>) -> Arc<Shared> {
        Arc::new(Shared {
            state: Mutex::new(State {
                script: script.into(),
                requests: Vec::new(),
                embed_modes: VecDeque::new(),
                embed_default: EmbeddingsMode::default(),
                embed_requests: Vec::new(),
            }),
            count: watch::Sender::new(0),
            abandoned: watch::Sender::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record a request and take its reply, atomically, so request N always gets script[N].
    /// Returns the reply (`None`: script exhausted) and the request's index.
    fn record(&self, req: RecordedRequest) -> (Option<Reply>, usize) {
        let (reply, n) = {
            let mut st = self.lock();
            st.requests.push(req);
            (st.script.pop_front(), st.requests.len())
        };
        self.count.send_replace(n);
        (reply, n - 1)
    }
}

enum Runner {
    Task(JoinHandle<()>),
    /// Dropping the sender stops the server thread's runtime.
    Thread(Option<(oneshot::Sender<()>, std::thread::JoinHandle<()>)>),
}

pub struct MockServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runner: Runner,
}

impl MockServer {
    /// Bind 127.0.0.1:0 and serve `script` on the current tokio runtime.
    pub async fn start(script: Vec<Reply>) -> MockServer {
        MockServer::start_on(0, script).await
    }

    /// [`start`](Self::start) on a chosen port (0: any free port).
    pub async fn start_on(port: u16, script: Vec<Reply>) -> MockServer {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("mock server: bind 127.0.0.1");
        let addr = listener.local_addr().expect("mock server: local_addr");
        let shared = Shared::new(script);
        let task = tokio::spawn(serve(listener, shared.clone()));
        MockServer {
            addr,
            shared,
            runner: Runner::Task(task),
        }
    }

    /// Like [`start`](Self::start) but for non-async tests: serves from its own thread running a
    /// current-thread runtime. Returns once the socket is bound (connections queue until served).
    pub fn start_blocking(script: Vec<Reply>) -> MockServer {
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("mock server: bind 127.0.0.1:0");
        std_listener
            .set_nonblocking(true)
            .expect("mock server: set_nonblocking");
        let addr = std_listener.local_addr().expect("mock server: local_addr");
        let shared = Shared::new(script);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("mock-server-{}", addr.port()))
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("mock server: build runtime");
                rt.block_on(async move {
                    let listener =
                        TcpListener::from_std(std_listener).expect("mock server: from_std");
                    tokio::select! {
                        _ = serve(listener, server_shared) => {}
                        _ = stop_rx => {}
                    }
                });
                // Dropping `rt` cancels every connection task.
            })
            .expect("mock server: spawn thread");
        MockServer {
            addr,
            shared,
            runner: Runner::Thread(Some((stop_tx, thread))),
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received so far, in the order their replies were assigned.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Wait (up to `timeout`) until at least `n` requests were received. Needs a tokio runtime
    /// with the time driver; from plain threads use [`wait_for_requests_blocking`](Self::wait_for_requests_blocking).
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        let mut rx = self.shared.count.subscribe();
        matches!(
            tokio::time::timeout(patience::patience(timeout), rx.wait_for(|&c| c >= n)).await,
            Ok(Ok(_))
        )
    }

    /// Blocking version of [`wait_for_requests`](Self::wait_for_requests) (polls every 5 ms).
    pub fn wait_for_requests_blocking(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + patience::patience(timeout);
        while *self.shared.count.borrow() < n {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// Blocking wait (polls every 5 ms, up to `timeout`) until the client abandoned at least `n`
    /// SSE replies: closed the connection while a reply was still being sent or stalled.
    pub fn wait_for_abandoned_blocking(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while *self.shared.abandoned.borrow() < n {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// How every later `/v1/embeddings` request is answered (default: 64-dim vectors).
    pub fn set_embeddings(&self, mode: EmbeddingsMode) {
        let mut st = self.shared.lock();
        st.embed_modes.clear();
        st.embed_default = mode;
    }

    /// Answer the next `/v1/embeddings` requests with these modes, then the default again.
    pub fn queue_embeddings(&self, modes: Vec<EmbeddingsMode>) {
        self.shared.lock().embed_modes.extend(modes);
    }

    /// `/v1/embeddings` requests received so far (not part of [`requests`](Self::requests)).
    pub fn embedding_requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().embed_requests.clone()
    }

    /// Wait (polling every 5 ms, up to `timeout`) for at least `n` `/v1/embeddings` requests.
    pub async fn wait_for_embedding_requests(&self, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + patience::patience(timeout);
        while self.shared.lock().embed_requests.len() < n {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// Append a reply to the script while running.
    pub fn push(&self, reply: Reply) {
        self.shared.lock().script.push_back(reply);
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        match &mut self.runner {
            // Aborting the accept loop drops its JoinSet, which aborts all connection tasks.
            Runner::Task(task) => task.abort(),
            Runner::Thread(running) => {
                if let Some((stop, thread)) = running.take() {
                    drop(stop);
                    let _ = thread.join();
                }
            }
        }
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut conns = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // e.g. EMFILE: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        while conns.try_join_next().is_some() {}
        conns.spawn(handle_conn(stream, shared.clone()));
    }
}

/// Serve one request on `stream`. All I/O errors (client gone) just end the task.
async fn handle_conn(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
    };
    let Ok(req) = read_request(&mut conn).await else {
        return;
    };
    if req
        .path
        .split('?')
        .next()
        .is_some_and(|p| p.ends_with("/embeddings"))
    {
        return answer_embeddings(conn.stream, req, &shared).await;
    }
    let (method, path) = (req.method.clone(), req.path.clone());
    let (reply, index) = shared.record(req);
    let reply = reply.unwrap_or_else(|| Reply::Status {
        status: 500,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: format!(
            "mock script exhausted: no reply scripted for request #{index} ({method} {path})"
        ),
    });
    let mut stream = conn.stream;
    match reply {
        Reply::CloseImmediately => {
            let _ = stream.shutdown().await;
        }
        Reply::Status {
            status,
            headers,
            body,
        } => {
            let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
            for (k, v) in &headers {
                if !k.eq_ignore_ascii_case("content-length")
                    && !k.eq_ignore_ascii_case("connection")
                {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
            }
            out.push_str(&format!(
                "content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            ));
            if stream.write_all(out.as_bytes()).await.is_ok() {
                let _ = stream.shutdown().await;
            }
        }
        Reply::Sse(steps) => {
            if let Err(Abandoned) = send_sse(stream, steps).await {
                shared.abandoned.send_modify(|n| *n += 1);
            }
        }
    }
}

async fn answer_embeddings(mut stream: TcpStream, req: RecordedRequest, shared: &Shared) {
    let mode = {
        let mut st = shared.lock();
        let mode = st.embed_modes.pop_front();
        st.embed_requests.push(req.clone());
        mode.unwrap_or_else(|| st.embed_default.clone())
    };
    let Some((status, body, delay)) = embeddings::answer(&mode, &req.body) else {
        let _ = stream.shutdown().await;
        return;
    };
    tokio::time::sleep(delay).await;
    let head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    if stream
        .write_all(format!("{head}{body}").as_bytes())
        .await
        .is_ok()
    {
        let _ = stream.shutdown().await;
    }
}

/// The client closed its end before the SSE reply was complete.
struct Abandoned;

async fn send_sse(mut stream: TcpStream, steps: Vec<Step>) -> Result<(), Abandoned> {
    stream
        .write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n\
              transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        )
        .await
        .map_err(|_| Abandoned)?;
    for step in steps {
        match step {
            Step::Bytes(bytes) if bytes.is_empty() => {}
            Step::Bytes(bytes) => {
                let mut chunk = format!("{:x}\r\n", bytes.len()).into_bytes();
                chunk.extend_from_slice(&bytes);
                chunk.extend_from_slice(b"\r\n");
                stream.write_all(&chunk).await.map_err(|_| Abandoned)?;
                stream.flush().await.map_err(|_| Abandoned)?;
            }
            Step::Pause(d) => tokio::time::sleep(d).await,
            Step::Stall => {
                // Keep the socket open; finish only when the client goes away.
                let mut sink = [0u8; 1024];
                while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                return Err(Abandoned);
            }
            Step::Reset => {
                if stream.set_zero_linger().is_ok() {
                    drop(stream); // close() with SO_LINGER 0 sends RST
                }
                return Ok(());
            }
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let _ = stream.shutdown().await;
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Mock Status",
    }
}

// ---- Request parsing ----

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

fn bad(msg: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, msg.to_string())
}

impl Conn {
    /// Read more bytes into `buf`; EOF is an error (the request is incomplete).
    async fn fill(&mut self) -> std::io::Result<()> {
        let mut tmp = [0u8; 8192];
        let n = self.stream.read(&mut tmp).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&tmp[..n]);
        Ok(())
    }

    /// Take bytes up to and including the first `delim`, failing past `limit` bytes.
    async fn take_until(&mut self, delim: &[u8], limit: usize) -> std::io::Result<Vec<u8>> {
        loop {
            if let Some(i) = self.buf.windows(delim.len()).position(|w| w == delim) {
                return Ok(self.buf.drain(..i + delim.len()).collect());
            }
            if self.buf.len() > limit {
                return Err(bad("line or head too long"));
            }
            self.fill().await?;
        }
    }

    /// Take exactly `n` bytes (at most `MAX_BODY`: one body or one chunk plus its CRLF).
    async fn take_exact(&mut self, n: usize) -> std::io::Result<Vec<u8>> {
        if n > MAX_BODY + 2 {
            return Err(bad("body too large"));
        }
        while self.buf.len() < n {
            self.fill().await?;
        }
        Ok(self.buf.drain(..n).collect())
    }
}

async fn read_request(conn: &mut Conn) -> std::io::Result<RecordedRequest> {
    let head = conn.take_until(b"\r\n\r\n", MAX_HEAD).await?;
    let head = String::from_utf8_lossy(&head[..head.len() - 4]).into_owned();
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or_default().split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Err(bad("bad request line"));
    };
    let (method, path) = (method.to_string(), path.to_string());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut req = RecordedRequest {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let length = match req.header("content-length") {
        Some(v) => v.parse::<usize>().map_err(|_| bad("bad content-length"))?,
        None => 0,
    };
    if req.header("expect") == Some("100-continue") && (chunked || length > 0) {
        conn.stream
            .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .await?;
    }
    if chunked {
        loop {
            let line = conn.take_until(b"\r\n", MAX_HEAD).await?;
            let line = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                // Trailers (ignored) up to the empty line.
                while conn.take_until(b"\r\n", MAX_HEAD).await?.len() > 2 {}
                break;
            }
            let data = conn.take_exact(size + 2).await?;
            req.body.extend_from_slice(&data[..size]);
        }
    } else if length > 0 {
        req.body = conn.take_exact(length).await?;
    }
    Ok(req)
}

// ---- Provider stream builders ----

/// JSON string literal for `s`.
fn js(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

const OPENAI_PREFIX: &str = r#"{"id":"chatcmpl-mock123","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_mock","choices":"#;

/// OpenAI Chat Completions stream: role+content chunk, one chunk per further delta, a finish
/// chunk (`finish_reason: "stop"`), an optional usage chunk (`choices: []`), then `data: [DONE]`.
/// With usage, other chunks carry `"usage":null`, as OpenAI does with `include_usage`.
pub fn openai_sse(deltas: &[&str], usage: Option<(u64, u64)>) -> Vec<u8> {
    let choice = |delta: String, finish: &str| {
        format!(r#"[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{finish}}}]"#)
    };
    let first = js(deltas.first().copied().unwrap_or(""));
    let mut chunks = vec![choice(
        format!(r#"{{"role":"assistant","content":{first}}}"#),
        "null",
    )];
    chunks.extend(
        deltas
            .iter()
            .skip(1)
            .map(|d| choice(format!(r#"{{"content":{}}}"#, js(d)), "null")),
    );
    chunks.push(choice("{}".into(), r#""stop""#));
    let null_usage = if usage.is_some() {
        r#","usage":null"#
    } else {
        ""
    };
    let mut out: String = chunks
        .iter()
        .map(|c| format!("data: {OPENAI_PREFIX}{c}{null_usage}}}\n\n"))
        .collect();
    if let Some((p, c)) = usage {
        let usage = format!(
            r#""usage":{{"prompt_tokens":{p},"completion_tokens":{c},"total_tokens":{}}}"#,
            p + c
        );
        out.push_str(&format!("data: {OPENAI_PREFIX}[],{usage}}}\n\n"));
    }
    out.push_str("data: [DONE]\n\n");
    out.into_bytes()
}

/// Anthropic Messages stream, formatted like api.anthropic.com (`event: X\ndata: {json}\n\n`).
/// `usage` is `(input_tokens, output_tokens)`; with `None` the usage objects are omitted.
pub fn anthropic_sse(deltas: &[&str], usage: Option<(u64, u64)>) -> Vec<u8> {
    let (start_usage, delta_usage) = match usage {
        Some((i, o)) => (
            format!(r#","usage":{{"input_tokens":{i},"output_tokens":1}}"#),
            format!(r#","usage":{{"output_tokens":{o}}}"#),
        ),
        None => Default::default(),
    };
    let mut events = vec![
        (
            "message_start",
            format!(
                r#"{{"type":"message_start","message":{{"id":"msg_mock123","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null{start_usage}}}}}"#
            ),
        ),
        (
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#
                .into(),
        ),
        ("ping", r#"{"type": "ping"}"#.into()),
    ];
    events.extend(deltas.iter().map(|d| ("content_block_delta", format!(r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":{}}}}}"#, js(d)))));
    events.push((
        "content_block_stop",
        r#"{"type":"content_block_stop","index":0}"#.into(),
    ));
    events.push(("message_delta", format!(r#"{{"type":"message_delta","delta":{{"stop_reason":"end_turn","stop_sequence":null}}{delta_usage}}}"#)));
    events.push(("message_stop", r#"{"type":"message_stop"}"#.into()));
    let out: String = events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect();
    out.into_bytes()
}

/// Turn every bare `\n` into `\r\n` (an existing `\r\n` is left alone, so this is idempotent).
pub fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 8);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Split `bytes` into `Step::Bytes` of the given sizes, cycled (zero sizes are skipped).
pub fn split_every(bytes: &[u8], sizes: &[usize]) -> Vec<Step> {
    assert!(
        sizes.iter().any(|&s| s > 0),
        "split_every needs a non-zero size"
    );
    let mut steps = Vec::new();
    let mut rest = bytes;
    for &size in sizes.iter().cycle().filter(|&&s| s > 0) {
        if rest.is_empty() {
            break;
        }
        let (head, tail) = rest.split_at(size.min(rest.len()));
        steps.push(Step::Bytes(head.to_vec()));
        rest = tail;
    }
    steps
}

/// Split `bytes` right after the first byte of every multi-byte UTF-8 character and between
/// every `\r` and `\n`.
pub fn split_awkwardly(bytes: &[u8]) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut start = 0;
    for i in 0..bytes.len().saturating_sub(1) {
        let cut = bytes[i] >= 0xC0 || (bytes[i] == b'\r' && bytes[i + 1] == b'\n');
        if cut {
            steps.push(Step::Bytes(bytes[start..=i].to_vec()));
            start = i + 1;
        }
    }
    if start < bytes.len() {
        steps.push(Step::Bytes(bytes[start..].to_vec()));
    }
    steps
}

fn json_reply(status: u16, body: String) -> Reply {
    Reply::Status {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    }
}

/// OpenAI-style error: `{"error":{"message","type","param","code"}}` (429: no Retry-After).
pub fn openai_error(status: u16, message: &str) -> Reply {
    let (kind, code) = match status {
        401 => ("invalid_request_error", r#""invalid_api_key""#),
        403 => ("permission_error", "null"),
        404 => ("invalid_request_error", r#""model_not_found""#),
        429 => ("requests", r#""rate_limit_exceeded""#),
        400..=499 => ("invalid_request_error", "null"),
        _ => ("server_error", "null"),
    };
    json_reply(
        status,
        format!(
            r#"{{"error":{{"message":{},"type":"{kind}","param":null,"code":{code}}}}}"#,
            js(message)
        ),
    )
}

/// Anthropic-style error: `{"type":"error","error":{"type":kind,"message":…}}`.
pub fn anthropic_error(status: u16, kind: &str, message: &str) -> Reply {
    json_reply(
        status,
        format!(
            r#"{{"type":"error","error":{{"type":{},"message":{}}}}}"#,
            js(kind),
            js(message)
        ),
    )
}

/// Add a header to a `Reply::Status` (panics for other replies).
pub fn with_header(mut reply: Reply, name: &str, value: &str) -> Reply {
    let Reply::Status { headers, .. } = &mut reply else {
        panic!("with_header only applies to Reply::Status, got {reply:?}");
    };
    headers.push((name.into(), value.into()));
    reply
}

/// OpenAI stream in which the assistant calls tools: optional text first, then each call's
/// arguments streamed in two pieces, then `finish_reason: "tool_calls"` and `[DONE]`.
/// `calls` are `(id, name, arguments JSON)`.
pub fn openai_tool_calls(text: Option<&str>, calls: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut out = String::new();
    let chunk = |delta: String, finish: &str| {
        format!(
            "data: {OPENAI_PREFIX}[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{finish}}}]}}\n\n"
        )
    };
    out.push_str(&chunk(
        r#"{"role":"assistant","content":null}"#.into(),
        "null",
    ));
    if let Some(t) = text {
        out.push_str(&chunk(format!(r#"{{"content":{}}}"#, js(t)), "null"));
    }
    for (i, (id, name, args)) in calls.iter().enumerate() {
        let mid = args.len() / 2;
        let mid = (0..=mid)
            .rev()
            .find(|m| args.is_char_boundary(*m))
            .unwrap_or(0);
        let (a, b) = args.split_at(mid);
        out.push_str(&chunk(
            format!(
                r#"{{"tool_calls":[{{"index":{i},"id":{},"type":"function","function":{{"name":{},"arguments":{}}}}}]}}"#,
                js(id),
                js(name),
                js(a)
            ),
            "null",
        ));
        out.push_str(&chunk(
            format!(
                r#"{{"tool_calls":[{{"index":{i},"function":{{"arguments":{}}}}}]}}"#,
                js(b)
            ),
            "null",
        ));
    }
    out.push_str(&chunk("{}".into(), r#""tool_calls""#));
    out.push_str("data: [DONE]\n\n");
    out.into_bytes()
}

/// Anthropic stream in which the assistant calls tools (`tool_use` blocks with the input JSON
/// streamed as `input_json_delta`s). `calls` are `(id, name, input JSON)`.
pub fn anthropic_tool_use(text: Option<&str>, calls: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut events = vec![(
        "message_start".to_string(),
        r#"{"type":"message_start","message":{"id":"msg_t","type":"message","role":"assistant","content":[],"model":"claude","stop_reason":null,"usage":{"input_tokens":10,"output_tokens":1}}}"#.to_string(),
    )];
    let mut index = 0;
    if let Some(t) = text {
        events.push(("content_block_start".into(), format!(r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"text","text":""}}}}"#)));
        events.push(("content_block_delta".into(), format!(r#"{{"type":"content_block_delta","index":{index},"delta":{{"type":"text_delta","text":{}}}}}"#, js(t))));
        events.push((
            "content_block_stop".into(),
            format!(r#"{{"type":"content_block_stop","index":{index}}}"#),
        ));
        index += 1;
    }
    for (id, name, input) in calls {
        events.push(("content_block_start".into(), format!(r#"{{"type":"content_block_start","index":{index},"content_block":{{"type":"tool_use","id":{},"name":{},"input":{{}}}}}}"#, js(id), js(name))));
        events.push(("content_block_delta".into(), format!(r#"{{"type":"content_block_delta","index":{index},"delta":{{"type":"input_json_delta","partial_json":{}}}}}"#, js(input))));
        events.push((
            "content_block_stop".into(),
            format!(r#"{{"type":"content_block_stop","index":{index}}}"#),
        ));
        index += 1;
    }
    events.push(("message_delta".into(), r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":20}}"#.into()));
    events.push(("message_stop".into(), r#"{"type":"message_stop"}"#.into()));
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect::<String>()
        .into_bytes()
}
