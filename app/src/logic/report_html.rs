//! A report's content as HTML text, written once and used three ways: the reader's
//! page (server-rendered, complete without JavaScript), the `?embed=1` view, and
//! the self-contained HTML export. Every piece of user text is escaped here;
//! markdown, math and charts arrive already made safe by the server
//! (`logic::markdown`, `logic::math`, `charts::svg`).

use std::collections::BTreeMap;

use super::html::escape_text as esc;
use super::reports::toc;
use crate::model::{
    BlockKind, CalloutTone, Panel, RenderedBlock, ReportDoc, RunSet, Section, SectionLayout,
    GRID_COLUMNS, ROW_PX,
};

/// How a panel sits in a grid: CSS grid placement.
pub fn placement(layout: SectionLayout, p: &Panel) -> String {
    match layout {
        SectionLayout::Standard { width, .. } => {
            format!("grid-column: span {}", width.clamp(1, GRID_COLUMNS))
        }
        SectionLayout::Custom => format!(
            "grid-column: {} / span {}; grid-row: {} / span {}",
            p.rect.x.min(GRID_COLUMNS - 1) + 1,
            p.rect.w.clamp(1, GRID_COLUMNS),
            p.rect.y + 1,
            p.rect.h.max(1)
        ),
    }
}

/// The line above a grid naming its run sets, their matches and filters.
pub fn run_set_caption(sets: &[RunSet], counts: &[u32]) -> String {
    let parts: Vec<String> = sets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let n = counts.get(i).copied().unwrap_or(0);
            let what = if s.frozen.is_some() { "frozen, " } else { "" };
            let filter = if s.frozen.is_none() && !s.filter.trim().is_empty() {
                format!(" <code>{}</code>", esc(&s.filter))
            } else {
                String::new()
            };
            format!(
                "<span class=\"run-set\"><strong>{}</strong> ({what}{n} run{}){filter}</span>",
                esc(&s.name),
                if n == 1 { "" } else { "s" }
            )
        })
        .collect();
    parts.join(" · ")
}

fn grid_html(
    out: &mut String,
    block_id: u64,
    run_sets: &[RunSet],
    section: &Section,
    rendered: Option<&RenderedBlock>,
) {
    let empty = RenderedBlock::default();
    let r = rendered.unwrap_or(&empty);
    out.push_str(&format!(
        "<section class=\"report-grid\" data-block=\"{block_id}\" aria-label=\"{}\">",
        esc(&section.name)
    ));
    out.push_str(&format!(
        "<p class=\"run-sets muted\">{}</p>",
        run_set_caption(run_sets, &r.run_counts)
    ));
    let row_px = match section.layout {
        SectionLayout::Custom => format!(" style=\"grid-auto-rows: {ROW_PX}px\""),
        SectionLayout::Standard { .. } => String::new(),
    };
    out.push_str(&format!("<div class=\"report-panels\"{row_px}>"));
    for p in &section.panels {
        let drawn = r.panels.iter().find(|d| d.id == p.id);
        out.push_str(&format!(
            "<figure class=\"report-panel\" id=\"panel-{block_id}-{}\" data-panel=\"{}\" style=\"{}\">",
            p.id,
            p.id,
            placement(section.layout, p)
        ));
        out.push_str(&format!(
            "<figcaption>{}</figcaption>",
            esc(&p.display_title())
        ));
        match drawn {
            Some(d) => out.push_str(&format!("<div class=\"panel-body\">{}</div>", d.html)),
            None => out.push_str("<p class=\"panel-status\">Not drawn.</p>"),
        }
        out.push_str("</figure>");
    }
    out.push_str("</div></section>");
}

/// The report's title and description as HTML.
pub fn head_html(doc: &ReportDoc) -> String {
    let mut out = format!("<h1 class=\"report-title\">{}</h1>", esc(&doc.title));
    if !doc.description.trim().is_empty() {
        out.push_str(&format!(
            "<p class=\"report-description\">{}</p>",
            esc(&doc.description)
        ));
    }
    out
}

/// The report's title, description and blocks as HTML.
pub fn body_html(doc: &ReportDoc, rendered: &[(u64, RenderedBlock)]) -> String {
    let mut out = head_html(doc);
    for part in blocks_html(doc, rendered) {
        out.push_str(&part);
    }
    out
}

