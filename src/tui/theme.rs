//! Colours from `themes/*.toml` (bundled in the binary) or `<config>/themes/NAME.toml`.
//! `NO_COLOR` gives a monochrome theme that uses only bold/italic/underline/reverse.

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

const BUNDLED: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
];

/// Every style the UI draws with. Widgets never pick colours of their own.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    /// False under `NO_COLOR`: no colours at all, only modifiers.
    pub color: bool,
    /// syntect theme for code blocks; `None` disables highlighting.
    pub syntax_theme: Option<String>,
    pub text: Style,
    pub muted: Style,
    pub accent: Style,
    pub user: Style,
    pub assistant: Style,
    pub heading: Style,
    pub link: Style,
    pub inline_code: Style,
    /// Background for fenced code blocks (only the background is meaningful).
    pub code_block: Style,
    pub quote: Style,
    pub border: Style,
    pub error: Style,
    pub warning: Style,
    pub success: Style,
    pub status: Style,
    pub selection: Style,
    /// Background of added / removed lines in diffs.
    pub diff_added: Style,
    pub diff_removed: Style,
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme `{name}` not found: bundled themes are dark and light; put your own in {dir}")]
    NotFound { name: String, dir: String },
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[allow(dead_code)]
    name: Option<String>,
    syntax_theme: Option<Spanned<String>>,
    #[serde(default)]
    colors: Colors,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Colors {
    text: Option<Spanned<String>>,
    muted: Option<Spanned<String>>,
    accent: Option<Spanned<String>>,
    user: Option<Spanned<String>>,
    assistant: Option<Spanned<String>>,
    heading: Option<Spanned<String>>,
    link: Option<Spanned<String>>,
    inline_code: Option<Spanned<String>>,
    code_bg: Option<Spanned<String>>,
    quote: Option<Spanned<String>>,
    border: Option<Spanned<String>>,
    error: Option<Spanned<String>>,
    warning: Option<Spanned<String>>,
    success: Option<Spanned<String>>,
    status_bg: Option<Spanned<String>>,
    status_fg: Option<Spanned<String>>,
    selection_bg: Option<Spanned<String>>,
    diff_add_bg: Option<Spanned<String>>,
    diff_del_bg: Option<Spanned<String>>,
}

/// The syntect themes built into pincer (checked against syntect's own list in a test).
const SYNTAX_THEMES: &[&str] = &[
    "InspiredGitHub",
    "Solarized (dark)",
    "Solarized (light)",
    "base16-eighties.dark",
    "base16-mocha.dark",
    "base16-ocean.dark",
    "base16-ocean.light",
];

/// A `syntax_theme` that highlighting knows, or a located error (not silently plain text).
fn check_syntax_theme(name: Spanned<String>, text: &str, path: &str) -> Result<String, ThemeError> {
    if SYNTAX_THEMES.contains(&name.get_ref().as_str()) {
        return Ok(name.into_inner());
    }
    let (line, column) = crate::config::line_col(text, name.span().start);
    Err(ThemeError::Parse {
        path: path.to_string(),
        line,
        column,
        message: format!(
            "syntax_theme `{}` is not known: use one of {}, or remove the key",
            name.get_ref(),
            SYNTAX_THEMES.join(", ")
        ),
    })
}

