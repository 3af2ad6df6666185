//! The report editor: a title, a description and a list of blocks. Blocks are
//! inserted from a "+" menu between blocks or by typing `/` in an empty text
//! block, reordered by dragging their handle or with Alt+↑/↓, deleted with undo.
//! Every change autosaves the draft (half a second after the last one) with the
//! version it started from; when someone else saved in between, the server refuses
//! and the editor says so and stops saving, so nobody's work is overwritten.

use leptos::prelude::*;

use super::grid_editor::GridEditor;
use crate::api::reports::{edit_report, get_report_draft};
use crate::components::error_view::ErrorView;
use crate::model::{
    report_href, Block, BlockKind, CalloutTone, ReportDoc, ReportDraft, ReportEdit, ReportRef,
    RunSet, Section,
};

/// Most undo steps kept.
const UNDO_STEPS: usize = 100;

/// Where the draft stands.
#[derive(Clone, Debug, PartialEq)]
enum SaveState {
    Saved,
    Pending,
    Saving,
    /// Someone else saved: the message, and saving stops.
    Conflict(String),
    Failed(String),
}

/// The editor's shared state (all signals: `Copy`).
#[derive(Clone, Copy)]
pub(crate) struct EditorCtx {
    pub doc: RwSignal<ReportDoc>,
    version: RwSignal<i64>,
    state: RwSignal<SaveState>,
    generation: RwSignal<u64>,
    saving: RwSignal<bool>,
    resave: RwSignal<bool>,
    undo: StoredValue<Vec<ReportDoc>>,
    /// The block and time of the last undo step, so typing makes one step per
    /// block and pause rather than one per key.
    last_step: StoredValue<(u64, f64)>,
    /// A deleted block's title, while its "Undo" is offered.
    deleted: RwSignal<Option<String>>,
    pub report: StoredValue<ReportRef>,
    pub metric_keys: StoredValue<Vec<String>>,
    pub columns: StoredValue<Vec<String>>,
    /// Bumped when the document is replaced (undo, discard), so fields that keep
    /// their own text while typing show the document again.
    pub epoch: RwSignal<u64>,
    /// The block being dragged.
    dragging: RwSignal<Option<u64>>,
}

fn now() -> f64 {
    crate::pages::now_ms() as f64
}

impl EditorCtx {
    /// Change the document (one undo step per block and pause) and save soon.
    pub fn edit(&self, block: u64, f: impl FnOnce(&mut ReportDoc)) {
        let (last_block, at) = self.last_step.get_value();
        if last_block != block || now() - at > 1500.0 {
            let before = self.doc.get_untracked();
            self.undo.update_value(|u| {
                u.push(before);
                if u.len() > UNDO_STEPS {
                    u.remove(0);
                }
            });
        }
        self.last_step.set_value((block, now()));
        self.doc.update(f);
        self.schedule();
    }

    /// A structural change (insert, move, delete): always its own undo step.
    pub fn change(&self, f: impl FnOnce(&mut ReportDoc)) {
        self.last_step.set_value((u64::MAX, 0.0));
        self.edit(u64::MAX - 1, f);
        self.last_step.set_value((u64::MAX, 0.0));
    }

    fn undo(&self) {
        let Some(prev) = self.undo.try_update_value(|u| u.pop()).flatten() else {
            return;
        };
        self.last_step.set_value((u64::MAX, 0.0));
        self.doc.set(prev);
        self.epoch.update(|e| *e += 1);
        self.deleted.set(None);
        self.schedule();
    }

    fn schedule(&self) {
        if matches!(self.state.get_untracked(), SaveState::Conflict(_)) {
            return;
        }
        self.state.set(SaveState::Pending);
        let generation = self.generation.get_untracked() + 1;
        self.generation.set(generation);
        let ctx = *self;
        set_timeout(
            move || {
                if ctx.generation.try_get_untracked() == Some(generation) {
                    ctx.save_now(None);
                }
            },
            std::time::Duration::from_millis(500),
        );
    }

