use leptos::prelude::*;

use crate::api::artifacts::edit_artifact;
use crate::components::submit::{Submit, SubmitStatus};
use crate::logic::format;
use crate::model::{collection_href, ArtifactEdit, ArtifactVersion};

/// The Overview tab: a version's facts, and for project writers its aliases, tags,
/// descriptions, time to live and deletion. Every change is one call; the page then
/// reads the version again.
#[component]
pub fn VersionOverview(
    /// The version shown.
    version: ArtifactVersion,
    /// Bumped after a change so the page reloads the version.
    reload: RwSignal<u32>,
) -> impl IntoView {
    let v = version;
    let now = crate::pages::now_ms();
    let submit = Submit::new();
    let r = v.version_ref();
    let apply = {
        let r = r.clone();
        move |edit: ArtifactEdit, done: &'static str| {
            submit.run(edit_artifact(r.clone(), edit), move |_| {
                reload.update(|n| *n += 1);
                Some(done.to_owned())
            });
        }
    };
    let name = v.row.name();
    let own_aliases: Vec<String> = v
        .row
        .aliases
        .iter()
        .filter(|a| **a != name && *a != "latest")
        .cloned()
        .collect();
    let alias_chips = v
        .row
        .aliases
        .iter()
        .filter(|a| **a != name)
        .map(|a| {
            let removable = v.can_write && a != "latest";
            let (apply, alias) = (apply.clone(), a.clone());
            view! {
                <span class="chip alias-chip" data-alias=a.clone()>
                    {a.clone()}
                    {removable.then(|| view! {
                        <button type="button" class="chip-x" aria-label=format!("Remove alias {alias}")
                            on:click=move |_| apply(ArtifactEdit::RemoveAlias(alias.clone()), "Alias removed.")>"×"</button>
                    })}
                </span>
            }
        })
        .collect_view();
    let tag_chips = v
        .row
        .tags
        .iter()
        .map(|t| {
            let (apply, tag) = (apply.clone(), t.clone());
            view! {
                <span class="chip tag-chip">
                    {t.clone()}
                    {v.can_write.then(|| view! {
                        <button type="button" class="chip-x" aria-label=format!("Remove tag {tag}")
                            on:click=move |_| apply(ArtifactEdit::RemoveTag(tag.clone()), "Tag removed.")>"×"</button>
                    })}
                </span>
            }
        })
        .collect_view();
    let expires = v
        .expires_at
        .map(|t| format!("expires {} ({})", format::timestamp(t), format::ago(t, now)))
        .unwrap_or_else(|| "kept until deleted".into());
    let created_by = v.row.created_by.clone();
    view! {
        <section class="card" aria-labelledby="version-heading">
            <h2 id="version-heading">"Overview"</h2>
            <dl class="facts">
                <div><dt>"Name"</dt><dd data-fact="name">{v.qualified_name()}</dd></div>
                <div><dt>"Type"</dt><dd>{v.collection.type_name.clone()}</dd></div>
                <div><dt>"Digest"</dt><dd class="mono digest" data-fact="digest">{v.digest.clone()}</dd></div>
                <div><dt>"Size"</dt><dd data-fact="size">{format::bytes(v.row.size.max(0) as u64)}</dd></div>
                <div><dt>"Files"</dt><dd data-fact="files">{v.row.file_count}</dd></div>
                <div><dt>"State"</dt><dd>{v.state.clone()}</dd></div>
                <div><dt>"Created"</dt><dd title=format::timestamp(v.row.created_at)>{format::ago(v.row.created_at, now)}</dd></div>
                <div><dt>"Created by"</dt><dd data-fact="created-by">{match created_by {
                    Some(l) => view! { <a href=l.href()>{l.name.clone()}</a> }.into_any(),
                    None => view! { <span class="muted">"–"</span> }.into_any(),
                }}</dd></div>
                <div><dt>"Time to live"</dt><dd data-fact="ttl">{expires}</dd></div>
            </dl>
        </section>
        <section class="card" aria-labelledby="aliases-heading">
            <h2 id="aliases-heading">"Aliases and tags"</h2>
            <p class="aliases" aria-label="Aliases">{alias_chips}</p>
            {v.can_write.then(|| view! { <AddField label="Add alias" placeholder="e.g. best" apply=apply.clone() make=ArtifactEdit::AddAlias done="Alias set." /> })}
            <p class="tags" aria-label="Tags">{tag_chips}</p>
            {v.can_write.then(|| view! { <AddField label="Add tag" placeholder="e.g. baseline" apply=apply.clone() make=ArtifactEdit::AddTag done="Tag added." /> })}
            <SubmitStatus submit />
        </section>
        <section class="card" aria-labelledby="desc-heading">
            <h2 id="desc-heading">"Descriptions"</h2>
            <TextEdit label="This version" text=v.description.clone().unwrap_or_default() can_write=v.can_write apply=apply.clone() make=|t| ArtifactEdit::Description(Some(t)) />
            <TextEdit label="The collection" text=v.collection.description.clone().unwrap_or_default() can_write=v.can_write apply=apply.clone() make=|t| ArtifactEdit::CollectionDescription(Some(t)) />
        </section>
        {v.can_write.then(|| {
            let ttl_days = v.row.ttl_seconds.map(|s| (s / 86_400).to_string()).unwrap_or_default();
            let days = RwSignal::new(ttl_days);
            let apply_ttl = apply.clone();
            let apply_clear = apply.clone();
            let delete = DeleteControls { version: v.clone(), own_aliases: own_aliases.clone() };
            view! {
                <section class="card" aria-labelledby="ttl-heading">
                    <h2 id="ttl-heading">"Time to live"</h2>
                    {if v.ttl_allowed {
                        view! {
                            <form class="row" aria-label="Time to live" on:submit=move |ev| {
                                ev.prevent_default();
                                match days.get_untracked().trim().parse::<i64>() {
                                    Ok(d) if d > 0 => apply_ttl(ArtifactEdit::Ttl(Some(d * 86_400)), "Time to live set."),
                                    _ => submit.error.set(Some("Give the time to live as a whole number of days.".into())),
                                }
                            }>
                                <label class="inline-label">"Delete "
                                    <input type="number" min="1" class="days" aria-label="Days" prop:value=days on:input=move |ev| days.set(event_target_value(&ev)) />
                                    " days after creation"
                                </label>
                                <button type="submit" class="small">"Set"</button>
                                <button type="button" class="small" on:click=move |_| apply_clear(ArtifactEdit::Ttl(None), "Time to live cleared.")>"Clear"</button>
                            </form>
                        }.into_any()
                    } else {
                        view! { <p class="muted">{format!("Artifacts of type {} keep no time to live.", v.collection.type_name)}</p> }.into_any()
                    }}
                </section>
                {delete.view()}
            }
        })}
    }
}

