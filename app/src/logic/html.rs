//! Escaping text for the few places where Cairn writes HTML as a string instead of
//! through Leptos' views (which escape on their own): the document `<title>`, which
//! leptos_meta copies into the server's HTML as it is. And the pages' content
//! security policy, which names the same nonce as the page's own inline scripts.

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, so it
/// reads as the same text inside an element or a quoted attribute and can never
/// open or close markup.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The text of the browser tab: the page's own title, then the product.
/// On the server the result is escaped, because leptos_meta pastes it into
/// `<title>` unescaped; in the browser it is set as `document.title`, plain text.
pub fn document_title(page: String) -> String {
    let full = if page.trim().is_empty() {
        "Cairn".to_owned()
    } else {
        format!("{page} · Cairn")
    };
    if cfg!(feature = "hydrate") {
        full
    } else {
        escape_text(&full)
    }
}

/// The `Content-Security-Policy` of a server-rendered page whose inline scripts carry
/// `nonce`: scripts only from this server or with the nonce (hydration and the
/// resources it serialises), WASM compiled from this server's bundle, data fetched
/// from this server only, no plugins, no `<base>` rewriting, forms posted here only,
/// and no framing by other sites. Inline `style` attributes stay allowed: charts
/// and the runs table position elements with them.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markup_becomes_text() {
        assert_eq!(
            escape_text("</title><script>alert(1)</script>"),
            "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
        );
        assert_eq!(
            escape_text("\"><img src=x onerror='a'>"),
            "&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;"
        );
        assert_eq!(
            escape_text("{{x}} \u{202e}abc &amp;"),
            "{{x}} \u{202e}abc &amp;amp;"
        );
    }

    #[test]
    fn titles_name_the_product() {
        assert_eq!(document_title(String::new()), "Cairn");
        assert_eq!(document_title("a<b".into()), "a&lt;b · Cairn");
    }

    proptest! {
        #[test]
        fn escaped_text_has_no_markup(s in ".*") {
            let e = escape_text(&s);
            prop_assert!(!e.contains(['<', '>', '"', '\'']));
            // Every `&` starts a reference we wrote.
            for (i, _) in e.match_indices('&') {
                let rest = &e[i..];
                prop_assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].iter().any(|r| rest.starts_with(r)));
            }
        }
    }
}
