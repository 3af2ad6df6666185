//! Markdown to HTML that is safe to put into a page: raw HTML in the source is
//! shown as text, and links or images whose address is not http(s), mailto, a
//! relative path or an in-page anchor lose their address (no `javascript:`).

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    match lower.split_once(':') {
        // A colon before any slash, `?` or `#` is a scheme: allow only a few.
        Some((scheme, _)) if !scheme.contains(['/', '?', '#']) => {
            matches!(scheme, "http" | "https" | "mailto")
        }
        _ => true,
    }
}

/// Render markdown (CommonMark with tables, strikethrough and task lists) to HTML.
pub fn to_safe_html(source: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(source, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe_url(&dest_url) => Event::Start(Tag::Link {
            link_type,
            dest_url: CowStr::Borrowed(""),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) if !safe_url(&dest_url) => Event::Start(Tag::Image {
            link_type,
            dest_url: CowStr::Borrowed(""),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The words of markdown without its markup, for one-line previews (project
/// cards): text and inline code of the whole source, whitespace collapsed, cut at
/// `max_chars` characters with an ellipsis. Raw HTML counts as text, like in
/// [`to_safe_html`]; the result is plain text for a view to escape.
pub fn to_plain_text(source: &str, max_chars: usize) -> String {
    let mut words = String::new();
    for event in Parser::new_ext(
        source,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    ) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                words.push_str(&t);
            }
            // Inline markup ends inside a word or sentence; blocks end with a space.
            Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Link
                | TagEnd::Image,
            ) => {}
            Event::SoftBreak | Event::HardBreak | Event::End(_) => words.push(' '),
            _ => {}
        }
    }
    let collapsed = words.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max_chars {
        return collapsed;
    }
    let mut cut: String = collapsed
        .chars()
        .take(max_chars.saturating_sub(1))
        .collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_plain_words() {
        assert_eq!(
            to_plain_text(
                "# Sweep\n\n**ResNet** on `cifar10`, see [notes](https://x.y).\n\n- a\n- b",
                200
            ),
            "Sweep ResNet on cifar10, see notes. a b"
        );
        assert_eq!(to_plain_text("one two three four", 9), "one two…");
        assert_eq!(to_plain_text("", 10), "");
    }

    #[test]
    fn renders_markdown() {
        let html = to_safe_html("# Notes\n\n*lr* sweep: **0.1** wins\n\n- a\n- b\n");
        assert!(html.contains("<h1>Notes</h1>"));
        assert!(html.contains("<em>lr</em>") && html.contains("<strong>0.1</strong>"));
        assert!(html.contains("<li>a</li>"));
    }

    #[test]
    fn scripts_and_bad_links_are_neutralised() {
        let html = to_safe_html("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)>");
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"));
        let html = to_safe_html(
            "[x](javascript:alert(1)) [y](JavaScript:alert(1)) [ok](https://a.b/c) [rel](runs?x=1)",
        );
        assert!(!html.to_lowercase().contains("javascript"), "{html}");
        assert!(html.contains("href=\"https://a.b/c\"") && html.contains("href=\"runs?x=1\""));
    }
}
