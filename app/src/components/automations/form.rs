//! The automation editor: event with its filters, action with its target and
//! template. Everything typed stays in signals; [`FormState::spec`] turns it into an
//! [`AutomationSpec`] (or says which field is wrong).

use leptos::prelude::*;

use crate::api::automations::save_automation;
use crate::components::submit::{Submit, SubmitStatus};
use crate::logic::automations::{
    check_payload, check_variables, default_message, DEFAULT_PAYLOAD, VARIABLES,
};
use crate::model::{
    Action, AlertLevel, AutomationSpec, ChangeDirection, ChangeKind, Comparison, ProjectRef,
    RunFilter, SecretInfo, Trigger, WindowAgg, EVENT_KINDS, WATCHED_RUN_STATES,
};

/// The event picker's labels.
pub fn event_label(kind: &str) -> &'static str {
    match kind {
        "artifact_created" => "A new artifact version is created",
        "alias_added" => "An alias is added to an artifact version",
        "tag_added" => "A tag is added to an artifact version",
        "run_state" => "A run changes state",
        "run_metric" => "A run metric crosses a threshold",
        "run_metric_change" => "A run metric changes by an amount",
        "sweep_finished" => "A sweep finishes",
        "sweep_best_run" => "A sweep has a new best run",
        "run_alert" => "A script calls run.alert()",
        _ => "Unknown event",
    }
}

fn opt(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Everything the editor holds.
#[derive(Clone, Copy)]
pub struct FormState {
    name: RwSignal<String>,
    description: RwSignal<String>,
    enabled: RwSignal<bool>,
    event: RwSignal<String>,
    artifact_type: RwSignal<String>,
    collection_regex: RwSignal<String>,
    label_regex: RwSignal<String>,
    states: RwSignal<Vec<String>>,
    run_user: RwSignal<String>,
    run_regex: RwSignal<String>,
    metric: RwSignal<String>,
    window: RwSignal<String>,
    agg: RwSignal<String>,
    op: RwSignal<String>,
    threshold: RwSignal<String>,
    current_window: RwSignal<String>,
    prior_window: RwSignal<String>,
    change: RwSignal<String>,
    direction: RwSignal<String>,
    amount: RwSignal<String>,
    sweep: RwSignal<String>,
    level: RwSignal<String>,
    action: RwSignal<String>,
    url: RwSignal<String>,
    payload: RwSignal<String>,
    message: RwSignal<String>,
    token_secret: RwSignal<String>,
    signing_secret: RwSignal<String>,
}

fn agg_word(a: WindowAgg) -> &'static str {
    match a {
        WindowAgg::Mean => "mean",
        WindowAgg::Min => "min",
        WindowAgg::Max => "max",
    }
}

fn op_word(c: Comparison) -> &'static str {
    match c {
        Comparison::Gt => "gt",
        Comparison::Gte => "gte",
        Comparison::Lt => "lt",
        Comparison::Lte => "lte",
        Comparison::Eq => "eq",
        Comparison::Ne => "ne",
    }
}

impl FormState {
    /// A blank form (a failed-run webhook), or one filled from an automation.
    pub fn new(spec: Option<&AutomationSpec>) -> FormState {
        let s = |v: &str| RwSignal::new(v.to_owned());
        let f = FormState {
            name: s(""),
            description: s(""),
            enabled: RwSignal::new(true),
            event: s("run_state"),
            artifact_type: s(""),
            collection_regex: s(""),
            label_regex: s(""),
            states: RwSignal::new(vec!["failed".into(), "crashed".into()]),
            run_user: s(""),
            run_regex: s(""),
            metric: s("loss"),
            window: s("5"),
            agg: s("mean"),
            op: s("gt"),
            threshold: s(""),
            current_window: s("10"),
            prior_window: s("50"),
            change: s("relative"),
            direction: s("increase"),
            amount: s("0.1"),
            sweep: s(""),
            level: s("INFO"),
            action: s("webhook"),
            url: s(""),
            payload: s(DEFAULT_PAYLOAD),
            message: s(default_message("run_state")),
            token_secret: s(""),
            signing_secret: s(""),
        };
        if let Some(spec) = spec {
            f.fill(spec);
        }
        f
    }

