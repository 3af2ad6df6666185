//! The Sweeps tab's server functions.

use leptos::prelude::*;

use crate::api::AppError;
use crate::model::{ProjectRef, SweepAction, SweepCreated, SweepView, SweepsIndex};

/// A project's sweeps.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_sweeps(project: ProjectRef) -> Result<SweepsIndex, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.sweeps_index(viewer.as_ref(), &project).await
}

/// One sweep with its runs, agents and parameter importance.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn get_sweep(project: ProjectRef, name: String) -> Result<SweepView, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.sweep_view(viewer.as_ref(), &project, &name).await
}

/// Create a sweep from its YAML or JSON configuration.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn create_sweep(
    project: ProjectRef,
    config: String,
    name: Option<String>,
) -> Result<SweepCreated, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to create sweeps").await?;
    services
        .create_sweep(&viewer, &project, &config, name.as_deref())
        .await
}

/// Pause, resume, stop, cancel or re-queue a sweep.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn sweep_act(
    project: ProjectRef,
    name: String,
    action: SweepAction,
) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to steer sweeps").await?;
    services.sweep_act(&viewer, &project, &name, action).await
}