    /// Save now (one save at a time; one asked for meanwhile follows), then run
    /// `then` once the draft on the server is this one.
    fn save_now(&self, then: Option<Box<dyn FnOnce(i64)>>) {
        let ctx = *self;
        if ctx.saving.try_get_untracked() != Some(false) {
            ctx.resave.try_set(true);
            return;
        }
        if matches!(ctx.state.get_untracked(), SaveState::Conflict(_)) {
            return;
        }
        ctx.saving.set(true);
        ctx.state.set(SaveState::Saving);
        let doc = ctx.doc.get_untracked();
        let base_version = ctx.version.get_untracked();
        let report = ctx.report.get_value();
        leptos::task::spawn_local(async move {
            let result = edit_report(report, ReportEdit::SaveDraft { doc, base_version }).await;
            ctx.saving.try_set(false);
            match result {
                Ok(done) => {
                    let v = done.draft_version.unwrap_or(base_version);
                    ctx.version.try_set(v);
                    if ctx.resave.try_get_untracked() == Some(true) {
                        ctx.resave.try_set(false);
                        ctx.save_now(then);
                    } else {
                        ctx.state.try_set(SaveState::Saved);
                        if let Some(f) = then {
                            f(v);
                        }
                    }
                }
                Err(crate::api::AppError::Conflict(m)) => {
                    ctx.state.try_set(SaveState::Conflict(m));
                }
                Err(e) => {
                    ctx.state.try_set(SaveState::Failed(e.to_string()));
                }
            }
        });
    }

    /// A block id not used in the document.
    pub fn fresh_id(&self) -> u64 {
        self.doc.with_untracked(|d| {
            let mut top = d.blocks.iter().map(|b| b.id).max().unwrap_or(0);
            // Panel ids of grids come from the same counter, so comments and
            // drag targets never mix them up.
            for b in &d.blocks {
                if let BlockKind::PanelGrid { section, .. } = &b.kind {
                    top = top.max(section.id);
                    top = top.max(section.panels.iter().map(|p| p.id).max().unwrap_or(0));
                }
            }
            top + 1
        })
    }

    fn insert(&self, at: usize, kind: BlockKind) -> u64 {
        let id = self.fresh_id();
        self.change(|d| {
            let at = at.min(d.blocks.len());
            d.blocks.insert(at, Block { id, kind });
        });
        id
    }

    fn replace_kind(&self, id: u64, kind: BlockKind) {
        self.change(|d| {
            if let Some(b) = d.blocks.iter_mut().find(|b| b.id == id) {
                b.kind = kind;
            }
        });
    }

    fn remove(&self, id: u64) {
        let label = self.doc.with_untracked(|d| {
            d.blocks
                .iter()
                .find(|b| b.id == id)
                .map(|b| kind_name(&b.kind).to_owned())
        });
        self.change(|d| d.blocks.retain(|b| b.id != id));
        self.deleted.set(label);
    }

    /// Move block `id` by `delta` places (keyboard and buttons).
    fn shift(&self, id: u64, delta: i64) {
        self.change(|d| {
            let Some(i) = d.blocks.iter().position(|b| b.id == id) else {
                return;
            };
            let j = (i as i64 + delta).clamp(0, d.blocks.len() as i64 - 1) as usize;
            let b = d.blocks.remove(i);
            d.blocks.insert(j, b);
        });
    }

    /// Put block `id` where block `before` is (drag and drop).
    fn move_to(&self, id: u64, before: u64) {
        if id == before {
            return;
        }
        self.change(|d| {
            let Some(i) = d.blocks.iter().position(|b| b.id == id) else {
                return;
            };
            let Some(j) = d.blocks.iter().position(|b| b.id == before) else {
                return;
            };
            let b = d.blocks.remove(i);
            d.blocks.insert(j.min(d.blocks.len()), b);
        });
    }
}

pub(crate) fn use_editor() -> EditorCtx {
    expect_context::<EditorCtx>()
}