/// A one-line form that adds an alias or a tag.
#[component]
fn AddField(
    label: &'static str,
    placeholder: &'static str,
    apply: impl Fn(ArtifactEdit, &'static str) + Clone + Send + Sync + 'static,
    make: fn(String) -> ArtifactEdit,
    done: &'static str,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    view! {
        <form class="row add-field" aria-label=label on:submit=move |ev| {
            ev.prevent_default();
            let t = text.get_untracked();
            if !t.trim().is_empty() {
                apply(make(t.trim().to_owned()), done);
                text.set(String::new());
            }
        }>
            <input type="text" aria-label=label placeholder=placeholder prop:value=text on:input=move |ev| text.set(event_target_value(&ev)) />
            <button type="submit" class="small">{label}</button>
        </form>
    }
}

/// A description shown, and for writers an editor for it.
#[component]
fn TextEdit(
    label: &'static str,
    text: String,
    can_write: bool,
    apply: impl Fn(ArtifactEdit, &'static str) + Clone + Send + Sync + 'static,
    make: fn(String) -> ArtifactEdit,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let value = RwSignal::new(text.clone());
    let shown = if text.trim().is_empty() {
        "No description.".to_owned()
    } else {
        text
    };
    view! {
        <h3>{label}</h3>
        <Show
            when=move || editing.get()
            fallback=move || view! {
                <p class="description">{shown.clone()}</p>
                {can_write.then(|| view! { <button type="button" class="small" on:click=move |_| editing.set(true)>{format!("Edit ({})", label.to_lowercase())}</button> })}
            }
        >
            <form class="stack" aria-label=format!("Edit the description of {}", label.to_lowercase()) on:submit={
                let apply = apply.clone();
                move |ev| {
                    ev.prevent_default();
                    apply(make(value.get_untracked()), "Description saved.");
                    editing.set(false);
                }
            }>
                <textarea rows="4" prop:value=value on:input=move |ev| value.set(event_target_value(&ev))></textarea>
                <div class="row">
                    <button type="submit" class="primary small">"Save"</button>
                    <button type="button" class="small" on:click=move |_| editing.set(false)>"Cancel"</button>
                </div>
            </form>
        </Show>
    }
}

/// Deleting the version (guarded when it has aliases) or the whole collection.
struct DeleteControls {
    version: ArtifactVersion,
    own_aliases: Vec<String>,
}

impl DeleteControls {
    fn view(self) -> impl IntoView {
        let Self {
            version,
            own_aliases,
        } = self;
        let submit = Submit::new();
        let confirming = RwSignal::new(false);
        let confirming_collection = RwSignal::new(false);
        let collection_name = version.collection.name.clone();
        let with_aliases = RwSignal::new(false);
        let r = version.version_ref();
        let back = collection_href(
            &version.project,
            &version.collection.type_name,
            &version.collection.name,
        );
        let has_aliases = !own_aliases.is_empty();
        let go_back = move |href: String| {
            #[cfg(feature = "hydrate")]
            {
                let _ = window().location().set_href(&href);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = href;
        };
        let delete_version = {
            let (r, back) = (r.clone(), back.clone());
            move |_| {
                let back = back.clone();
                submit.run(
                    edit_artifact(
                        r.clone(),
                        ArtifactEdit::Delete {
                            remove_aliases: with_aliases.get_untracked(),
                        },
                    ),
                    move |_| {
                        go_back(back);
                        Some("Deleted.".into())
                    },
                );
            }
        };
        let delete_collection = {
            let r = r.clone();
            let tab = crate::model::artifacts_href(&version.project);
            move |_| {
                let tab = tab.clone();
                submit.run(
                    edit_artifact(r.clone(), ArtifactEdit::DeleteCollection),
                    move |_| {
                        go_back(tab);
                        Some("Collection deleted.".into())
                    },
                );
            }
        };
        view! {
            <section class="card danger-zone" aria-labelledby="delete-heading">
                <h2 id="delete-heading">"Delete"</h2>
                <Show
                    when=move || confirming.get()
                    fallback=move || view! {
                        <button type="button" class="small danger" on:click=move |_| confirming.set(true)>"Delete this version…"</button>
                    }
                >
                    <div class="confirm-box" role="group" aria-label="Confirm deletion">
                        {has_aliases.then(|| view! {
                            <p>{format!("This version has the aliases {}. Clients that fetch it by these names will fail.", own_aliases.join(", "))}</p>
                            <label class="inline-label">
                                <input type="checkbox" prop:checked=with_aliases on:change=move |ev| with_aliases.set(event_target_checked(&ev)) />
                                " Remove its aliases too"
                            </label>
                        })}
                        <div class="row">
                            <button type="button" class="small danger" data-role="confirm-delete"
                                disabled=move || submit.busy.get() || (has_aliases && !with_aliases.get())
                                on:click=delete_version.clone()>"Delete version"</button>
                            <button type="button" class="small" on:click=move |_| confirming.set(false)>"Cancel"</button>
                        </div>
                    </div>
                </Show>
                <p class="muted">"Deleting the whole collection removes every version; a project admin can restore it for 30 days from the Artifacts tab."</p>
                <Show
                    when=move || confirming_collection.get()
                    fallback=move || view! {
                        <button type="button" class="small danger" on:click=move |_| confirming_collection.set(true)>"Delete the collection…"</button>
                    }
                >
                    <div class="row" role="group" aria-label="Confirm deleting the collection">
                        <button type="button" class="small danger" data-role="confirm-delete-collection" on:click=delete_collection.clone()>{format!("Delete {} and all its versions", collection_name)}</button>
                        <button type="button" class="small" on:click=move |_| confirming_collection.set(false)>"Cancel"</button>
                    </div>
                </Show>
                <SubmitStatus submit />
            </section>
        }
    }
}
