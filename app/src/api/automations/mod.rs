//! The Automations tab's server functions.

use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{
    AutomationHistory, AutomationSpec, AutomationView, AutomationsIndex, ExecutionView,
    HistoryQuery, ProjectRef,
};

/// A project's automations and its entity's secret names.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_automations(project: ProjectRef) -> Result<AutomationsIndex, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.automations_index(viewer.as_ref(), &project).await
}

/// One automation's history.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_automation_history(
    project: ProjectRef,
    id: i32,
    query: HistoryQuery,
) -> Result<AutomationHistory, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services
        .automation_history(viewer.as_ref(), &project, id, &query)
        .await
}

/// Create (`id` None) or replace an automation.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn save_automation(
    project: ProjectRef,
    id: Option<i32>,
    spec: AutomationSpec,
) -> Result<AutomationView, AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to change automations").await?;
    services.save_automation(&viewer, &project, id, spec).await
}

/// Enable, disable or delete an automation.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn change_automation(
    project: ProjectRef,
    id: i32,
    change: AutomationChange,
) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to change automations").await?;
    services
        .change_automation(&viewer, &project, id, change)
        .await
}

/// What [`change_automation`] does.
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutomationChange {
    Enable,
    Disable,
    Delete,
}

/// Send a sample payload now; the execution with its response.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn test_automation(project: ProjectRef, id: i32) -> Result<ExecutionView, AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to test automations").await?;
    services.test_automation(&viewer, &project, id).await
}

/// Queue a past execution again.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn redeliver_execution(
    project: ProjectRef,
    id: i32,
    execution: i64,
) -> Result<ExecutionView, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to redeliver").await?;
    services
        .redeliver_execution(&viewer, &project, id, execution)
        .await
}

/// Set (value Some) or delete a secret of the project's team or user.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn set_automation_secret(
    project: ProjectRef,
    name: String,
    value: Option<String>,
) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to manage secrets").await?;
    services
        .set_automation_secret(&viewer, &project, &name, value)
        .await
}

/// Site admins: allow webhook targets in private networks (or forbid them again).
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn set_private_webhooks(allowed: bool) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in as an admin").await?;
    services.set_private_webhooks(&viewer, allowed).await
}