/// Read the chosen file, store it in the report, and point the image block at it.
fn upload_image(
    ev: leptos::ev::Event,
    id: u64,
    upd: impl Fn(Box<dyn FnOnce(&mut BlockKind)>) + Copy + 'static,
    error: RwSignal<Option<String>>,
) {
    let _ = id;
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(file) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0))
        else {
            return;
        };
        let ctx = use_editor();
        let report = ctx.report.get_value();
        error.set(None);
        leptos::task::spawn_local(async move {
            let data = match data_url(&file).await {
                Ok(d) => d,
                Err(e) => {
                    error.try_set(Some(format!("Could not read the file: {e}")));
                    return;
                }
            };
            match crate::api::reports::upload_report_image(report, data).await {
                Ok(path) => {
                    upd(Box::new(move |k| {
                        if let BlockKind::Image { src, .. } = k {
                            *src = path;
                        }
                    }));
                    // The path field shows the document again.
                    ctx.epoch.update(|e| *e += 1);
                }
                Err(e) => {
                    error.try_set(Some(e.to_string()));
                }
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, upd, error);
}

/// A file's bytes as a base64 `data:` URL (what the upload sends).
#[cfg(feature = "hydrate")]
async fn data_url(file: &web_sys::File) -> Result<String, String> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|e| format!("{e:?}"))?;
    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
    // `btoa` takes a string of byte values.
    let latin1: String = bytes.iter().map(|&b| char::from(b)).collect();
    let b64 = web_sys::window()
        .ok_or("no window")?
        .btoa(&latin1)
        .map_err(|e| format!("{e:?}"))?;
    Ok(format!("data:{};base64,{b64}", file.type_()))
}

/// What each kind is called in menus.
pub(crate) fn kind_name(kind: &BlockKind) -> &'static str {
    match kind {
        BlockKind::Heading { level: 1, .. } => "Heading 1",
        BlockKind::Heading { level: 2, .. } => "Heading 2",
        BlockKind::Heading { .. } => "Heading 3",
        BlockKind::Markdown { .. } => "Text",
        BlockKind::Code { .. } => "Code",
        BlockKind::Math { .. } => "Math (LaTeX)",
        BlockKind::Image { .. } => "Image",
        BlockKind::Callout { .. } => "Callout",
        BlockKind::Rule => "Divider",
        BlockKind::TableOfContents => "Table of contents",
        BlockKind::PanelGrid { .. } => "Panel grid",
        BlockKind::Unknown { .. } => "Other",
    }
}

/// Every kind the menus offer, new.
fn new_kinds(ctx: &EditorCtx) -> Vec<BlockKind> {
    let section_id = ctx.fresh_id() + 1;
    vec![
        BlockKind::Heading {
            level: 1,
            text: String::new(),
        },
        BlockKind::Heading {
            level: 2,
            text: String::new(),
        },
        BlockKind::Heading {
            level: 3,
            text: String::new(),
        },
        BlockKind::Markdown {
            text: String::new(),
        },
        BlockKind::Code {
            language: "python".into(),
            text: String::new(),
        },
        BlockKind::Math { tex: String::new() },
        BlockKind::Image {
            src: String::new(),
            caption: String::new(),
        },
        BlockKind::Callout {
            tone: CalloutTone::Info,
            text: String::new(),
        },
        BlockKind::Rule,
        BlockKind::TableOfContents,
        BlockKind::PanelGrid {
            run_sets: vec![RunSet {
                name: "All runs".into(),
                ..RunSet::default()
            }],
            section: Section {
                id: section_id,
                name: "Charts".into(),
                collapsed: false,
                layout: Default::default(),
                panels: Vec::new(),
            },
        },
    ]
}

