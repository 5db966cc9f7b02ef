//! The bearer token: 256 random bits from the OS, kept hex-encoded in a file only the user can
//! read (`<data dir>/serve-token`, mode 0600), compared in constant time. A request without the
//! right token gets 401 with a JSON body and nothing else.

use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// 256 bits.
const TOKEN_BYTES: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "cannot read 32 random bytes from /dev/urandom: {0}; pincer serve needs the OS random source"
    )]
    Random(std::io::Error),
    #[error("cannot write the token file {path}: {source}; check the data folder's permissions")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "cannot read the token file {path}: {source}; delete it and start `pincer serve` again for a new token"
    )]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the token file {path} does not hold a 64-digit hex token; delete it (or run `pincer serve --new-token`) for a new one"
    )]
    Malformed { path: String },
}

/// The service's secret. `Debug` never prints it.
#[derive(Clone)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// A token from known text (tests, embedders).
    pub fn from_text(text: &str) -> Token {
        Token(text.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `given` is this token, in time independent of where they differ.
    pub fn matches(&self, given: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), given.as_bytes())
    }
}

/// Compare without an early exit: the time depends only on the lengths (the token's is public).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Where the token lives.
pub fn token_file(data_dir: &Path) -> PathBuf {
    data_dir.join("serve-token")
}

/// The token in `path`, created (0600) on first start or when `renew` asks for a new one.
/// A file others could read is narrowed to 0600 again.
pub fn load_or_create(path: &Path, renew: bool) -> Result<Token, TokenError> {
    if !renew && path.exists() {
        return read_token(path);
    }
    let token = Token(hex(&random_bytes()?));
    write_token(path, &token)?;
    Ok(token)
}

fn read_token(path: &Path) -> Result<Token, TokenError> {
    let read_err = |source| TokenError::Read {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "token file was readable by others: set to 0600");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(read_err)?;
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
    let text = text.trim();
    if text.len() != TOKEN_BYTES * 2 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(TokenError::Malformed {
            path: path.display().to_string(),
        });
    }
    Ok(Token(text.to_string()))
}

fn write_token(path: &Path, token: &Token) -> Result<(), TokenError> {
    let write_err = |source| TokenError::Write {
        path: path.display().to_string(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(write_err)?;
    }
    let tmp = path.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(write_err)?;
    file.write_all(format!("{}\n", token.0).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(write_err)?;
    std::fs::rename(&tmp, path).map_err(write_err)
}

fn random_bytes() -> Result<[u8; TOKEN_BYTES], TokenError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(TokenError::Random)?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The token a request carries: `Authorization: Bearer T`, or `?token=T` on the event stream
/// only (a browser's `EventSource` cannot set headers).
fn presented(req: &Request) -> Option<String> {
    if let Some(value) = req.headers().get(AUTHORIZATION) {
        return value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
    }
    if !req.uri().path().ends_with("/events") {
        return None;
    }
    let query = req.uri().query()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "token").then(|| v.to_string())
    })
}

/// Middleware: 401 unless the request carries the token.
pub async fn require_token(State(token): State<Token>, req: Request, next: Next) -> Response {
    match presented(&req) {
        Some(given) if token.matches(&given) => next.run(req).await,
        Some(_) => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "the token is wrong or stale: open the URL `pincer serve` printed, or read the data folder's serve-token file",
        )
        .into_response(),
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "no token: send `Authorization: Bearer TOKEN` (the token is in the URL `pincer serve` printed, after #token=)",
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_tokens_match_and_any_difference_does_not() {
        assert!(constant_time_eq(b"abcd", b"abcd"));
        assert!(!constant_time_eq(b"abcd", b"abce"));
        assert!(!constant_time_eq(b"abcd", b"abc"));
        assert!(!constant_time_eq(b"", b"a"));
    }

    #[test]
    fn the_token_file_is_private_stable_and_renewable() {
        let dir = tempfile::tempdir().unwrap();
        let path = token_file(dir.path());
        let first = load_or_create(&path, false).unwrap();
        assert_eq!(first.as_str().len(), 64);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            load_or_create(&path, false).unwrap().as_str(),
            first.as_str()
        );
        let renewed = load_or_create(&path, true).unwrap();
        assert_ne!(renewed.as_str(), first.as_str());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        load_or_create(&path, false).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "a widened file is narrowed again");
        std::fs::write(&path, "short").unwrap();
        assert!(matches!(
            load_or_create(&path, false),
            Err(TokenError::Malformed { .. })
        ));
    }
}