    fn fill(&self, spec: &AutomationSpec) {
        self.name.set(spec.name.clone());
        self.description.set(spec.description.clone());
        self.enabled.set(spec.enabled);
        self.event.set(spec.trigger.kind().to_owned());
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        if let Some(r) = spec.trigger.run_filter() {
            self.run_user.set(text(&r.user));
            self.run_regex.set(text(&r.name_regex));
        }
        match &spec.trigger {
            Trigger::ArtifactCreated {
                artifact_type,
                collection_regex,
            } => {
                self.artifact_type.set(text(artifact_type));
                self.collection_regex.set(text(collection_regex));
            }
            Trigger::AliasAdded {
                alias_regex: l,
                collection_regex,
            }
            | Trigger::TagAdded {
                tag_regex: l,
                collection_regex,
            } => {
                self.label_regex.set(text(l));
                self.collection_regex.set(text(collection_regex));
            }
            Trigger::RunState { states, .. } => self.states.set(states.clone()),
            Trigger::RunMetric {
                metric,
                window,
                agg,
                op,
                threshold,
                ..
            } => {
                self.metric.set(metric.clone());
                self.window.set(window.to_string());
                self.agg.set(agg_word(*agg).into());
                self.op.set(op_word(*op).into());
                self.threshold.set(threshold.to_string());
            }
            Trigger::RunMetricChange {
                metric,
                current_window,
                prior_window,
                change,
                direction,
                amount,
                ..
            } => {
                self.metric.set(metric.clone());
                self.current_window.set(current_window.to_string());
                self.prior_window.set(prior_window.to_string());
                self.change.set(
                    if *change == ChangeKind::Absolute {
                        "absolute"
                    } else {
                        "relative"
                    }
                    .into(),
                );
                self.direction.set(
                    match direction {
                        ChangeDirection::Increase => "increase",
                        ChangeDirection::Decrease => "decrease",
                        ChangeDirection::Any => "any",
                    }
                    .into(),
                );
                self.amount.set(amount.to_string());
            }
            Trigger::SweepFinished { sweep } | Trigger::SweepBestRun { sweep } => {
                self.sweep.set(text(sweep))
            }
            Trigger::RunAlert { min_level, .. } => self.level.set(min_level.as_str().into()),
        }
        self.action.set(spec.action.kind().into());
        self.url.set(spec.action.url().into());
        match &spec.action {
            Action::Webhook {
                payload,
                token_secret,
                signing_secret,
                ..
            } => {
                self.payload.set(payload.clone());
                self.token_secret.set(text(token_secret));
                self.signing_secret.set(text(signing_secret));
            }
            Action::Slack { message, .. } | Action::Discord { message, .. } => {
                self.message.set(message.clone())
            }
        }
    }