/// `/{entity}/{project}/reports/{slug}--{id}/edit`.
#[component]
pub fn ReportEditPage() -> impl IntoView {
    let report = crate::pages::report_from_route();
    let draft = Resource::new(
        move || report.get(),
        |r| async move {
            match r {
                Some(r) => get_report_draft(r).await,
                None => Err(crate::api::AppError::NotFound("no such report".into())),
            }
        },
    );
    view! {
        <leptos_meta::Title text="Edit report" />
        <Transition fallback=|| view! { <p class="loading">"Loading the draft…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let d = draft.await?;
                    let r = report.get_untracked().ok_or_else(|| crate::api::AppError::NotFound("no such report".into()))?;
                    Ok::<_, crate::api::AppError>(view! { <ReportEditor draft=d report=r /> })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ReportEditor(draft: ReportDraft, report: ReportRef) -> impl IntoView {
    let ctx = EditorCtx {
        doc: RwSignal::new(draft.doc.clone()),
        version: RwSignal::new(draft.version),
        state: RwSignal::new(SaveState::Saved),
        generation: RwSignal::new(0),
        saving: RwSignal::new(false),
        resave: RwSignal::new(false),
        undo: StoredValue::new(Vec::new()),
        last_step: StoredValue::new((u64::MAX, 0.0)),
        deleted: RwSignal::new(None),
        report: StoredValue::new(report.clone()),
        metric_keys: StoredValue::new(draft.metric_keys.clone()),
        columns: StoredValue::new(draft.columns.iter().map(|c| c.id.clone()).collect()),
        epoch: RwSignal::new(0),
        dragging: RwSignal::new(None),
    };
    provide_context(ctx);
    let page = move || {
        let r = ctx.report.get_value();
        ctx.doc.with(|d| report_href(&r.project, &d.title, r.id))
    };
    let publish_error = RwSignal::new(None::<String>);
    let publish = move |_| {
        publish_error.set(None);
        let target = page();
        ctx.save_now(Some(Box::new(move |v| {
            let report = ctx.report.get_value();
            leptos::task::spawn_local(async move {
                match edit_report(report, ReportEdit::Publish { base_version: v }).await {
                    Ok(_) => super::go_to(&target),
                    Err(e) => {
                        publish_error.try_set(Some(e.to_string()));
                    }
                }
            });
        })));
    };
    let discard = move |_| {
        let report = ctx.report.get_value();
        leptos::task::spawn_local(async move {
            match edit_report(report.clone(), ReportEdit::DiscardDraft).await {
                Ok(_) => {
                    if let Ok(d) = get_report_draft(report).await {
                        ctx.doc.try_set(d.doc);
                        ctx.epoch.try_update(|e| *e += 1);
                        ctx.version.try_set(d.version);
                        ctx.state.try_set(SaveState::Saved);
                    }
                }
                Err(e) => {
                    publish_error.try_set(Some(e.to_string()));
                }
            }
        });
    };
    let published = draft.published;
    let status = move || match ctx.state.get() {
        SaveState::Saved => {
            view! { <span class="save-state" role="status">"All changes saved"</span> }.into_any()
        }
        SaveState::Pending | SaveState::Saving => {
            view! { <span class="save-state" role="status">"Saving…"</span> }.into_any()
        }
        SaveState::Failed(e) => {
            view! { <span class="error-message" role="alert">{format!("Not saved: {e}")}</span> }
                .into_any()
        }
        SaveState::Conflict(m) => view! {
            <span class="error-message conflict" role="alert">{m}" "
                <a href="" class="button small">"Reload"</a>
            </span>
        }
        .into_any(),
    };
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        // Ctrl/Cmd+Z outside text fields undoes the last change to the blocks.
        if (ev.ctrl_key() || ev.meta_key()) && ev.key() == "z" && !in_text_field(&ev) {
            ev.prevent_default();
            ctx.undo();
        }
    };
    view! {
        <div class="report-editor" on:keydown=keydown>
            <div class="editor-bar" role="toolbar" aria-label="Editor">
                <a href=move || format!("{}/reports", ctx.report.get_value().project.href())>"← Reports"</a>
                {status}
                <button type="button" class="secondary" on:click=move |_| ctx.undo()
                    title="Undo (Ctrl+Z)">"Undo"</button>
                <a class="button secondary" href=move || format!("{}?draft=1", page()) target="_blank">"Preview"</a>
                {published.is_some().then(|| view! { <button type="button" class="secondary" on:click=discard>"Discard draft"</button> })}
                <button type="button" on:click=publish>{if published.is_some() { "Publish changes" } else { "Publish" }}</button>
            </div>
            {move || publish_error.get().map(|e| view! { <p class="error-message" role="alert">{e}</p> })}
            {move || ctx.deleted.get().map(|what| view! {
                <p class="toast" role="status">{format!("{what} deleted. ")}
                    <button type="button" class="small" on:click=move |_| ctx.undo()>"Undo"</button>
                </p>
            })}
            <input class="editor-title" type="text" aria-label="Report title" placeholder="Title" maxlength="200"
                prop:value=move || ctx.doc.with(|d| d.title.clone())
                on:input=move |ev| { let v = event_target_value(&ev); ctx.edit(0, move |d| d.title = v); } />
            <textarea class="editor-description" rows="2" aria-label="Description" placeholder="Description (optional)"
                prop:value=move || ctx.doc.with(|d| d.description.clone())
                on:input=move |ev| { let v = event_target_value(&ev); ctx.edit(0, move |d| d.description = v); }></textarea>
            <InsertMenu at=0 />
            <ol class="editor-blocks" aria-label="Blocks">
                <For
                    each=move || ctx.doc.with(|d| d.blocks.iter().map(|b| b.id).collect::<Vec<_>>())
                    key=|id| *id
                    children=move |id| view! { <BlockEditor id /> }
                />
            </ol>
            {move || ctx.doc.with(|d| d.blocks.is_empty()).then(|| view! {
                <p class="empty">"This report is empty. Add a block with “+”, or type / in a text block."</p>
            })}
        </div>
    }
}

fn in_text_field(ev: &leptos::ev::KeyboardEvent) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        ev.target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        false
    }
}

