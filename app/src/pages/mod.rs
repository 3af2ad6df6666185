//! Route components, one per file; names end in `Page`.

mod artifact_page;
mod automation_page;
mod entity_page;
mod home_page;
mod not_found_page;
mod project_page;
mod report_history_page;
mod report_page;
mod run_page;
mod settings_page;
mod sign_in_page;
mod sign_up_page;
mod sweep_page;

pub use artifact_page::ArtifactPage;
pub use automation_page::AutomationPage;
pub use entity_page::EntityPage;
pub use home_page::HomePage;
pub use not_found_page::NotFoundPage;
pub use project_page::{ProjectPage, ProjectTab};
pub use report_history_page::ReportHistoryPage;
pub(crate) use report_page::report_from_route;
pub use report_page::ReportPage;
pub use run_page::RunPage;
pub use settings_page::SettingsPage;
pub use sign_in_page::SignInPage;
pub use sign_up_page::SignUpPage;
pub use sweep_page::SweepPage;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// A route parameter, or the empty string when absent.
pub(crate) fn route_param(name: &'static str) -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.with(|p| p.get(name).unwrap_or_default()))
}

/// Current time in Unix milliseconds, in either target.
pub(crate) fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys_now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

#[cfg(feature = "hydrate")]
fn js_sys_now() -> i64 {
    web_sys::window()
        .and_then(|w| w.performance().map(|p| p.time_origin() + p.now()))
        .unwrap_or(0.0) as i64
}
