use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::artifacts::{get_artifact_files, get_artifact_preview};
use crate::components::error_view::ErrorView;
use crate::logic::format;
use crate::logic::url::encode_segment;
use crate::model::{FilePreview, FilesPage, VersionRef, FILES_PER_PAGE};

/// The Files tab: one folder of the version at a time (folders with their totals,
/// then files, paged), a preview of the chosen file, and downloads of a file, the
/// folder or the whole version as a zip. Folder, page and file are in the URL.
#[component]
pub fn FileBrowser(
    /// The version whose files are shown.
    version: VersionRef,
) -> impl IntoView {
    let query = use_query_map();
    let folder = Memo::new(move |_| query.with(|q| q.get("folder").unwrap_or_default()));
    let file = Memo::new(move |_| query.with(|q| q.get("file").filter(|f| !f.is_empty())));
    let page = Memo::new(move |_| {
        query.with(|q| {
            q.get("page")
                .and_then(|p| p.parse::<u64>().ok())
                .unwrap_or(1)
                .max(1)
                - 1
        })
    });
    let listing = Resource::new(
        {
            let v = version.clone();
            move || (v.clone(), folder.get(), page.get())
        },
        |(v, f, p)| get_artifact_files(v, f, p * FILES_PER_PAGE),
    );
    let preview = Resource::new(
        {
            let v = version.clone();
            move || (v.clone(), file.get())
        },
        |(v, f)| async move {
            match f {
                Some(path) => get_artifact_preview(v, path.clone())
                    .await
                    .map(|p| Some((path, p))),
                None => Ok(None),
            }
        },
    );
    let v2 = version.clone();
    view! {
        <section class="card" aria-labelledby="files-heading">
            <div class="heading-row">
                <h2 id="files-heading">"Files"</h2>
                <a class="button-link" href=version.zip_href("") download="">"Download all (zip)"</a>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading files…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                    {
                        let v = version.clone();
                        move || {
                            let v = v.clone();
                            Suspend::new(async move {
                                let l = listing.await?;
                                Ok::<_, crate::api::AppError>(view! { <Listing version=v listing=l /> })
                            })
                        }
                    }
                </ErrorBoundary>
            </Transition>
        </section>
        <Transition fallback=|| view! { <p class="loading">"Loading preview…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {
                    let v = v2.clone();
                    move || {
                        let v = v.clone();
                        Suspend::new(async move {
                            let p = preview.await?;
                            Ok::<_, crate::api::AppError>(p.map(|(path, p)| view! { <Preview version=v path preview=p /> }))
                        })
                    }
                }
            </ErrorBoundary>
        </Transition>
    }
}

/// The Files tab's URL for a folder, page and file.
fn files_href(version: &VersionRef, folder: &str, page: u64, file: Option<&str>) -> String {
    let mut q = vec!["tab=files".to_owned()];
    if !folder.is_empty() {
        q.push(format!("folder={}", encode_segment(folder)));
    }
    if page > 0 {
        q.push(format!("page={}", page + 1));
    }
    if let Some(f) = file {
        q.push(format!("file={}", encode_segment(f)));
    }
    format!("{}?{}", version.href(), q.join("&"))
}