/// Each block of the report as HTML, in order.
pub fn blocks_html(doc: &ReportDoc, rendered: &[(u64, RenderedBlock)]) -> Vec<String> {
    let by_id: BTreeMap<u64, &RenderedBlock> = rendered.iter().map(|(id, r)| (*id, r)).collect();
    let headings = toc(doc);
    let mut next_heading = headings.iter();
    let mut parts = Vec::with_capacity(doc.blocks.len());
    for b in &doc.blocks {
        let mut out = String::new();
        let html = by_id.get(&b.id).map(|r| r.html.as_str()).unwrap_or("");
        match &b.kind {
            BlockKind::Heading { level, text } => {
                let anchor = next_heading
                    .next()
                    .map(|e| e.anchor.clone())
                    .unwrap_or_default();
                let level = (*level).clamp(1, 3) + 1;
                out.push_str(&format!(
                    "<h{level} id=\"{}\" class=\"report-heading\">{}</h{level}>",
                    esc(&anchor),
                    esc(text)
                ));
            }
            BlockKind::Markdown { .. } => {
                out.push_str(&format!("<div class=\"report-markdown\">{html}</div>"));
            }
            BlockKind::Code { language, text } => {
                out.push_str(&format!(
                    "<pre class=\"report-code\" data-language=\"{0}\"><code class=\"language-{0}\">{1}</code></pre>",
                    esc(language),
                    esc(text)
                ));
            }
            BlockKind::Math { .. } => {
                out.push_str(&format!("<div class=\"report-math\">{html}</div>"));
            }
            BlockKind::Image { src, .. } if src.is_empty() => {}
            BlockKind::Image { src, caption } => {
                out.push_str(&format!(
                    "<figure class=\"report-image\"><img src=\"{}\" alt=\"{}\" loading=\"lazy\">",
                    esc(src),
                    esc(caption)
                ));
                if !caption.is_empty() {
                    out.push_str(&format!("<figcaption>{}</figcaption>", esc(caption)));
                }
                out.push_str("</figure>");
            }
            BlockKind::Callout { tone, .. } => {
                let (class, label) = match tone {
                    CalloutTone::Info => ("info", "Note"),
                    CalloutTone::Warning => ("warning", "Warning"),
                    CalloutTone::Success => ("success", "Success"),
                };
                out.push_str(&format!(
                    "<aside class=\"report-callout {class}\" aria-label=\"{label}\">{html}</aside>"
                ));
            }
            BlockKind::Rule => out.push_str("<hr class=\"report-rule\">"),
            BlockKind::TableOfContents => {
                out.push_str("<nav class=\"report-toc\" aria-label=\"Contents\"><p><strong>Contents</strong></p><ol>");
                for e in &headings {
                    out.push_str(&format!(
                        "<li class=\"toc-{}\"><a href=\"#{}\">{}</a></li>",
                        e.level,
                        esc(&e.anchor),
                        esc(&e.text)
                    ));
                }
                out.push_str("</ol></nav>");
            }
            BlockKind::PanelGrid { run_sets, section } => {
                grid_html(&mut out, b.id, run_sets, section, by_id.get(&b.id).copied());
            }
            BlockKind::Unknown { label, .. } => {
                out.push_str(&format!(
                    "<div class=\"report-unknown\" role=\"note\">A block of kind <strong>{}</strong>, made by another client, that Cairn does not draw. It is kept as it is.</div>",
                    esc(label)
                ));
            }
        }
        parts.push(out);
    }
    parts
}

