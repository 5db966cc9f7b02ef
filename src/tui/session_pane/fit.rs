//! Text fitting shared by the session pane and the fork picker: one-line cleaning, truncation
//! by display width with "…", relative times, "~" for the home dir.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::text::sanitize;

/// Control characters removed, whitespace runs (newlines too) collapsed to one space.
pub fn one_line(text: &str) -> String {
    let clean = sanitize(text);
    let mut out = String::with_capacity(clean.len());
    for word in clean.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// At most `max` columns wide; cut text ends with "…".
pub fn truncate(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// At most `max` columns wide, keeping the end ("…/src/pincer"): for paths.
pub fn truncate_left(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut kept = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        kept.push(c);
    }
    let mut out = String::from("…");
    out.extend(kept.iter().rev());
    out
}

/// `text` truncated and padded with spaces to exactly `width` columns.
pub fn pad(text: &str, width: usize) -> String {
    let mut s = truncate(text, width);
    let w = s.width();
    s.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    s
}

/// `text` truncated and right-aligned in `width` columns.
pub fn pad_left(text: &str, width: usize) -> String {
    let s = truncate(text, width);
    let w = s.width();
    let mut out: String = std::iter::repeat_n(' ', width.saturating_sub(w)).collect();
    out.push_str(&s);
    out
}

/// `cwd` with the home dir replaced by "~".
pub fn shorten_home(cwd: &str, home: Option<&str>) -> String {
    let clean = one_line(cwd);
    let Some(home) = home
        .map(|h| h.trim_end_matches('/'))
        .filter(|h| !h.is_empty())
    else {
        return clean;
    };
    if clean == home {
        return "~".into();
    }
    match clean.strip_prefix(home) {
        Some(rest) if rest.starts_with('/') => format!("~{rest}"),
        _ => clean,
    }
}

const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// "just now", "5m ago", "3h ago", "yesterday", "4d ago", then the date ("2026-10-01", UTC).
pub fn relative_time(ms: i64, now_ms: i64) -> String {
    let secs = now_ms.saturating_sub(ms) / 1000;
    match secs {
        s if s < MINUTE => "just now".into(),
        s if s < HOUR => format!("{}m ago", s / MINUTE),
        s if s < DAY => format!("{}h ago", s / HOUR),
        s if s < 2 * DAY => "yesterday".into(),
        s if s < 7 * DAY => format!("{}d ago", s / DAY),
        _ => date(ms),
    }
}

/// For times known to the day only (memory entries record `at=YYYY-MM-DD`): "today",
/// "yesterday", "4d ago", then the date (UTC days, as the entries are written). An entry saved a
/// minute ago is not "47m ago" because its day began 47 minutes ago.
pub fn relative_day(ms: i64, now_ms: i64) -> String {
    let day = |t: i64| t.div_euclid(DAY * 1000);
    match day(now_ms) - day(ms) {
        d if d <= 0 => "today".into(),
        1 => "yesterday".into(),
        d if d < 7 => format!("{d}d ago"),
        _ => date(ms),
    }
}

/// The first visible row of a list of `len` rows in `height` rows, moved as little as possible
/// from `scroll` so that `selected` is on screen.
pub fn keep_visible(selected: usize, scroll: usize, len: usize, height: usize) -> usize {
    let scroll = if selected < scroll {
        selected
    } else if selected >= scroll + height {
        selected + 1 - height
    } else {
        scroll
    };
    scroll.min(len.saturating_sub(height))
}

/// "YYYY-MM-DD" (UTC) of a time in milliseconds since 1970.
pub fn date(ms: i64) -> String {
    crate::time::utc_date(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_is_by_width() {
        assert_eq!(truncate("hello world", 8), "hello w…");
        assert_eq!(truncate("hello", 5), "hello");
        assert_eq!(truncate("日本語のテキスト", 7), "日本語…");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate_left("/home/me/src/pincer", 10), "…rc/pincer");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad_left("ab", 4), "  ab");
    }

    #[test]
    fn home_becomes_tilde() {
        assert_eq!(shorten_home("/home/me/src", Some("/home/me")), "~/src");
        assert_eq!(shorten_home("/home/me", Some("/home/me/")), "~");
        assert_eq!(shorten_home("/home/meow", Some("/home/me")), "/home/meow");
        assert_eq!(shorten_home("/tmp", None), "/tmp");
    }

    #[test]
    fn relative_times() {
        let now = 1_790_000_000_000;
        assert_eq!(relative_time(now - 5_000, now), "just now");
        assert_eq!(relative_time(now + 5_000, now), "just now");
        assert_eq!(relative_time(now - 5 * 60_000, now), "5m ago");
        assert_eq!(relative_time(now - 3 * 3_600_000, now), "3h ago");
        assert_eq!(relative_time(now - 30 * 3_600_000, now), "yesterday");
        assert_eq!(relative_time(now - 4 * 86_400_000, now), "4d ago");
        // Known to the day: midnight of today is "today" at any hour.
        let day = 86_400_000;
        let midnight = now - now.rem_euclid(day);
        assert_eq!(relative_day(midnight, midnight + day - 1), "today");
        assert_eq!(relative_day(midnight - 1, midnight), "yesterday");
        assert_eq!(relative_day(midnight - 3 * day, midnight + 5), "3d ago");
        assert_eq!(relative_day(midnight + day, midnight), "today");
        assert_eq!(relative_time(now - 40 * 86_400_000, now), "2026-08-12");
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400_000), "2000-02-29");
    }

    #[test]
    fn one_line_collapses() {
        assert_eq!(one_line("  fix\n the\tbug \x1b[31m"), "fix the bug [31m");
    }
}
