//! The desktop app's headless core. Everything the app does (links, the Add flow, downloads on
//! this computer, the cloud account, the personal agent, sync, settings) lives here so it is
//! tested without a window; the Tauri shell in `src-tauri/` only forwards commands and events.

pub mod cloud;
pub mod db;
pub mod destination;
pub mod link;
pub mod secrets;
pub mod settings;
pub mod sync;

pub mod autostart;
mod core;

pub use crate::core::{
    engine_defaults, AddChoice, AddState, AppState, Desktop, DesktopError, DesktopEvent,
    DesktopJob, DesktopOptions, DesktopResult, JobPlace, PendingAdd, PendingFile, SyncState,
    SyncView,
};
/// The actions `Desktop::job_action` takes, the cloud's own.
pub use tseeder_protocol::JobAction;