/// A "+" that opens the list of block kinds, with a filter; inserts at `at`.
#[component]
fn InsertMenu(at: usize) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <div class="insert-point">
            <button type="button" class="small insert" aria-expanded=move || open.get().to_string()
                aria-label="Insert a block here" title="Insert a block here"
                on:click=move |_| open.update(|o| *o = !*o)>"+"</button>
            {move || open.get().then(|| view! { <KindMenu filter=String::new() on_pick=Callback::new(move |k: BlockKind| {
                let ctx = use_editor();
                let _ = ctx.insert(at, k);
                open.set(false);
            }) on_close=Callback::new(move |_| open.set(false)) /> })}
        </div>
    }
}

/// The list of kinds, filtered by what was typed; Enter picks the first match,
/// Escape closes.
#[component]
fn KindMenu(filter: String, on_pick: Callback<BlockKind>, on_close: Callback<()>) -> impl IntoView {
    let ctx = use_editor();
    let query = RwSignal::new(filter);
    let matches = move || {
        let q = query.get().to_lowercase();
        new_kinds(&ctx)
            .into_iter()
            .filter(|k| q.is_empty() || kind_name(k).to_lowercase().contains(&q))
            .collect::<Vec<_>>()
    };
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    view! {
        <div class="kind-menu card" role="menu" aria-label="Block kinds">
            <input node_ref=input type="text" placeholder="Filter kinds" aria-label="Filter block kinds"
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" {
                        ev.prevent_default();
                        if let Some(k) = matches().into_iter().next() { on_pick.run(k); }
                    } else if ev.key() == "Escape" {
                        on_close.run(());
                    }
                } />
            <ul>
                {move || matches().into_iter().map(|k| {
                    let name = kind_name(&k);
                    view! { <li><button type="button" role="menuitem" class="small secondary" on:click=move |_| on_pick.run(k.clone())>{name}</button></li> }
                }).collect_view()}
            </ul>
        </div>
    }
}

