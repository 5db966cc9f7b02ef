//! HTML character references for `html_text`: named (a table of the common ones), decimal and
//! hex, with the legacy forms browsers accept. Unknown references are left as written.

/// Named references, sorted by name (byte order) for binary search. Zero-width and
/// direction marks decode to nothing; the fixed-width spaces to a plain space.
#[rustfmt::skip]
const NAMED: &[(&str, &str)] = &[
    ("AElig", "Æ"), ("Aacute", "Á"), ("Acirc", "Â"), ("Agrave", "À"), ("Aring", "Å"),
    ("Atilde", "Ã"), ("Auml", "Ä"), ("Ccedil", "Ç"), ("Dagger", "‡"), ("Delta", "Δ"),
    ("Eacute", "É"), ("Ecirc", "Ê"), ("Egrave", "È"), ("Euml", "Ë"), ("Iacute", "Í"),
    ("Icirc", "Î"), ("Igrave", "Ì"), ("Iuml", "Ï"), ("Ntilde", "Ñ"), ("OElig", "Œ"),
    ("Oacute", "Ó"), ("Ocirc", "Ô"), ("Ograve", "Ò"), ("Omega", "Ω"), ("Oslash", "Ø"),
    ("Otilde", "Õ"), ("Ouml", "Ö"), ("Prime", "″"), ("Uacute", "Ú"), ("Ucirc", "Û"),
    ("Ugrave", "Ù"), ("Uuml", "Ü"), ("Yacute", "Ý"), ("aacute", "á"), ("acirc", "â"),
    ("aelig", "æ"), ("agrave", "à"), ("alpha", "α"), ("amp", "&"), ("apos", "'"),
    ("aring", "å"), ("asymp", "≈"), ("atilde", "ã"), ("auml", "ä"), ("bdquo", "„"),
    ("beta", "β"), ("brvbar", "¦"), ("bull", "•"), ("ccedil", "ç"), ("cent", "¢"),
    ("copy", "©"), ("dagger", "†"), ("darr", "↓"), ("deg", "°"), ("delta", "δ"),
    ("divide", "÷"), ("eacute", "é"), ("ecirc", "ê"), ("egrave", "è"), ("emsp", " "),
    ("ensp", " "), ("euml", "ë"), ("euro", "€"), ("frac12", "½"), ("frac14", "¼"),
    ("frac34", "¾"), ("gamma", "γ"), ("ge", "≥"), ("gt", ">"), ("harr", "↔"), ("hellip", "…"),
    ("iacute", "í"), ("icirc", "î"), ("iexcl", "¡"), ("igrave", "ì"), ("infin", "∞"),
    ("iquest", "¿"), ("iuml", "ï"), ("lArr", "⇐"), ("lambda", "λ"), ("laquo", "«"),
    ("larr", "←"), ("ldquo", "“"), ("le", "≤"), ("lrm", ""), ("lsaquo", "‹"), ("lsquo", "‘"),
    ("lt", "<"), ("mdash", "—"), ("micro", "µ"), ("middot", "·"), ("minus", "−"), ("mu", "μ"),
    ("nbsp", "\u{a0}"), ("ndash", "–"), ("ne", "≠"), ("not", "¬"), ("ntilde", "ñ"),
    ("oacute", "ó"), ("ocirc", "ô"), ("oelig", "œ"), ("ograve", "ò"), ("omega", "ω"),
    ("ordf", "ª"), ("ordm", "º"), ("oslash", "ø"), ("otilde", "õ"), ("ouml", "ö"),
    ("para", "¶"), ("permil", "‰"), ("pi", "π"), ("plusmn", "±"), ("pound", "£"),
    ("prime", "′"), ("quot", "\""), ("rArr", "⇒"), ("raquo", "»"), ("rarr", "→"),
    ("rdquo", "”"), ("reg", "®"), ("rlm", ""), ("rsaquo", "›"), ("rsquo", "’"), ("sbquo", "‚"),
    ("sect", "§"), ("shy", ""), ("sigma", "σ"), ("sup1", "¹"), ("sup2", "²"), ("sup3", "³"),
    ("szlig", "ß"), ("thinsp", " "), ("times", "×"), ("trade", "™"), ("uacute", "ú"),
    ("uarr", "↑"), ("ucirc", "û"), ("ugrave", "ù"), ("uml", "¨"), ("uuml", "ü"),
    ("yacute", "ý"), ("yen", "¥"), ("yuml", "ÿ"), ("zwj", ""), ("zwnj", ""),
];

