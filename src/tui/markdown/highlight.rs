//! Syntax highlighting of fenced code with syntect.
//!
//! The syntax and theme sets are loaded lazily (first highlighted block), once per
//! process, so start-up stays fast. Results are cached per `Highlighter` because a
//! streaming reply re-renders the same blocks on every frame.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use ratatui::style::Color;
use syntect::easy::HighlightLines;
use syntect::highlighting::ThemeSet;
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// One entry per source line: runs of (foreground colour, text), no line ending.
pub type HighlightedLines = Vec<Vec<(Option<Color>, String)>>;

/// Bounded cache size; the whole cache is cleared when it fills up.
const CACHE_CAP: usize = 256;

static SYNTAXES: OnceLock<SyntaxSet> = OnceLock::new();
static THEMES: OnceLock<ThemeSet> = OnceLock::new();

fn syntaxes() -> &'static SyntaxSet {
    SYNTAXES.get_or_init(SyntaxSet::load_defaults_newlines)
}

fn themes() -> &'static ThemeSet {
    THEMES.get_or_init(ThemeSet::load_defaults)
}

/// Cache key: normalised language, code length and a hash of the code.
type Key = (String, usize, u64);

/// Highlights code blocks. Cheap to construct; `Send + Sync`.
#[derive(Debug)]
pub struct Highlighter {
    theme: Option<String>,
    cache: Mutex<HashMap<Key, Arc<HighlightedLines>>>,
}

impl Default for Highlighter {
    fn default() -> Self {
        Highlighter::new(None)
    }
}

