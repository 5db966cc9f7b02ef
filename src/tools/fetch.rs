//! `web_fetch`: GET a web page and return it as text.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use serde::Deserialize;
use serde_json::Value;

use crate::tools::common::{binary_kind, fmt_size, parse_args};
use crate::tools::context::{ToolContext, ToolOutput};
use crate::tools::net_guard::{HopPolicy, NoRules, checked_addrs};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FetchArgs {
    url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Html,
    Text,
    /// No content type: decide from the bytes.
    Unknown,
}

/// Redirects followed at most; each hop is checked again.
const MAX_REDIRECTS: usize = 5;

/// A client that connects only to `addrs` for `url`'s host: no proxy, no redirects (each hop is
/// checked by [`fetch`]), and a resolver that answers nothing else, so no second DNS lookup can
/// send the request elsewhere.
fn pinned_client(url: &Url, addrs: &[SocketAddr]) -> Result<reqwest::Client, String> {
    let host = url.host_str().unwrap_or_default().to_string();
    crate::tls::client_builder()
        .user_agent(concat!(
            "pincer/",
            env!("CARGO_PKG_VERSION"),
            " (web_fetch tool)"
        ))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(PinnedResolver {
            host,
            addrs: addrs.to_vec(),
        }))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| format!("Could not set up the HTTP client: {e}."))
}

/// Answers only for the checked host, with the checked addresses.
struct PinnedResolver {
    host: String,
    addrs: Vec<SocketAddr>,
}

impl Resolve for PinnedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let same = name
            .as_str()
            .trim_end_matches('.')
            .eq_ignore_ascii_case(self.host.trim_end_matches('.'));
        let addrs = self.addrs.clone();
        Box::pin(async move {
            if same {
                Ok(Box::new(addrs.into_iter()) as Addrs)
            } else {
                Err("web_fetch resolves only the checked host".into())
            }
        })
    }
}

/// Parses and checks a URL for `web_fetch` (http/https only).
pub(crate) fn parse_url(raw: &str) -> Result<Url, String> {
    let raw = raw.trim();
    let url = Url::parse(raw).map_err(|e| format!("`{raw}` is not a valid URL ({e})."))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!(
            "web_fetch only fetches http and https URLs, not `{other}:`."
        )),
    }
}

/// `web_fetch` without rules: no host is explicitly allowed, redirects are followed after the
/// address check.
pub async fn web_fetch(ctx: &ToolContext, args: &Value) -> ToolOutput {
    web_fetch_with(ctx, args, &NoRules).await
}

/// `web_fetch` with the rules that decide redirects and explicitly allowed hosts.
pub async fn web_fetch_with(ctx: &ToolContext, args: &Value, policy: &dyn HopPolicy) -> ToolOutput {
    let args: FetchArgs = match parse_args("web_fetch", args) {
        Ok(a) => a,
        Err(e) => return ToolOutput::error(e),
    };
    let url = match parse_url(&args.url) {
        Ok(u) => u,
        Err(e) => return ToolOutput::error(e),
    };
    let timeout = ctx.limits.fetch_timeout;
    let max_bytes = ctx.limits.fetch_max_bytes;
    match tokio::time::timeout(timeout, fetch(url.clone(), max_bytes, policy)).await {
        Ok(Ok(text)) => ToolOutput::ok(text),
        Ok(Err(message)) => ToolOutput::error(message),
        Err(_) => ToolOutput::error(format!(
            "Fetching {url} timed out after {}: the server did not send a complete response in \
             time. It may be slow or unreachable; try again later or another URL.",
            fmt_duration(timeout)
        )),
    }
}

fn fmt_duration(d: Duration) -> String {
    if d.as_secs() >= 1 && d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// GETs `start`, following at most [`MAX_REDIRECTS`] redirects; every hop's target is checked
/// against the rules and its addresses before anything connects to it.
async fn get_checked(start: &Url, policy: &dyn HopPolicy) -> Result<reqwest::Response, String> {
    let mut url = start.clone();
    for hop in 0..=MAX_REDIRECTS {
        if hop > 0 {
            policy.may_follow(url.as_str()).map_err(|why| {
                format!(
                    "{start} redirected to {url}, which was not followed: {why}. Call web_fetch \
                     on that URL if it is needed."
                )
            })?;
        }
        let addrs = checked_addrs(&url, policy).await?;
        let response = pinned_client(&url, &addrs)?
            .get(url.clone())
            .send()
            .await
            .map_err(|e| request_error(&url, &e))?;
        if !response.status().is_redirection() {
            return Ok(response);
        }
        let Some(location) = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Ok(response);
        };
        let next = url.join(location).map_err(|e| {
            format!("{url} redirected to `{location}`, which is not a valid URL ({e}).")
        })?;
        url = parse_url(next.as_str())?;
    }
    Err(format!(
        "Too many redirects fetching {start}: stopped after {MAX_REDIRECTS}."
    ))
}