    /// The automation the form describes, or what is wrong.
    pub fn spec(&self) -> Result<AutomationSpec, String> {
        let num = |what: &str, s: RwSignal<String>| -> Result<f64, String> {
            s.get_untracked()
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{what} must be a number"))
        };
        let count = |what: &str, s: RwSignal<String>| -> Result<u32, String> {
            s.get_untracked()
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|v| *v >= 1)
                .ok_or_else(|| format!("{what} must be a whole number of at least 1"))
        };
        let runs = RunFilter {
            user: opt(self.run_user.get_untracked()),
            name_regex: opt(self.run_regex.get_untracked()),
        };
        let event = self.event.get_untracked();
        let trigger = match event.as_str() {
            "artifact_created" => Trigger::ArtifactCreated {
                artifact_type: opt(self.artifact_type.get_untracked()),
                collection_regex: opt(self.collection_regex.get_untracked()),
            },
            "alias_added" => Trigger::AliasAdded {
                alias_regex: opt(self.label_regex.get_untracked()),
                collection_regex: opt(self.collection_regex.get_untracked()),
            },
            "tag_added" => Trigger::TagAdded {
                tag_regex: opt(self.label_regex.get_untracked()),
                collection_regex: opt(self.collection_regex.get_untracked()),
            },
            "run_state" => Trigger::RunState {
                states: self.states.get_untracked(),
                runs,
            },
            "run_metric" => Trigger::RunMetric {
                metric: self.metric.get_untracked().trim().to_owned(),
                window: count("The window", self.window)?,
                agg: match self.agg.get_untracked().as_str() {
                    "min" => WindowAgg::Min,
                    "max" => WindowAgg::Max,
                    _ => WindowAgg::Mean,
                },
                op: Comparison::ALL
                    .into_iter()
                    .find(|c| op_word(*c) == self.op.get_untracked())
                    .unwrap_or_default(),
                threshold: num("The threshold", self.threshold)?,
                runs,
            },
            "run_metric_change" => Trigger::RunMetricChange {
                metric: self.metric.get_untracked().trim().to_owned(),
                current_window: count("The current window", self.current_window)?,
                prior_window: count("The prior window", self.prior_window)?,
                change: if self.change.get_untracked() == "absolute" {
                    ChangeKind::Absolute
                } else {
                    ChangeKind::Relative
                },
                direction: match self.direction.get_untracked().as_str() {
                    "decrease" => ChangeDirection::Decrease,
                    "any" => ChangeDirection::Any,
                    _ => ChangeDirection::Increase,
                },
                amount: num("The change", self.amount)?,
                runs,
            },
            "sweep_finished" => Trigger::SweepFinished {
                sweep: opt(self.sweep.get_untracked()),
            },
            "sweep_best_run" => Trigger::SweepBestRun {
                sweep: opt(self.sweep.get_untracked()),
            },
            "run_alert" => Trigger::RunAlert {
                min_level: AlertLevel::parse(&self.level.get_untracked()),
                runs,
            },
            other => return Err(format!("pick an event ({other:?} is not one)")),
        };
        let url = self.url.get_untracked().trim().to_owned();
        if url.is_empty() {
            return Err("enter the URL to send to".into());
        }
        let action = match self.action.get_untracked().as_str() {
            "slack" => Action::Slack {
                url,
                message: self.message.get_untracked(),
            },
            "discord" => Action::Discord {
                url,
                message: self.message.get_untracked(),
            },
            _ => Action::Webhook {
                url,
                payload: self.payload.get_untracked(),
                token_secret: opt(self.token_secret.get_untracked()),
                signing_secret: opt(self.signing_secret.get_untracked()),
            },
        };
        Ok(AutomationSpec {
            name: self.name.get_untracked().trim().to_owned(),
            description: self.description.get_untracked(),
            enabled: self.enabled.get_untracked(),
            trigger,
            action,
        })
    }
}

/// A text field bound to a signal.
#[component]
fn Field(
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] placeholder: &'static str,
    #[prop(optional)] hint: &'static str,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <input type="text" placeholder=placeholder prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev)) />
            {(!hint.is_empty()).then(|| view! { <small class="muted">{hint}</small> })}
        </label>
    }
}

/// A select bound to a signal.
#[component]
fn Choice(
    label: &'static str,
    value: RwSignal<String>,
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    view! {
        <label class="field">
            <span>{label}</span>
            <select on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
                {options
                    .into_iter()
                    .map(|(v, t)| view! { <option value=v selected=move || value.get() == v>{t}</option> })
                    .collect_view()}
            </select>
        </label>
    }
}

