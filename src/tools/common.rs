//! Small helpers shared by the builtin tools: argument parsing, blocking work, sizes,
//! binary detection.

use std::io;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::tools::context::{ToolContext, ToolOutput};
use crate::tools::fsat::{self, Anchor};
use crate::tools::paths::{self, ResolvedPath};

/// How many leading bytes are checked for NUL bytes / invalid UTF-8.
pub(crate) const SNIFF_BYTES: usize = 8 * 1024;

/// Parses tool arguments into `T`, naming the problem on failure.
pub(crate) fn parse_args<T: DeserializeOwned>(tool: &str, args: &Value) -> Result<T, String> {
    // Models sometimes send `null` or nothing for a tool whose arguments are all optional.
    let args = if args.is_null() {
        Value::Object(serde_json::Map::new())
    } else {
        args.clone()
    };
    serde_json::from_value(args).map_err(|e| format!("Invalid arguments for {tool}: {e}."))
}

/// Resolves `raw` and refuses paths outside the workspace unless the call was approved.
pub(crate) fn resolve_allowed(ctx: &ToolContext, raw: &str) -> Result<ResolvedPath, String> {
    let resolved = paths::resolve(ctx, raw)?;
    paths::check_access(ctx, raw, &resolved)?;
    Ok(resolved)
}

/// Resolves and checks `raw`, anchors it (see [`fsat`]), then runs `f` on it,
/// all on tokio's blocking pool. `f` must open through the anchor: that open is
/// what keeps the checked path and the used path the same.
pub(crate) async fn blocking_at<F>(ctx: &ToolContext, raw: String, f: F) -> ToolOutput
where
    F: FnOnce(ResolvedPath, Anchor) -> Result<String, String> + Send + 'static,
{
    let ctx = ctx.clone();
    blocking(move || {
        let resolved = resolve_allowed(&ctx, &raw)?;
        let anchor = Anchor::new(&ctx, &resolved)
            .map_err(|e| fsat::open_error("open", &resolved.display, &e))?;
        f(resolved, anchor)
    })
    .await
}

/// Runs blocking filesystem work on tokio's blocking pool.
pub(crate) async fn blocking<F>(f: F) -> ToolOutput
where
    F: FnOnce() -> Result<String, String> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(text)) => ToolOutput::ok(text),
        Ok(Err(message)) => ToolOutput::error(message),
        Err(e) => ToolOutput::error(format!("The tool stopped unexpectedly: {e}.")),
    }
}

/// "512 B", "12.3 KB", "3.2 MB", "1.1 GB" (binary units).
pub fn fmt_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Number of lines as an editor counts them ("a\nb" and "a\nb\n" both have 2).
pub(crate) fn line_count(text: &str) -> usize {
    if text.is_empty() {
        0
    } else {
        text.lines().count()
    }
}

/// Describes what kind of binary data `head` (the first bytes of a file) looks like, or
/// `None` when it looks like UTF-8 text.
pub(crate) fn binary_kind(head: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG", "PNG image"),
        (b"\xFF\xD8\xFF", "JPEG image"),
        (b"GIF8", "GIF image"),
        (b"%PDF", "PDF document"),
        (b"PK\x03\x04", "ZIP archive (or docx/jar/xlsx)"),
        (b"\x1F\x8B", "gzip archive"),
        (b"BZh", "bzip2 archive"),
        (b"\xFD7zXZ\x00", "xz archive"),
        (b"7z\xBC\xAF", "7-Zip archive"),
        (b"\x28\xB5\x2F\xFD", "zstd archive"),
        (b"\x7FELF", "ELF executable or library"),
        (b"\xCF\xFA\xED\xFE", "Mach-O executable"),
        (b"MZ", "Windows executable"),
        (b"\x00asm", "WebAssembly module"),
        (b"SQLite format 3\x00", "SQLite database"),
        (b"RIFF", "RIFF media (WAV/AVI/WebP)"),
        (b"OggS", "Ogg media"),
        (b"ID3", "MP3 audio"),
        (b"wOF2", "WOFF2 font"),
        (b"wOFF", "WOFF font"),
    ];
    for (magic, kind) in MAGIC {
        if head.starts_with(magic) {
            // "MZ" and "ID3" are also plausible text prefixes; only trust them with a NUL.
            if (*magic == b"MZ" || *magic == b"ID3") && !head.contains(&0) {
                continue;
            }
            return Some(kind);
        }
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some("MP4/QuickTime media");
    }
    if head.contains(&0) {
        return Some("binary data");
    }
    match std::str::from_utf8(head) {
        Ok(_) => None,
        // An incomplete character at the very end is just a cut in the middle of the sniff.
        Err(e) if e.error_len().is_none() => None,
        Err(_) => Some("non-UTF-8 data"),
    }
}

/// Cuts `s` to at most `max` bytes on a char boundary.
pub(crate) fn cut_at_char(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A readable sentence for an I/O error on `what`.
pub(crate) fn io_error(action: &str, what: &str, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => format!("{what} does not exist."),
        io::ErrorKind::PermissionDenied => {
            format!("Permission denied while trying to {action} {what}.")
        }
        _ => format!("Could not {action} {what}: {e}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(fmt_size(0), "0 B");
        assert_eq!(fmt_size(1023), "1023 B");
        assert_eq!(fmt_size(1536), "1.5 KB");
        assert_eq!(fmt_size(50 * 1024 * 1024), "50.0 MB");
    }

    #[test]
    fn binary_detection() {
        assert_eq!(binary_kind(b"\x89PNG\r\n\x1a\n\0\0"), Some("PNG image"));
        assert_eq!(binary_kind(b"hello\0world"), Some("binary data"));
        assert_eq!(binary_kind(b"caf\xC3"), None);
        assert_eq!(binary_kind(b"\xC3\x28abc"), Some("non-UTF-8 data"));
        assert_eq!(
            binary_kind("MZ is a fine start for text, ünïcode".as_bytes()),
            None
        );
    }

    #[test]
    fn cut_respects_chars() {
        assert_eq!(cut_at_char("héllo", 2), "h");
        assert_eq!(cut_at_char("héllo", 3), "hé");
        assert_eq!(cut_at_char("abc", 10), "abc");
    }
}