impl Theme {
    /// Load a theme by name: `<themes_dir>/NAME.toml` first, then the bundled ones.
    /// `no_color` (from `NO_COLOR`) always wins.
    pub fn load(name: &str, themes_dir: &Path, no_color: bool) -> Result<Theme, ThemeError> {
        if no_color {
            return Ok(Theme::monochrome());
        }
        let user_file = themes_dir.join(format!("{name}.toml"));
        let path = user_file.display().to_string();
        match crate::fsread::read_text_if_exists(&user_file, crate::fsread::THEME_MAX) {
            Ok(Some(text)) => return Theme::parse(name, &text, &path),
            Ok(None) => {}
            Err(e @ crate::fsread::ReadError::NotUtf8 { .. }) => {
                return Err(ThemeError::Parse {
                    path,
                    line: e.line(),
                    column: e.column(),
                    message: format!("{}; save the theme as UTF-8", e.reason()),
                });
            }
            Err(e) => {
                return Err(ThemeError::Read {
                    path,
                    reason: format!(
                        "{}; a theme is a small TOML file of colours (see the bundled dark.toml)",
                        e.reason()
                    ),
                });
            }
        }
        match BUNDLED.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => Theme::parse(name, text, &format!("themes/{name}.toml")),
            None => Err(ThemeError::NotFound {
                name: name.to_string(),
                dir: themes_dir.display().to_string(),
            }),
        }
    }

    /// The bundled dark theme; infallible because it is tested.
    pub fn dark() -> Theme {
        Theme::parse("dark", BUNDLED[0].1, "themes/dark.toml")
            .unwrap_or_else(|_| Theme::monochrome())
    }

    pub fn parse(name: &str, text: &str, path: &str) -> Result<Theme, ThemeError> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| crate::config::line_col(text, s.start))
                .unwrap_or((1, 1));
            ThemeError::Parse {
                path: path.to_string(),
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        let c = &file.colors;
        let color = |v: &Option<Spanned<String>>| -> Result<Color, ThemeError> {
            let Some(v) = v else { return Ok(Color::Reset) };
            v.get_ref().parse::<Color>().map_err(|_| {
                let (line, column) = crate::config::line_col(text, v.span().start);
                ThemeError::Parse {
                    path: path.to_string(),
                    line,
                    column,
                    message: format!(
                        "`{}` is not a colour: use \"#rrggbb\", a colour name such as \"blue\", or an index 0–255",
                        v.get_ref()
                    ),
                }
            })
        };
        let fg = |v: &Option<Spanned<String>>| color(v).map(|c| Style::default().fg(c));
        let bg = |v: &Option<Spanned<String>>| color(v).map(|c| Style::default().bg(c));
        Ok(Theme {
            name: name.to_string(),
            color: true,
            syntax_theme: file
                .syntax_theme
                .map(|t| check_syntax_theme(t, text, path))
                .transpose()?,
            text: fg(&c.text)?,
            muted: fg(&c.muted)?,
            accent: fg(&c.accent)?,
            user: fg(&c.user)?.add_modifier(Modifier::BOLD),
            assistant: fg(&c.assistant)?,
            heading: fg(&c.heading)?.add_modifier(Modifier::BOLD),
            link: fg(&c.link)?.add_modifier(Modifier::UNDERLINED),
            inline_code: fg(&c.inline_code)?,
            code_block: bg(&c.code_bg)?,
            quote: fg(&c.quote)?.add_modifier(Modifier::ITALIC),
            border: fg(&c.border)?,
            error: fg(&c.error)?.add_modifier(Modifier::BOLD),
            warning: fg(&c.warning)?,
            success: fg(&c.success)?,
            status: fg(&c.status_fg)?.bg(color(&c.status_bg)?),
            selection: bg(&c.selection_bg)?,
            diff_added: bg(&c.diff_add_bg)?,
            diff_removed: bg(&c.diff_del_bg)?,
        })
    }

    /// No colours at all (`NO_COLOR`): structure comes from modifiers only.
    pub fn monochrome() -> Theme {
        let plain = Style::default();
        Theme {
            name: "no-color".into(),
            color: false,
            syntax_theme: None,
            text: plain,
            muted: plain.add_modifier(Modifier::DIM),
            accent: plain.add_modifier(Modifier::BOLD),
            user: plain.add_modifier(Modifier::BOLD),
            assistant: plain,
            heading: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            link: plain.add_modifier(Modifier::UNDERLINED),
            inline_code: plain.add_modifier(Modifier::BOLD),
            code_block: plain,
            quote: plain.add_modifier(Modifier::ITALIC),
            border: plain,
            error: plain.add_modifier(Modifier::BOLD),
            warning: plain.add_modifier(Modifier::BOLD),
            success: plain,
            status: plain.add_modifier(Modifier::REVERSED),
            selection: plain.add_modifier(Modifier::REVERSED),
            diff_added: plain,
            diff_removed: plain,
        }
    }

    /// Names of the bundled themes.
    pub fn bundled_names() -> impl Iterator<Item = &'static str> {
        BUNDLED.iter().map(|(n, _)| *n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_themes_parse() {
        for name in Theme::bundled_names() {
            let theme = Theme::load(name, Path::new("/nonexistent"), false).unwrap();
            assert!(theme.color);
            assert_ne!(
                theme.text.fg,
                Some(Color::Reset),
                "{name} has a text colour"
            );
            assert!(theme.syntax_theme.is_some());
        }
    }

    #[test]
    fn no_color_wins() {
        let theme = Theme::load("dark", Path::new("/nonexistent"), true).unwrap();
        assert!(!theme.color);
        assert_eq!(theme.text.fg, None);
    }

    #[test]
    fn unknown_theme_names_the_dir() {
        let err = Theme::load("nope", Path::new("/x/themes"), false).unwrap_err();
        assert!(err.to_string().contains("/x/themes"));
    }

    #[test]
    fn syntax_themes_are_syntects() {
        let set = syntect::highlighting::ThemeSet::load_defaults();
        let mut names: Vec<&str> = set.themes.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, SYNTAX_THEMES);
        let err = Theme::parse("t", "syntax_theme = \"nope\"\n", "t.toml").unwrap_err();
        assert!(err.to_string().starts_with("t.toml:1:16:"), "{err}");
    }

    #[test]
    fn bad_theme_reports_line() {
        let err =
            Theme::parse("t", "name = \"t\"\n[colors]\ntxt = \"#fff\"\n", "t.toml").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("t.toml:3:"), "{msg}");
    }
}
