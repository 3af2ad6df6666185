use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::artifacts::get_artifact_diff;
use crate::components::error_view::ErrorView;
use crate::logic::artifacts::FileEntry;
use crate::logic::format;
use crate::model::{ArtifactVersion, DiffLine, VersionDiff};

/// The Diff tab: pick another version of the collection (a plain form, so it works
/// without JavaScript) and see the files added, removed and changed, with line diffs
/// of small text files.
#[component]
pub fn VersionDiffView(
    /// The version compared against another.
    version: ArtifactVersion,
) -> impl IntoView {
    let query = use_query_map();
    let others = version.other_versions.clone();
    let default_other = others
        .iter()
        .copied()
        .find(|i| *i < version.row.index)
        .or_else(|| others.first().copied());
    let other = Memo::new(move |_| {
        query
            .with(|q| q.get("other").filter(|o| !o.is_empty()))
            .or_else(|| default_other.map(|i| format!("v{i}")))
    });
    let r = version.version_ref();
    let diff = Resource::new(
        {
            let r = r.clone();
            move || (r.clone(), other.get())
        },
        |(r, o)| async move {
            match o {
                Some(o) => get_artifact_diff(r, o).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let action = r.href();
    view! {
        <section class="card" aria-labelledby="diff-heading">
            <h2 id="diff-heading">"Compare with another version"</h2>
            {if others.is_empty() {
                view! { <p class="empty">"This is the collection's only version: nothing to compare with."</p> }.into_any()
            } else {
                view! {
                    <form method="get" action=action class="diff-form">
                        <input type="hidden" name="tab" value="diff" />
                        <label class="inline-label">
                            {format!("{} compared with ", version.row.name())}
                            <select name="other" aria-label="Version to compare with">
                                {others
                                    .iter()
                                    .map(|i| {
                                        let name = format!("v{i}");
                                        let selected = other.get_untracked().as_deref() == Some(name.as_str());
                                        view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                                    })
                                    .collect_view()}
                            </select>
                        </label>
                        <button type="submit" class="small">"Compare"</button>
                    </form>
                }
                .into_any()
            }}
            <Transition fallback=|| view! { <p class="loading">"Comparing…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                    {move || Suspend::new(async move {
                        let d = diff.await?;
                        Ok::<_, crate::api::AppError>(d.map(|d| view! { <DiffBody diff=d /> }))
                    })}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

fn file_rows(files: &[FileEntry], class: &'static str, sign: &'static str) -> impl IntoView {
    files
        .iter()
        .map(|f| {
            view! {
                <tr class=class>
                    <td class="mono">{sign}" "{f.path.clone()}</td>
                    <td class="num">{format::bytes(f.size.max(0) as u64)}</td>
                </tr>
            }
        })
        .collect_view()
}

#[component]
fn DiffBody(diff: VersionDiff) -> impl IntoView {
    let d = diff;
    let summary = format!(
        "From v{} to v{}: {} added, {} removed, {} changed, {} unchanged",
        d.from,
        d.to,
        d.added.len(),
        d.removed.len(),
        d.changed.len(),
        d.unchanged
    );
    let changed: Vec<FileEntry> = d.changed.iter().map(|(_, b)| b.clone()).collect();
    let texts = d
        .text
        .into_iter()
        .map(|(path, lines)| {
            view! {
                <details class="text-diff" open>
                    <summary class="mono">{path}</summary>
                    <pre>
                        {lines
                            .into_iter()
                            .map(|l| match l {
                                DiffLine::Same(t) => view! { <span class="same">"  "{t}"\n"</span> }.into_any(),
                                DiffLine::Added(t) => view! { <ins>"+ "{t}"\n"</ins> }.into_any(),
                                DiffLine::Removed(t) => view! { <del>"- "{t}"\n"</del> }.into_any(),
                            })
                            .collect_view()}
                    </pre>
                </details>
            }
        })
        .collect_view();
    view! {
        <p class="diff-summary" data-role="diff-summary">{summary}</p>
        <table class="list diff-files" aria-label="Changed files">
            <tbody>
                {file_rows(&d.added, "added", "+")}
                {file_rows(&d.removed, "removed", "−")}
                {file_rows(&changed, "changed", "~")}
            </tbody>
        </table>
        {texts}
    }
}
