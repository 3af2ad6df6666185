//! A report's document and the wandb client's report spec (W&B's private JSON:
//! `{version, panelGroups, blocks: [{type, children: [{text}], …}]}`). The blocks
//! Cairn knows become its own; every other block is kept whole as an `Unknown`
//! block and shown as a labelled placeholder, so nothing the client wrote is lost.

use serde_json::{json, Value};

use app::model::{Block, BlockKind, CalloutTone, ReportDoc};

/// The text of a block's `children` (Slate's tree of `{text}` leaves), lines of
/// nested elements joined by newlines.
fn text_of(v: &Value) -> String {
    if let Some(t) = v.get("text").and_then(Value::as_str) {
        return t.to_owned();
    }
    let Some(children) = v.get("children").and_then(Value::as_array) else {
        return String::new();
    };
    let nested = children.iter().any(|c| c.get("children").is_some());
    let parts: Vec<String> = children.iter().map(text_of).collect();
    parts.join(if nested { "\n" } else { "" })
}

fn kind_of(b: &Value) -> BlockKind {
    let t = b.get("type").and_then(Value::as_str).unwrap_or("");
    let str_of = |k: &str| b.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    match t {
        "heading" => BlockKind::Heading {
            level: b
                .get("level")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 3) as u8,
            text: text_of(b),
        },
        "paragraph" => BlockKind::Markdown { text: text_of(b) },
        "markdown-block" => BlockKind::Markdown {
            text: str_of("content"),
        },
        "code-block" => BlockKind::Code {
            language: str_of("language"),
            text: text_of(b),
        },
        "latex" => BlockKind::Math {
            tex: str_of("content"),
        },
        "horizontal-rule" => BlockKind::Rule,
        "table-of-contents" => BlockKind::TableOfContents,
        "callout-block" => BlockKind::Callout {
            tone: CalloutTone::Info,
            text: text_of(b),
        },
        "cairn-block" => b
            .get("cairn")
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_else(|| unknown(t, b)),
        _ => unknown(t, b),
    }
}

fn unknown(t: &str, b: &Value) -> BlockKind {
    BlockKind::Unknown {
        label: if t.is_empty() {
            "untyped".into()
        } else {
            t.to_owned()
        },
        raw: b.to_string(),
    }
}

/// The document a spec describes (titles come from the view's own fields).
pub fn doc_from_spec(title: &str, description: &str, spec: &Value) -> ReportDoc {
    let blocks = spec
        .get("blocks")
        .and_then(Value::as_array)
        .map(|bs| {
            bs.iter()
                .enumerate()
                .map(|(i, b)| Block {
                    id: i as u64 + 1,
                    kind: kind_of(b),
                })
                .collect()
        })
        .unwrap_or_default();
    ReportDoc {
        title: if title.trim().is_empty() {
            "Untitled report".to_owned()
        } else {
            title.to_owned()
        },
        description: description.to_owned(),
        blocks,
    }
}

fn leaf(text: &str) -> Value {
    json!([{ "text": text }])
}

/// A spec for a report made in Cairn: its blocks in the client's shapes where there
/// is one, Cairn's own (`cairn-block`) otherwise; panel grids also listed as
/// `panelGroups` (what the client's `report.sections` reads).
pub fn spec_from_doc(doc: &ReportDoc) -> Value {
    let mut groups = Vec::new();
    let blocks: Vec<Value> = doc
        .blocks
        .iter()
        .map(|b| match &b.kind {
            BlockKind::Heading { level, text } => {
                json!({"type": "heading", "level": level, "children": leaf(text)})
            }
            BlockKind::Markdown { text } => json!({"type": "markdown-block", "content": text, "children": leaf("")}),
            BlockKind::Code { language, text } => json!({
                "type": "code-block", "language": language,
                "children": text.lines().map(|l| json!({"type": "code-line", "children": leaf(l)})).collect::<Vec<_>>(),
            }),
            BlockKind::Math { tex } => json!({"type": "latex", "content": tex, "block": true, "children": leaf("")}),
            BlockKind::Rule => json!({"type": "horizontal-rule", "children": leaf("")}),
            BlockKind::TableOfContents => json!({"type": "table-of-contents", "children": leaf("")}),
            BlockKind::Callout { text, .. } => json!({
                "type": "callout-block",
                "children": text.lines().map(|l| json!({"type": "callout-line", "children": leaf(l)})).collect::<Vec<_>>(),
            }),
            BlockKind::Unknown { raw, .. } => serde_json::from_str(raw).unwrap_or(Value::Null),
            other => {
                if let BlockKind::PanelGrid { section, .. } = other {
                    groups.push(json!({"name": section.name, "panels": section.panels.len()}));
                }
                json!({"type": "cairn-block", "cairn": other, "children": leaf("")})
            }
        })
        .collect();
    json!({"version": 5, "panelGroups": groups, "blocks": blocks, "width": "readable"})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_blocks_convert_and_unknown_ones_are_kept() {
        let spec = json!({"blocks": [
            {"type": "heading", "level": 2, "children": [{"text": "Intro"}]},
            {"type": "paragraph", "children": [{"text": "Hello "}, {"text": "world", "bold": true}]},
            {"type": "code-block", "language": "python", "children": [
                {"type": "code-line", "children": [{"text": "a = 1"}]},
                {"type": "code-line", "children": [{"text": "b = 2"}]}]},
            {"type": "weave-panel", "config": {"x": 1}},
        ]});
        let doc = doc_from_spec("T", "", &spec);
        assert_eq!(
            doc.blocks[0].kind,
            BlockKind::Heading {
                level: 2,
                text: "Intro".into()
            }
        );
        assert_eq!(
            doc.blocks[1].kind,
            BlockKind::Markdown {
                text: "Hello world".into()
            }
        );
        assert_eq!(
            doc.blocks[2].kind,
            BlockKind::Code {
                language: "python".into(),
                text: "a = 1\nb = 2".into()
            }
        );
        match &doc.blocks[3].kind {
            BlockKind::Unknown { label, raw } => {
                assert_eq!(label, "weave-panel");
                assert_eq!(
                    serde_json::from_str::<Value>(raw).unwrap_or_default(),
                    spec["blocks"][3]
                );
            }
            other => panic!("{other:?}"),
        }
        // And back: the unknown block goes out as it came.
        let again = spec_from_doc(&doc);
        assert_eq!(again["blocks"][3], spec["blocks"][3]);
        assert_eq!(doc_from_spec("T", "", &again).blocks, doc.blocks);
    }
}
