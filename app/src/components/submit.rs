use leptos::prelude::*;

use crate::api::AppError;

/// The state of a button or form that calls the server: whether a call is under
/// way, and the last call's error or confirmation. One per form.
#[derive(Clone, Copy)]
pub struct Submit {
    pub busy: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
    pub done: RwSignal<Option<String>>,
}

impl Default for Submit {
    fn default() -> Self {
        Self::new()
    }
}

impl Submit {
    pub fn new() -> Self {
        Self {
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
            done: RwSignal::new(None),
        }
    }

    /// Run `call` unless one is under way; `then` turns its answer into an optional
    /// confirmation to show (and does whatever else success means).
    pub fn run<T, F>(self, call: F, then: impl FnOnce(T) -> Option<String> + 'static)
    where
        T: 'static,
        F: std::future::Future<Output = Result<T, AppError>> + 'static,
    {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        self.done.set(None);
        leptos::task::spawn_local(async move {
            match call.await {
                Ok(v) => {
                    let msg = then(v);
                    self.done.try_set(msg);
                }
                Err(e) => {
                    self.error.try_set(Some(e.to_string()));
                }
            }
            self.busy.try_set(false);
        });
    }
}

/// The outcome line of a [`Submit`]: the error as an alert, or the confirmation.
#[component]
pub fn SubmitStatus(
    /// The submission whose progress and outcome to show.
    submit: Submit,
) -> impl IntoView {
    move || {
        if let Some(e) = submit.error.get() {
            view! { <p class="error-message" role="alert">{e}</p> }.into_any()
        } else if let Some(d) = submit.done.get() {
            view! { <p class="ok-message" role="status">{d}</p> }.into_any()
        } else {
            ().into_any()
        }
    }
}

/// Ask before something that cannot be undone (always yes without a browser).
pub fn confirmed(question: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(question).ok())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = question;
        true
    }
}
