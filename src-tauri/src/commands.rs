//! The commands the screens call: each checks its input's shape and hands it to the core.
//! Errors reach the screen as `{ code, message }` with the message meant for people.

use serde::Serialize;
use tauri::State;
use tseeder_desktop::settings::DesktopSettings;
use tseeder_desktop::JobAction;
use tseeder_desktop::{AddChoice, AppState, DesktopError, DesktopJob, PendingAdd};

use crate::core::Core;

#[derive(Debug, Serialize)]
pub struct CommandError {
    code: &'static str,
    message: String,
}

impl From<DesktopError> for CommandError {
    fn from(err: DesktopError) -> Self {
        let code = match &err {
            DesktopError::Invalid(_) | DesktopError::Link(_) => "invalid",
            DesktopError::NotFound(_) => "not_found",
            DesktopError::SignedOut => "signed_out",
            DesktopError::Cloud(cloud) if cloud.is_unauthorized() => "unauthorized",
            DesktopError::Cloud(_) => "cloud",
            DesktopError::Engine(_) => "engine",
            DesktopError::Secret(_) => "keyring",
            DesktopError::Db(_) | DesktopError::Io(_) => "internal",
        };
        if code == "internal" {
            tracing::error!(%err, "command failed");
        }
        CommandError {
            code,
            message: err.to_string(),
        }
    }
}

type Answer<T> = Result<T, CommandError>;

const MAX_TEXT: usize = 16_384;

fn bounded(text: &str, what: &str) -> Result<(), CommandError> {
    if text.len() > MAX_TEXT {
        return Err(CommandError {
            code: "invalid",
            message: format!("the {what} is too long"),
        });
    }
    Ok(())
}

#[tauri::command]
pub async fn app_state(core: State<'_, Core>) -> Answer<AppState> {
    Ok(core.ready().await.app_state())
}

#[tauri::command]
pub async fn list_jobs(core: State<'_, Core>) -> Answer<Vec<DesktopJob>> {
    Ok(core.ready().await.jobs())
}

#[tauri::command]
pub async fn job_action(core: State<'_, Core>, key: String, action: String) -> Answer<()> {
    let action = JobAction::parse(&action).ok_or_else(|| CommandError {
        code: "invalid",
        message: format!("unknown action {action:?}"),
    })?;
    Ok(core.ready().await.job_action(&key, action).await?)
}

#[tauri::command]
pub async fn delete_job(core: State<'_, Core>, key: String, delete_files: bool) -> Answer<()> {
    let desktop = core.ready().await;
    Ok(desktop.delete_job(&key, delete_files).await?)
}

#[tauri::command]
pub async fn pause_all(core: State<'_, Core>) -> Answer<()> {
    let desktop = core.ready().await;
    Ok(desktop.pause_all().await?)
}

#[tauri::command]
pub async fn resume_all(core: State<'_, Core>) -> Answer<()> {
    let desktop = core.ready().await;
    Ok(desktop.resume_all().await?)
}

#[tauri::command]
pub async fn receive_link(core: State<'_, Core>, link: String) -> Answer<PendingAdd> {
    bounded(&link, "link")?;
    let desktop = core.ready().await;
    Ok(desktop.receive_link(&link).await?)
}

/// Why links that arrived were refused, each reason once (see `window::RefusedLinks`).
#[tauri::command]
pub fn take_refused_links(refused: State<'_, crate::window::RefusedLinks>) -> Vec<String> {
    refused.take()
}

/// The page's own frame is on screen: the native one drawn while WebKit started goes.
#[tauri::command]
pub fn window_painted(app: tauri::AppHandle) {
    crate::frame::page_drawn(&app);
}

#[tauri::command]
pub async fn pending_adds(core: State<'_, Core>) -> Answer<Vec<PendingAdd>> {
    Ok(core.ready().await.pending_adds())
}

#[tauri::command]
pub async fn confirm_add(core: State<'_, Core>, id: String, choice: AddChoice) -> Answer<String> {
    let desktop = core.ready().await;
    Ok(desktop.confirm_add(&id, choice).await?)
}

#[tauri::command]
pub async fn dismiss_add(core: State<'_, Core>, id: String) -> Answer<()> {
    core.ready().await.dismiss_add(&id);
    Ok(())
}

#[tauri::command]
pub async fn sign_in(
    core: State<'_, Core>,
    cloud_url: String,
    email: String,
    password: String,
) -> Answer<AppState> {
    for (text, what) in [
        (&cloud_url, "cloud URL"),
        (&email, "email"),
        (&password, "password"),
    ] {
        bounded(text, what)?;
    }
    let desktop = core.ready().await;
    Ok(desktop.sign_in(&cloud_url, &email, &password).await?)
}

#[tauri::command]
pub async fn sign_in_with_key(
    core: State<'_, Core>,
    cloud_url: String,
    key: String,
) -> Answer<AppState> {
    bounded(&cloud_url, "cloud URL")?;
    let desktop = core.ready().await;
    Ok(desktop.sign_in_with_key(&cloud_url, &key).await?)
}

#[tauri::command]
pub async fn sign_out(core: State<'_, Core>) -> Answer<AppState> {
    let desktop = core.ready().await;
    Ok(desktop.sign_out().await?)
}

#[tauri::command]
pub async fn save_settings(
    core: State<'_, Core>,
    settings: DesktopSettings,
) -> Answer<DesktopSettings> {
    let desktop = core.ready().await;
    Ok(desktop.save_settings(settings).await?)
}

#[tauri::command]
pub async fn set_job_sync(core: State<'_, Core>, key: String, enabled: bool) -> Answer<()> {
    let desktop = core.ready().await;
    Ok(desktop.set_job_sync(&key, enabled).await?)
}

#[tauri::command]
pub async fn open_job_folder(core: State<'_, Core>, key: String) -> Answer<()> {
    let desktop = core.ready().await;
    let folder = desktop.job_folder(&key).await?;
    crate::notify::open_folder(&folder);
    Ok(())
}

/// One request of the screens' typed API client, sent to the signed-in cloud with the key from
/// the keyring (the key never reaches the web view).
#[tauri::command]
pub async fn cloud_request(
    core: State<'_, Core>,
    method: String,
    path: String,
    body: Option<String>,
) -> Answer<tseeder_desktop::cloud::RawAnswer> {
    bounded(&path, "path")?;
    if body.as_ref().is_some_and(|b| b.len() > 1024 * 1024) {
        return Err(CommandError {
            code: "invalid",
            message: "the request is too large".into(),
        });
    }
    let desktop = core.ready().await;
    Ok(desktop.cloud_request(&method, &path, body).await?)
}