/// One block: its handle (drag, Alt+↑/↓), its fields, move and delete buttons, and a
/// "+" after it.
#[component]
fn BlockEditor(id: u64) -> impl IntoView {
    let ctx = use_editor();
    let kind = Memo::new(move |_| {
        ctx.doc
            .with(|d| d.blocks.iter().find(|b| b.id == id).map(|b| b.kind.clone()))
    });
    let index = Memo::new(move |_| {
        ctx.doc
            .with(|d| d.blocks.iter().position(|b| b.id == id).unwrap_or(0))
    });
    let dragging = ctx.dragging;
    let over = RwSignal::new(false);
    let slash = RwSignal::new(None::<String>);
    let upload_error = RwSignal::new(None::<String>);
    // Change this block's fields in place (reading what they hold now).
    let upd = move |f: Box<dyn FnOnce(&mut BlockKind)>| {
        ctx.edit(id, move |d| {
            if let Some(b) = d.blocks.iter_mut().find(|b| b.id == id) {
                f(&mut b.kind);
            }
        })
    };
    let fields = move || {
        let Some(k) = kind.get() else {
            return ().into_any();
        };
        match k {
            BlockKind::Heading { level, text } => view! {
                <div class="row">
                    <select aria-label="Heading level" on:change=move |ev| {
                        let l: u8 = event_target_value(&ev).parse().unwrap_or(1);
                        upd(Box::new(move |k| if let BlockKind::Heading { level, .. } = k { *level = l }));
                    }>
                        {[1u8, 2, 3].into_iter().map(|l| view! { <option value=l.to_string() selected=l == level>{format!("H{l}")}</option> }).collect_view()}
                    </select>
                    <input type="text" class="heading-input" aria-label="Heading" placeholder="Heading" prop:value=text
                        on:input=move |ev| { let v = event_target_value(&ev); upd(Box::new(move |k| if let BlockKind::Heading { text, .. } = k { *text = v })); } />
                </div>
            }.into_any(),
            BlockKind::Markdown { text } => view! {
                <textarea rows="4" aria-label="Text (markdown)" placeholder="Write markdown, or type / for a block kind"
                    prop:value=text
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        // "/" then letters, nothing else: the kinds menu, filtered.
                        let menu = v.strip_prefix('/').filter(|rest| !rest.contains(char::is_whitespace)).map(str::to_owned);
                        slash.set(menu);
                        upd(Box::new(move |k| if let BlockKind::Markdown { text } = k { *text = v }));
                    }></textarea>
            }.into_any(),
            BlockKind::Code { language, text } => view! {
                <input type="text" class="short" aria-label="Language" placeholder="language" prop:value=language
                    on:input=move |ev| { let v = event_target_value(&ev); upd(Box::new(move |k| if let BlockKind::Code { language, .. } = k { *language = v })); } />
                <textarea class="code" rows="6" aria-label="Code" spellcheck="false" prop:value=text
                    on:input=move |ev| { let v = event_target_value(&ev); upd(Box::new(move |k| if let BlockKind::Code { text, .. } = k { *text = v })); }></textarea>
            }.into_any(),
            BlockKind::Math { tex } => view! {
                <textarea class="code" rows="3" aria-label="LaTeX formula" placeholder="E = mc^2" spellcheck="false" prop:value=tex
                    on:input=move |ev| { let v = event_target_value(&ev); upd(Box::new(move |k| if let BlockKind::Math { tex } = k { *tex = v })); }></textarea>
                <p class="muted">"Rendered as MathML when the report is read (see Preview)."</p>
            }.into_any(),
            BlockKind::Image { src, caption } => view! {
                <input type="text" aria-label="Image path" placeholder="/entity/project/runs/run-id/files/media/plot.png" prop:value=src
                    on:input=move |ev| { let v = event_target_value(&ev); upd(Box::new(move |k| if let BlockKind::Image { src, .. } = k { *src = v })); } />
                <input type="text" aria-label="Caption" placeholder="Caption" prop:value=caption
                    on:input=move |ev| { let v = event_target_value(&ev); upd(Box::new(move |k| if let BlockKind::Image { caption, .. } = k { *caption = v })); } />
                <label class="upload">"Upload "
                    <input type="file" accept="image/png,image/jpeg,image/gif,image/webp" aria-label="Upload an image"
                        on:change=move |ev| upload_image(ev, id, upd, upload_error) />
                </label>
                {move || upload_error.get().map(|e| view! { <p class="error-message" role="alert">{e}</p> })}
                <p class="muted">"Or a file on this server: a run's file (its Files list links them) or an artifact's file. Uploads up to 1.4 MB."</p>
            }.into_any(),
            BlockKind::Callout { tone, text } => view! {
                <select aria-label="Callout tone" on:change=move |ev| {
                    let t = match event_target_value(&ev).as_str() { "warning" => CalloutTone::Warning, "success" => CalloutTone::Success, _ => CalloutTone::Info };
                    upd(Box::new(move |k| if let BlockKind::Callout { tone, .. } = k { *tone = t }));
                }>
                    <option value="info" selected=tone == CalloutTone::Info>"Note"</option>
                    <option value="warning" selected=tone == CalloutTone::Warning>"Warning"</option>
                    <option value="success" selected=tone == CalloutTone::Success>"Success"</option>
                </select>
                <textarea rows="2" aria-label="Callout text" prop:value=text
                    on:input=move |ev| { let v = event_target_value(&ev); upd(Box::new(move |k| if let BlockKind::Callout { text, .. } = k { *text = v })); }></textarea>
            }.into_any(),
            BlockKind::Rule => view! { <hr /> }.into_any(),
            BlockKind::TableOfContents => view! { <p class="muted">"Lists the report's headings, linked."</p> }.into_any(),
            BlockKind::PanelGrid { .. } => view! { <GridEditor id /> }.into_any(),
            BlockKind::Unknown { label, .. } => view! { <p class="muted">{format!("A {label} block from another client: kept as it is.")}</p> }.into_any(),
        }
    };
    // The grid re-renders only when the kind of block changes, not on every key.
    let shape = Memo::new(move |_| kind.with(|k| k.as_ref().map(std::mem::discriminant)));
    let fields = move || {
        let _ = shape.get();
        ctx.epoch.track();
        untrack(fields)
    };
    let label = move || kind.with(|k| k.as_ref().map(kind_name).unwrap_or(""));
    view! {
        <li class="editor-block" class:drop-target=move || over.get() data-block=id.to_string()
            on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); over.set(true); }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                over.set(false);
                if let Some(from) = dragging.get_untracked() { ctx.move_to(from, id); }
                dragging.set(None);
            }>
            <div class="block-bar">
                <span class="handle" draggable="true" tabindex="0" role="button"
                    aria-label=move || format!("Move {} (drag, or Alt+Up / Alt+Down)", label())
                    title="Drag to move; Alt+↑/↓ with the keyboard"
                    on:dragstart=move |ev: leptos::ev::DragEvent| {
                        crate::components::workspace::set_drag_data(&ev, "report-block");
                        dragging.set(Some(id));
                    }
                    on:dragend=move |_| dragging.set(None)
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.alt_key() && ev.key() == "ArrowUp" { ev.prevent_default(); ctx.shift(id, -1); }
                        if ev.alt_key() && ev.key() == "ArrowDown" { ev.prevent_default(); ctx.shift(id, 1); }
                    }>"⠿"</span>
                <span class="block-kind">{label}</span>
                <button type="button" class="small secondary" aria-label="Move up" title="Move up" disabled=move || index.get() == 0 on:click=move |_| ctx.shift(id, -1)>"↑"</button>
                <button type="button" class="small secondary" aria-label="Move down" title="Move down" on:click=move |_| ctx.shift(id, 1)>"↓"</button>
                <button type="button" class="small secondary danger" aria-label=move || format!("Delete {}", label()) on:click=move |_| ctx.remove(id)>"Delete"</button>
            </div>
            <div class="block-fields">{fields}</div>
            {move || slash.get().map(|f| view! {
                <KindMenu filter=f on_pick=Callback::new(move |k: BlockKind| { slash.set(None); ctx.replace_kind(id, k); })
                    on_close=Callback::new(move |_| slash.set(None)) />
            })}
            {move || view! { <InsertMenu at=index.get() + 1 /> }}
        </li>
    }
}
