use super::html_to_text as text;

const PAGE: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>Rust &amp; HTML &mdash; A Guide</title>
<script>var s = "</div>"; if (a < b) { go() }</script>
<style>p { color: red }</style></head>
<body>
<nav><ul><li><a href="/">Home</a><li><a href="https://example.com/docs">Docs</a></ul></nav>
<article>
  <h1>Parsing   HTML</h1>
  <p>A <b>short</b> guide. See the <a href="https://www.rust-lang.org/">official site</a>
     or <a href="https://example.com/">https://example.com/</a>.</p>
  <ul><li>One</li><li>Two</li></ul>
  <table><tr><th>Name</th><th>Value</th></tr><tr><td>alpha</td><td>1</td></tr></table>
  <pre><code>fn main() {
    if a &lt; b {
        go();
    }
}</code></pre>
  <p>Caf&eacute; &copy; 2024</p>
</article></body></html>"#;

#[test]
fn renders_a_realistic_page() {
    let expected = "# Rust & HTML — A Guide\n\n- Home\n- Docs (https://example.com/docs)\n\n\
        # Parsing HTML\n\nA short guide. See the official site (https://www.rust-lang.org/) \
        or https://example.com/.\n\n- One\n- Two\n\nName | Value\nalpha | 1\n\n\
        fn main() {\n    if a < b {\n        go();\n    }\n}\n\nCafé © 2024";
    assert_eq!(text(PAGE), expected);
}

#[test]
fn decodes_every_entity_form() {
    let html = "&amp; &lt; &gt; &quot; &apos; a&nbsp;b &#39;&#x27;&#X41; &copy;&mdash;&eacute;\
        &Eacute;&szlig;&rarr;&frac12;&euro; x&shy;y&zwj; &unknown; &amp &lt 1 &#0;&#xD800;\
        &#99999999;&#150; a&b &";
    let expected = "& < > \" ' a b ''A ©—éÉß→½€ xy &unknown; & < 1 \u{FFFD}\u{FFFD}\u{FFFD}– a&b &";
    assert_eq!(text(html), expected);
}

#[test]
fn numbers_and_indents_nested_lists() {
    let html = "<ol><li>a<li>b<ul><li>c<ol start=7><li>d<li>e</ol></ul><li>f</ol><p>after";
    let expected = "1. a\n2. b\n  - c\n    7. d\n    8. e\n3. f\n\nafter";
    assert_eq!(text(html), expected);
    assert_eq!(
        text("<ul><li><p>one</p><p>more</p></li><li></li><li>two</ul>"),
        "- one\n  more\n- two"
    );
}

#[test]
fn collapses_whitespace_outside_pre() {
    let html = "<p>  a \t\n b\r\n<span>c</span><span> d </span>  </p>\n\n\n<div> e </div>";
    assert_eq!(text(html), "a b c d\n\ne");
    assert_eq!(text("<pre>\n  x  \n\ty\r\nz</pre>"), "  x\n\ty\nz");
    assert_eq!(
        text("a<br><br><br><br>b<p></p><p></p><div></div>c"),
        "a\n\nb\n\nc"
    );
    let code = "<p>Call <code>f(a,\n  b)</code>.<code></code> <code> x </code></p><pre><code>a</code></pre>";
    assert_eq!(text(code), "Call `f(a, b)`. `x`\n\na");
}

#[test]
fn renders_blocks_links_images_and_tables() {
    let html = "<h3>T</h3><blockquote>q<br>r</blockquote><dl><dt>k<dd>v</dl><hr>\
        <a href='javascript:x()'>js</a> <a href=#f>frag</a> <a href=/rel>rel</a> \
        <a href=\"//cdn.example/a\">cdn</a> <a href=\"https://x.y/?a=1&amp;b=2\" title=\"a>b\">q</a> \
        <a href=https://i.example><img alt=\"Logo\"></a><a>m</a><a>n</a><img src=x.png><img alt=' '>\
        <table><tr><td>a<td><td><p>c</p><p>d</p></table>";
    let expected = "### T\n\n> q\n> r\n\nk\n  v\n\n---\n\njs frag rel cdn (https://cdn.example/a) \
        q (https://x.y/?a=1&b=2) [image: Logo] (https://i.example) m n\n\na | | c d";
    assert_eq!(text(html), expected);
}

#[test]
fn raw_text_ends_only_at_its_close_tag() {
    let html = "<title>a<b>c</TITLE ><SCRIPT>x='</div><p>'</script >ok<textarea><b>&lt;</textarea>\
        <svg><title>no</title><p>hidden</p></svg><select><option>o</select><template>t</template>";
    assert_eq!(text(html), "# a<b>c\n\nok<b><");
    assert_eq!(
        text("<head><title>T</title><p>h</p></head><body>b"),
        "# T\n\nh\n\nb"
    );
    assert_eq!(text("<head><title>T</title><body>b"), "# T\n\nb");
    assert_eq!(text("<head><meta x><script>s</script><p>b"), "b");
    assert_eq!(
        text("<!-- <p>x</p> --><!---->a<![CDATA[<&amp;>]]><?php ?><!x>b</>c"),
        "a<&amp;>bc"
    );
}

#[test]
fn removes_control_characters() {
    let html = "a\u{1b}[31mb\u{7}c&#27;d&#x81;e\u{85}f\0g\u{7f}<pre>h\u{1b}]0;x\u{7}\ti</pre>";
    let out = text(html);
    assert_eq!(out, "a[31mbcdefg\n\nh]0;x\ti");
    assert!(
        !out.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
    );
}

#[test]
fn never_panics_on_malformed_input() {
    let nasty = [
        "",
        "<",
        "<<",
        "a<",
        "</",
        "</a",
        "<a",
        "<a href",
        "<a href=",
        "<a href='x",
        "<!--",
        "<!-",
        "<!--->",
        "<!DOCTYPE",
        "<?",
        "<![CDATA[",
        "<![CDATA[x]]",
        "&",
        "&#",
        "&#x",
        "&#99999999;",
        "&#xFFFFFFFFFFFFFFFFFF;",
        "&#xD800;",
        "&#0;",
        "&;",
        "&a",
        "\0<\0>\0",
        "<script>",
        "<title>x",
        "<pre>",
        "<code>",
        "<ol start=-9223372036854775808><li>a<li>b",
        "</ul></ol></blockquote></dl></dd></table></tr></td></pre></code></a></h1>",
        "<td>x<td>y",
        "<li>x",
        "<dd>x",
        "<a href=https://x>é</a",
        "<é>",
        "<a\u{e9}=\u{e9}>",
    ];
    for html in nasty {
        let _ = text(html);
    }
    for (i, _) in PAGE.char_indices() {
        let _ = text(PAGE.get(..i).unwrap_or_default());
        let _ = text(PAGE.get(i..).unwrap_or_default());
    }
}

#[test]
fn stays_linear_on_pathological_input() {
    let html = "<div><a href=x>".repeat(2 * 1024 * 1024 / 15) + "end";
    assert_eq!(text(&html), "end");
    let deep = text(&"<ul><li>x".repeat(50_000));
    assert_eq!(deep.lines().count(), 50_000);
    assert!(
        deep.lines()
            .all(|line| line.len() <= 2 * super::MAX_LEVELS + 3)
    );
    let quoted = format!("<a title=\"{}\">x</a>", "<p>".repeat(100_000));
    assert_eq!(text(&quoted), "x");
}