/// The editor. `id` None creates; `done` runs after a save.
#[component]
pub fn AutomationForm(
    project: ProjectRef,
    id: Option<i32>,
    state: FormState,
    secrets: Vec<SecretInfo>,
    #[prop(into)] done: Callback<()>,
    #[prop(into)] cancel: Callback<()>,
) -> impl IntoView {
    let f = state;
    let submit = Submit::new();
    let problem = RwSignal::new(None::<String>);
    let names: Vec<String> = secrets.iter().map(|s| s.name.clone()).collect();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // The template checks the server makes, made here first (no round trip).
        let is_secret = |n: &str| names.iter().any(|s| s == n);
        let checked = f.spec().and_then(|spec| {
            match &spec.action {
                Action::Webhook { payload, .. } => check_payload(payload, &is_secret)?,
                Action::Slack { message, .. } | Action::Discord { message, .. } => {
                    check_variables(message, &is_secret)?
                }
            }
            Ok(spec)
        });
        match checked {
            Err(e) => problem.set(Some(e)),
            Ok(spec) => {
                problem.set(None);
                submit.run(save_automation(project.clone(), id, spec), move |_| {
                    done.run(());
                    None
                });
            }
        }
    };
    // A new automation's chat message follows the event until edited.
    let message_touched = RwSignal::new(id.is_some());
    Effect::new(move |_| {
        let e = f.event.get();
        if !message_touched.get_untracked() {
            f.message.set(default_message(&e).to_owned());
        }
    });
    let secret_names: Vec<String> = secrets.iter().map(|s| s.name.clone()).collect();
    let secret_options = move || {
        let mut o: Vec<(String, String)> = vec![(String::new(), "None".into())];
        o.extend(secret_names.iter().map(|n| (n.clone(), n.clone())));
        o
    };
    let secret_select = move |label: &'static str, value: RwSignal<String>| {
        let options = secret_options();
        view! {
            <label class="field">
                <span>{label}</span>
                <select on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
                    {options
                        .into_iter()
                        .map(|(v, t)| {
                            let v2 = v.clone();
                            view! { <option value=v selected=move || value.get() == v2>{t}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
        }
    };
    let run_filters = move || {
        view! {
            <Field label="Only runs of user" value=f.run_user placeholder="any user" />
            <Field label="Only runs whose name matches" value=f.run_regex placeholder="regex, e.g. ^baseline-" />
        }
    };
    let event_fields = move || {
        match f.event.get().as_str() {
        "artifact_created" => view! {
            <Field label="Artifact type" value=f.artifact_type placeholder="any type, e.g. model" />
            <Field label="Collection name matches" value=f.collection_regex placeholder="regex" />
        }
        .into_any(),
        "alias_added" | "tag_added" => view! {
            <Field label=if f.event.get() == "alias_added" { "Alias matches" } else { "Tag matches" }
                value=f.label_regex placeholder="regex, e.g. ^production$" />
            <Field label="Collection name matches" value=f.collection_regex placeholder="regex" />
        }
        .into_any(),
        "run_state" => view! {
            <fieldset class="field">
                <legend>"States"</legend>
                {WATCHED_RUN_STATES
                    .iter()
                    .map(|s| {
                        let s = *s;
                        view! {
                            <label class="check">
                                <input type="checkbox" prop:checked=move || f.states.with(|v| v.iter().any(|x| x == s))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        f.states.update(|v| {
                                            v.retain(|x| x != s);
                                            if on { v.push(s.to_owned()); }
                                        });
                                    } />
                                {s}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            {run_filters()}
        }
        .into_any(),
        "run_metric" => view! {
            <Field label="Metric" value=f.metric placeholder="loss" />
            <div class="field-row">
                <Choice label="Statistic" value=f.agg options=vec![("mean", "Mean"), ("min", "Min"), ("max", "Max")] />
                <Field label="of the last N values" value=f.window />
                <Choice label="is" value=f.op options=Comparison::ALL.iter().map(|c| (op_word(*c), c.symbol())).collect() />
                <Field label="Threshold" value=f.threshold placeholder="e.g. 2.5" />
            </div>
            {run_filters()}
        }
        .into_any(),
        "run_metric_change" => view! {
            <Field label="Metric" value=f.metric placeholder="loss" />
            <div class="field-row">
                <Choice label="Direction" value=f.direction options=vec![("increase", "Increases"), ("decrease", "Decreases"), ("any", "Changes either way")] />
                <Field label="by at least" value=f.amount />
                <Choice label="measured" value=f.change options=vec![("relative", "relative (0.1 = 10%)"), ("absolute", "absolute")] />
            </div>
            <div class="field-row">
                <Field label="Mean of the last N values" value=f.current_window />
                <Field label="against the mean of the M before" value=f.prior_window />
            </div>
            {run_filters()}
        }
        .into_any(),
        "sweep_finished" | "sweep_best_run" => view! {
            <Field label="Only sweep" value=f.sweep placeholder="any sweep (its id)" />
        }
        .into_any(),
        "run_alert" => view! {
            <Choice label="At least level" value=f.level options=vec![("INFO", "INFO"), ("WARN", "WARN"), ("ERROR", "ERROR")] />
            {run_filters()}
        }
        .into_any(),
        _ => ().into_any(),
    }
    };
    let action_fields = move || {
        match f.action.get().as_str() {
        "webhook" => view! {
            <label class="field">
                <span>"JSON payload"</span>
                <textarea class="mono" rows="12" spellcheck="false" prop:value=move || f.payload.get()
                    on:input=move |ev| f.payload.set(event_target_value(&ev))></textarea>
                <small class="muted">"${variable} inside quotes is inserted as escaped text; outside quotes as a JSON value. Secrets: ${SECRET_NAME}."</small>
            </label>
            <div class="field-row">
                {secret_select("Bearer token (secret)", f.token_secret)}
                {secret_select("Signing secret (X-Cairn-Signature)", f.signing_secret)}
            </div>
        }
        .into_any(),
        _ => view! {
            <label class="field">
                <span>"Message"</span>
                <textarea rows="4" prop:value=move || f.message.get()
                    on:input=move |ev| { message_touched.set(true); f.message.set(event_target_value(&ev)) }></textarea>
            </label>
        }
        .into_any(),
    }
    };
    view! {
        <form class="card automation-form" on:submit=save aria-labelledby="automation-form-heading">
            <h2 id="automation-form-heading">{if id.is_some() { "Edit automation" } else { "New automation" }}</h2>
            <Field label="Name" value=f.name placeholder="e.g. Tell CI about failed runs" />
            <Field label="Description" value=f.description placeholder="optional" />
            <label class="field">
                <span>"Event"</span>
                <select aria-label="Event" on:change=move |ev| f.event.set(event_target_value(&ev)) prop:value=move || f.event.get()>
                    {EVENT_KINDS
                        .iter()
                        .map(|k| view! { <option value=*k selected=move || f.event.get() == *k>{event_label(k)}</option> })
                        .collect_view()}
                </select>
            </label>
            {event_fields}
            <label class="field">
                <span>"Action"</span>
                <select aria-label="Action" on:change=move |ev| f.action.set(event_target_value(&ev)) prop:value=move || f.action.get()>
                    <option value="webhook" selected=move || f.action.get() == "webhook">"Webhook (POST JSON)"</option>
                    <option value="slack" selected=move || f.action.get() == "slack">"Slack incoming webhook"</option>
                    <option value="discord" selected=move || f.action.get() == "discord">"Discord webhook"</option>
                </select>
            </label>
            <Field label="URL" value=f.url placeholder="https://…" />
            {action_fields}
            <label class="check">
                <input type="checkbox" prop:checked=move || f.enabled.get()
                    on:change=move |ev| f.enabled.set(event_target_checked(&ev)) />
                "Enabled"
            </label>
            <details class="variables">
                <summary>"Variables"</summary>
                <dl>
                    {VARIABLES
                        .iter()
                        .map(|(v, d)| view! { <dt><code>{format!("${{{v}}}")}</code></dt><dd>{*d}</dd> })
                        .collect_view()}
                    <dt><code>"${artifact_metadata.KEY}"</code></dt><dd>"a key of the artifact version's metadata"</dd>
                </dl>
            </details>
            {move || problem.get().map(|p| view! { <p class="error-message" role="alert">{p}</p> })}
            <div class="actions">
                <button type="submit" class="primary" disabled=move || submit.busy.get()>{if id.is_some() { "Save" } else { "Create automation" }}</button>
                <button type="button" class="secondary cancel" on:click=move |_| cancel.run(())>"Cancel"</button>
            </div>
            <SubmitStatus submit />
        </form>
    }
}