impl Highlighter {
    /// `syntax_theme`: a syntect theme name (e.g. "base16-ocean.dark", "InspiredGitHub");
    /// `None` disables highlighting (`NO_COLOR`). Loads nothing.
    pub fn new(syntax_theme: Option<String>) -> Self {
        Highlighter {
            theme: syntax_theme,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this highlighter colours anything at all.
    pub fn enabled(&self) -> bool {
        self.theme.is_some()
    }

    /// Highlight `code` as `lang` (a fence token such as "rust", "py", "json").
    /// Unknown or empty languages, an unknown theme, or no theme give plain text.
    pub fn highlight(&self, code: &str, lang: &str) -> Arc<HighlightedLines> {
        let Some(theme_name) = self.theme.as_deref() else {
            return Arc::new(plain(code));
        };
        let lang = normalise_lang(lang);
        if lang.is_empty() {
            return Arc::new(plain(code));
        }
        let mut hasher = DefaultHasher::new();
        code.hash(&mut hasher);
        let key = (lang, code.len(), hasher.finish());
        if let Some(hit) = self.lock().get(&key) {
            return Arc::clone(hit);
        }
        let result = Arc::new(highlight_uncached(code, &key.0, theme_name));
        let mut cache = self.lock();
        if cache.len() >= CACHE_CAP {
            cache.clear();
        }
        cache.insert(key, Arc::clone(&result));
        result
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<HighlightedLines>>> {
        // A panic while holding the lock leaves a valid map; keep using it.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Lower-case the first word of an info string and map common aliases that the
/// default syntect set lacks to a close grammar.
fn normalise_lang(lang: &str) -> String {
    let token = lang
        .trim_start()
        .trim_start_matches(['{', '.'])
        .split(|c: char| c.is_whitespace() || c == ',' || c == '}')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let alias = match token.as_str() {
        "ts" | "typescript" | "tsx" | "jsx" | "mjs" | "cjs" => "js",
        "shell" | "console" | "zsh" | "shellscript" => "sh",
        "jsonc" | "json5" => "json",
        "c++" => "cpp",
        "golang" => "go",
        "py3" | "python3" => "py",
        "yml" => "yaml",
        "rs" => "rust",
        _ => return token,
    };
    alias.to_string()
}

fn highlight_uncached(code: &str, lang: &str, theme_name: &str) -> HighlightedLines {
    let set = syntaxes();
    let (Some(syntax), Some(theme)) = (
        set.find_syntax_by_token(lang),
        themes().themes.get(theme_name),
    ) else {
        return plain(code);
    };
    let mut hl = HighlightLines::new(syntax, theme);
    let mut out = Vec::new();
    for line in LinesWithEndings::from(code) {
        let Ok(ranges) = hl.highlight_line(line, set) else {
            return plain(code);
        };
        let mut runs: Vec<(Option<Color>, String)> = Vec::with_capacity(ranges.len());
        for (style, text) in ranges {
            let text = strip_eol(text);
            if text.is_empty() {
                continue;
            }
            let fg = style.foreground;
            let color = Some(Color::Rgb(fg.r, fg.g, fg.b));
            match runs.last_mut() {
                Some((c, s)) if *c == color => s.push_str(text),
                _ => runs.push((color, text.to_string())),
            }
        }
        out.push(runs);
    }
    out
}

fn strip_eol(s: &str) -> &str {
    s.trim_end_matches(['\n', '\r'])
}

/// Unhighlighted lines, same shape as highlighted ones.
pub(crate) fn plain(code: &str) -> HighlightedLines {
    code.lines()
        .map(|l| {
            let l = strip_eol(l);
            if l.is_empty() {
                Vec::new()
            } else {
                vec![(None, l.to_string())]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(lines: &HighlightedLines) -> Vec<String> {
        lines
            .iter()
            .map(|runs| runs.iter().map(|(_, s)| s.as_str()).collect())
            .collect()
    }

    #[test]
    fn send_sync_and_cheap() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Highlighter>();
        let start = std::time::Instant::now();
        let _h = Highlighter::new(Some("base16-ocean.dark".into()));
        assert!(start.elapsed().as_millis() < 20);
    }

    #[test]
    fn rust_is_coloured_and_lines_preserved() {
        let h = Highlighter::new(Some("base16-ocean.dark".into()));
        let code = "fn main() {\n    let x = 1;\n\n}\n";
        let out = h.highlight(code, "rust");
        assert_eq!(text_of(&out), ["fn main() {", "    let x = 1;", "", "}"]);
        let colours: std::collections::HashSet<_> =
            out.iter().flatten().filter_map(|(c, _)| *c).collect();
        assert!(colours.len() > 1, "several colours: {colours:?}");
    }

    #[test]
    fn unknown_language_and_no_theme_are_plain() {
        let h = Highlighter::new(Some("base16-ocean.dark".into()));
        let out = h.highlight("a\nb", "no-such-language");
        assert_eq!(text_of(&out), ["a", "b"]);
        assert!(out.iter().flatten().all(|(c, _)| c.is_none()));
        let out = h.highlight("a\nb", "");
        assert!(out.iter().flatten().all(|(c, _)| c.is_none()));
        let none = Highlighter::new(None);
        assert!(!none.enabled());
        let out = none.highlight("fn x() {}", "rust");
        assert_eq!(*out, vec![vec![(None, "fn x() {}".to_string())]]);
        let bad_theme = Highlighter::new(Some("nope".into()));
        assert!(
            bad_theme
                .highlight("fn x() {}", "rust")
                .iter()
                .flatten()
                .all(|(c, _)| c.is_none())
        );
    }

    #[test]
    fn cache_returns_same_arc_and_is_bounded() {
        let h = Highlighter::new(Some("InspiredGitHub".into()));
        let a = h.highlight("x = 1\n", "python");
        let b = h.highlight("x = 1\n", "python");
        assert!(Arc::ptr_eq(&a, &b));
        for i in 0..(CACHE_CAP + 10) {
            h.highlight(&format!("x = {i}\n"), "py");
        }
        assert!(h.lock().len() <= CACHE_CAP);
    }

    #[test]
    fn aliases_and_info_strings() {
        assert_eq!(normalise_lang("Rust ignore"), "rust");
        assert_eq!(normalise_lang("ts"), "js");
        assert_eq!(normalise_lang("{.python}"), "python");
        assert_eq!(normalise_lang(".py"), "py");
        assert_eq!(normalise_lang("rust,no_run"), "rust");
    }
}