#[component]
fn Listing(version: VersionRef, listing: FilesPage) -> impl IntoView {
    let l = listing;
    // Breadcrumbs: the top, then each folder on the way down.
    let mut crumbs = vec![("/".to_owned(), String::new())];
    let mut acc = String::new();
    for part in l
        .prefix
        .trim_end_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
    {
        acc.push_str(part);
        acc.push('/');
        crumbs.push((part.to_owned(), acc.clone()));
    }
    let last = crumbs.len() - 1;
    let crumbs = crumbs
        .into_iter()
        .enumerate()
        .map(|(i, (name, path))| {
            if i == last {
                view! { <span aria-current="location">{name}</span> }.into_any()
            } else {
                view! { <a href=files_href(&version, &path, 0, None)>{name}</a>" › " }.into_any()
            }
        })
        .collect_view();
    let page = l.offset / FILES_PER_PAGE;
    let pages = l.total.div_ceil(FILES_PER_PAGE).max(1);
    let folders = l
        .folders
        .iter()
        .map(|f| {
            let path = format!("{}{}/", l.prefix, f.name);
            view! {
                <tr class="folder">
                    <td><a href=files_href(&version, &path, 0, None) class="folder-link">{f.name.clone()}"/"</a></td>
                    <td class="num">{format::bytes(f.size.max(0) as u64)}</td>
                    <td class="muted">{format::count(f.files, "file")}</td>
                    <td><a href=version.zip_href(&path) download="">"zip"</a></td>
                </tr>
            }
        })
        .collect_view();
    let files = l
        .files
        .iter()
        .map(|f| {
            let name = f.path.rsplit('/').next().unwrap_or(&f.path).to_owned();
            view! {
                <tr class="file">
                    <td><a href=files_href(&version, &l.prefix, page, Some(&f.path))>{name}</a></td>
                    <td class="num">{format::bytes(f.size.max(0) as u64)}</td>
                    <td class="mono muted digest" title="MD5 (base64)">{f.digest.clone()}</td>
                    <td><a href=version.file_href(&f.path) download="">"download"</a></td>
                </tr>
            }
        })
        .collect_view();
    let pager = (pages > 1).then(|| view! {
        <nav class="pager" aria-label="File pages">
            {(page > 0).then(|| view! { <a href=files_href(&version, &l.prefix, page - 1, None) rel="prev">"← Previous"</a> })}
            <span class="muted">{format!("page {} of {pages} ({} entries)", page + 1, l.total)}</span>
            {(page + 1 < pages).then(|| view! { <a href=files_href(&version, &l.prefix, page + 1, None) rel="next">"Next →"</a> })}
        </nav>
    });
    let folder_zip = (!l.prefix.is_empty()).then(|| {
        view! {
            <a href=version.zip_href(&l.prefix) download="">"Download this folder (zip)"</a>
        }
    });
    view! {
        <p class="crumbs file-crumbs">{crumbs}" "{folder_zip}</p>
        {if l.total == 0 {
            view! { <p class="empty">"This version has no files."</p> }.into_any()
        } else {
            view! {
                <table class="list files" aria-label="Files">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col" class="num">"Size"</th>
                            <th scope="col">"Digest"</th>
                            <th scope="col"><span class="visually-hidden">"Download"</span></th>
                        </tr>
                    </thead>
                    <tbody>{folders}{files}</tbody>
                </table>
            }
            .into_any()
        }}
        {pager}
    }
}

#[component]
fn Preview(version: VersionRef, path: String, preview: FilePreview) -> impl IntoView {
    let url = version.file_href(&path);
    let body = match preview {
        FilePreview::Text { text, truncated } => view! {
            <pre class="preview-text">{text}</pre>
            {truncated.then(|| view! { <p class="muted">"Only the start is shown; download the file for all of it."</p> })}
        }
        .into_any(),
        FilePreview::Table { header, rows, total_rows } => {
            let shown = rows.len();
            view! {
                <div class="table-scroll">
                    <table class="list preview-table" aria-label="Table preview">
                        <thead><tr>{header.into_iter().map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
                        <tbody>
                            {rows
                                .into_iter()
                                .map(|r| view! { <tr>{r.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr> })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>
                <p class="muted">{format!("{shown} of {total_rows} rows shown")}</p>
            }
            .into_any()
        }
        FilePreview::Image => view! { <img class="preview-image" src=url.clone() alt=path.clone() /> }.into_any(),
        FilePreview::Binary => view! { <p class="empty">"No preview for this kind of file."</p> }.into_any(),
    };
    view! {
        <section class="card" aria-labelledby="preview-heading">
            <div class="heading-row">
                <h2 id="preview-heading" class="mono">{path.clone()}</h2>
                <a class="button-link" href=url download="">"Download"</a>
            </div>
            {body}
        </section>
    }
}