async fn fetch(url: Url, max_bytes: usize, policy: &dyn HopPolicy) -> Result<String, String> {
    let mut response = get_checked(&url, policy).await?;
    let status = response.status();
    let final_url = response.url().clone();
    if !status.is_success() {
        return Err(format!(
            "{url} answered HTTP {}{}.",
            status.as_u16(),
            status
                .canonical_reason()
                .map(|r| format!(" {r}"))
                .unwrap_or_default()
        ));
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let length = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let kind = match classify(&essence) {
        Some(kind) => kind,
        None => {
            let size = length
                .map(fmt_size)
                .unwrap_or_else(|| "size unknown".to_string());
            return Err(format!(
                "{url} is `{essence}` ({size}), not a web page or text; web_fetch only reads \
                 HTML, text, JSON and XML."
            ));
        }
    };

    let mut body: Vec<u8> = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| request_error(&url, &e))?
    {
        let room = max_bytes.saturating_sub(body.len());
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let kind = match kind {
        Kind::Unknown => {
            if let Some(binary) = binary_kind(&body[..body.len().min(8192)]) {
                return Err(format!(
                    "{url} sent {binary} without a content type ({}{}); web_fetch only reads \
                     HTML, text, JSON and XML.",
                    if truncated { "over " } else { "" },
                    fmt_size(body.len() as u64)
                ));
            }
            let start = String::from_utf8_lossy(&body[..body.len().min(512)]).to_lowercase();
            if start.contains("<html") || start.contains("<!doctype html") {
                Kind::Html
            } else {
                Kind::Text
            }
        }
        known => known,
    };
    let text = match kind {
        Kind::Html => super::html_text::html_to_text(&String::from_utf8_lossy(&body)),
        _ => String::from_utf8_lossy(&body).into_owned(),
    };

    let shown_type = if essence.is_empty() {
        "no content type"
    } else {
        essence.as_str()
    };
    let mut out = format!("{url} ({shown_type}, {}", fmt_size(body.len() as u64));
    if truncated {
        out.push_str(", truncated");
    }
    out.push(')');
    if final_url != url {
        out.push_str(&format!(" → redirected to {final_url}"));
    }
    out.push_str("\n\n");
    out.push_str(text.trim_end());
    out.push('\n');
    if truncated {
        out.push_str(&format!(
            "\n[truncated: stopped reading after {}; the rest of the page was not fetched]\n",
            fmt_size(max_bytes as u64)
        ));
    }
    Ok(out)
}

/// Which content types `web_fetch` reads; `None` refuses.
fn classify(essence: &str) -> Option<Kind> {
    match essence {
        "" => Some(Kind::Unknown),
        "text/html" | "application/xhtml+xml" => Some(Kind::Html),
        "application/json"
        | "application/xml"
        | "application/javascript"
        | "application/x-javascript"
        | "application/ecmascript"
        | "application/yaml"
        | "application/x-yaml"
        | "application/toml"
        | "application/x-sh"
        | "application/graphql"
        | "application/x-ndjson"
        | "application/jsonl" => Some(Kind::Text),
        _ if essence.starts_with("text/") => Some(Kind::Text),
        _ if essence.ends_with("+json") || essence.ends_with("+xml") => Some(Kind::Text),
        _ => None,
    }
}

fn request_error(url: &Url, e: &reqwest::Error) -> String {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    if e.is_connect() {
        format!(
            "Could not connect to {}: {detail}.",
            url.host_str().unwrap_or("the server")
        )
    } else if e.is_redirect() {
        format!("Too many redirects fetching {url}: {detail}.")
    } else {
        format!("Fetching {url} failed: {detail}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(parse_url("https://docs.rs/x").is_ok());
        assert!(
            parse_url("file:///etc/passwd")
                .unwrap_err()
                .contains("`file:`")
        );
        assert!(
            parse_url("not a url")
                .unwrap_err()
                .contains("not a valid URL")
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(classify("text/html"), Some(Kind::Html));
        assert_eq!(classify("text/plain"), Some(Kind::Text));
        assert_eq!(classify("application/vnd.api+json"), Some(Kind::Text));
        assert_eq!(classify("application/pdf"), None);
        assert_eq!(classify("image/png"), None);
        assert_eq!(classify(""), Some(Kind::Unknown));
    }
}