/// The report as Markdown, with each chart named `charts/{block}-{panel}.svg`
/// beside it; the charts to write with it.
pub fn to_markdown(
    doc: &ReportDoc,
    rendered: &[(u64, RenderedBlock)],
) -> (String, Vec<(String, String)>) {
    let by_id: BTreeMap<u64, &RenderedBlock> = rendered.iter().map(|(id, r)| (*id, r)).collect();
    let headings = toc(doc);
    let mut out = format!("# {}\n\n", doc.title.trim());
    if !doc.description.trim().is_empty() {
        out.push_str(&format!("{}\n\n", doc.description.trim()));
    }
    let mut charts = Vec::new();
    for b in &doc.blocks {
        match &b.kind {
            BlockKind::Heading { level, text } => {
                out.push_str(&format!(
                    "{} {}\n\n",
                    "#".repeat(usize::from(*level) + 1),
                    text.trim()
                ));
            }
            BlockKind::Markdown { text } => out.push_str(&format!("{}\n\n", text.trim_end())),
            BlockKind::Code { language, text } => {
                // A fence longer than any run of backticks in the code.
                let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
                let fence = "`".repeat(longest.max(2) + 1);
                out.push_str(&format!(
                    "{fence}{language}\n{}\n{fence}\n\n",
                    text.trim_end()
                ));
            }
            BlockKind::Math { tex } => out.push_str(&format!("$$\n{}\n$$\n\n", tex.trim())),
            BlockKind::Image { src, caption } => out.push_str(&format!("![{caption}]({src})\n\n")),
            BlockKind::Callout { text, .. } => {
                for line in text.lines() {
                    out.push_str(&format!("> {line}\n"));
                }
                out.push('\n');
            }
            BlockKind::Rule => out.push_str("---\n\n"),
            BlockKind::TableOfContents => {
                for e in &headings {
                    out.push_str(&format!(
                        "{}- [{}](#{})\n",
                        "  ".repeat(usize::from(e.level.saturating_sub(1))),
                        e.text,
                        e.anchor
                    ));
                }
                out.push('\n');
            }
            BlockKind::PanelGrid { section, .. } => {
                if let Some(r) = by_id.get(&b.id) {
                    for p in &section.panels {
                        let Some(d) = r.panels.iter().find(|d| d.id == p.id) else {
                            continue;
                        };
                        match &p.kind {
                            crate::model::PanelKind::Markdown { text } => {
                                out.push_str(&format!("{}\n\n", text.trim_end()));
                            }
                            _ if d.html.starts_with("<svg") => {
                                let name = format!("charts/{}-{}.svg", b.id, p.id);
                                let end = d.html.find("</svg>").map_or(d.html.len(), |i| i + 6);
                                charts.push((name.clone(), d.html[..end].to_owned()));
                                out.push_str(&format!("![{}]({name})\n\n", p.display_title()));
                            }
                            _ => {}
                        }
                    }
                }
            }
            BlockKind::Unknown { label, .. } => {
                out.push_str(&format!("*(a {label} block Cairn does not draw)*\n\n"));
            }
        }
    }
    (out, charts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Block;

    fn doc(blocks: Vec<BlockKind>) -> ReportDoc {
        ReportDoc {
            title: "T <x>".into(),
            description: "d & e".into(),
            blocks: blocks
                .into_iter()
                .enumerate()
                .map(|(i, kind)| Block {
                    id: i as u64 + 1,
                    kind,
                })
                .collect(),
        }
    }

    #[test]
    fn user_text_is_escaped_everywhere() {
        let d = doc(vec![
            BlockKind::Heading {
                level: 1,
                text: "<img src=x onerror=alert(1)>".into(),
            },
            BlockKind::Code {
                language: "\"><script>".into(),
                text: "</code><script>".into(),
            },
            BlockKind::Image {
                src: "/a\"onerror=\"x".into(),
                caption: "<b>".into(),
            },
            BlockKind::TableOfContents,
            BlockKind::Unknown {
                label: "<i>".into(),
                raw: "{}".into(),
            },
        ]);
        let html = body_html(&d, &[]);
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>") && !html.contains("<i>"), "{html}");
        assert!(!html.contains("\"onerror"), "{html}");
        assert!(html.contains("T &lt;x&gt;"));
    }

    #[test]
    fn headings_get_the_toc_anchors() {
        let d = doc(vec![
            BlockKind::TableOfContents,
            BlockKind::Heading {
                level: 1,
                text: "Intro".into(),
            },
            BlockKind::Heading {
                level: 2,
                text: "Intro".into(),
            },
        ]);
        let html = body_html(&d, &[]);
        assert!(html.contains("<h2 id=\"intro\""), "{html}");
        assert!(html.contains("<h3 id=\"intro-2\""), "{html}");
        assert!(html.contains("href=\"#intro-2\""), "{html}");
    }

    #[test]
    fn markdown_export_fences_code_and_lists_charts() {
        let d = doc(vec![BlockKind::Code {
            language: "py".into(),
            text: "a ``` b".into(),
        }]);
        let (md, charts) = to_markdown(&d, &[]);
        assert!(md.contains("````py\na ``` b\n````"), "{md}");
        assert!(charts.is_empty());
    }
}