/// Names accepted without the trailing `;`, as browsers do (`&amp` `&lt` ...).
const LEGACY: &[&str] = &["amp", "gt", "lt", "nbsp", "quot"];

/// Longest name looked up; longer runs cannot be references.
const MAX_NAME: usize = 32;

/// What numeric references 0x80..=0x9F mean on the web (Windows-1252); the holes stay as
/// C1 controls, which the caller strips.
const WINDOWS_1252: &str = "€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8d}Ž\u{8f}\u{90}‘’“”•–—˜™š›œ\u{9d}žŸ";

/// Appends `s` to `out` with every character reference decoded.
pub fn decode_entities(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some((before, after)) = rest.split_once('&') {
        out.push_str(before);
        let used = decode_one(after, out);
        if used == 0 {
            out.push('&');
        }
        rest = after.get(used..).unwrap_or("");
    }
    out.push_str(rest);
}

/// Decodes the reference at the start of `s` (just after a `&`) into `out`; returns the
/// bytes it used, 0 when `s` does not start a reference (nothing is written then).
fn decode_one(s: &str, out: &mut String) -> usize {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&b'#') {
        let hex = matches!(bytes.get(1), Some(b'x' | b'X'));
        let digits_at = if hex { 2 } else { 1 };
        let radix = if hex { 16 } else { 10 };
        let digits = bytes
            .get(digits_at..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| char::from(**b).is_digit(radix))
            .count();
        if digits == 0 {
            return 0;
        }
        let code = s
            .get(digits_at..digits_at + digits)
            .unwrap_or("")
            .chars()
            .filter_map(|c| c.to_digit(radix))
            .fold(0u32, |acc, d| acc.saturating_mul(radix).saturating_add(d));
        out.push(numeric_char(code));
        let end = digits_at + digits;
        return end + usize::from(bytes.get(end) == Some(&b';'));
    }
    let len = bytes
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let name = s.get(..len).unwrap_or("");
    if len == 0 || len > MAX_NAME {
        return 0;
    }
    let terminated = bytes.get(len) == Some(&b';');
    match named(name) {
        Some(text) if terminated || LEGACY.contains(&name) => {
            out.push_str(text);
            len + usize::from(terminated)
        }
        _ => 0,
    }
}

/// The text of a named reference, if it is in the table.
fn named(name: &str) -> Option<&'static str> {
    NAMED
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()
        .and_then(|i| NAMED.get(i))
        .map(|(_, text)| *text)
}

/// The character a numeric reference stands for; NUL, surrogates and out-of-range values
/// become U+FFFD.
fn numeric_char(code: u32) -> char {
    if (0x80..=0x9F).contains(&code) {
        let index = (code - 0x80) as usize;
        return WINDOWS_1252.chars().nth(index).unwrap_or('\u{FFFD}');
    }
    match code {
        0 => '\u{FFFD}',
        _ => char::from_u32(code).unwrap_or('\u{FFFD}'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str) -> String {
        let mut out = String::new();
        decode_entities(s, &mut out);
        out
    }

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(
            NAMED
                .iter()
                .zip(NAMED.iter().skip(1))
                .all(|(a, b)| a.0 < b.0)
        );
        assert_eq!(WINDOWS_1252.chars().count(), 32);
    }

    #[test]
    fn decodes_named_numeric_and_legacy_forms() {
        assert_eq!(decode("&eacute;&Eacute;&szlig;&hellip;&zwj;x"), "éÉß…x");
        assert_eq!(decode("&#39;&#x27;&#X41;&#65"), "''AA");
        assert_eq!(decode("&#150;&#146;"), "–’");
        assert_eq!(
            decode("&#0;&#xD800;&#99999999;&#x110000;"),
            "\u{FFFD}".repeat(4)
        );
        assert_eq!(decode("a&amp b &lt c &amplifier"), "a& b < c &amplifier");
        assert_eq!(decode("&bogus; & &# &#x; &"), "&bogus; & &# &#x; &");
    }
}
