//! Generates the Tauri context (config, capabilities, icons) the app embeds, and one permission
//! per app command so the capability file can allow exactly these and nothing else.

const COMMANDS: &[&str] = &[
    "app_state",
    "list_jobs",
    "job_action",
    "delete_job",
    "pause_all",
    "resume_all",
    "receive_link",
    "pending_adds",
    "confirm_add",
    "dismiss_add",
    "sign_in",
    "sign_in_with_key",
    "sign_out",
    "save_settings",
    "set_job_sync",
    "open_job_folder",
    "cloud_request",
    "take_refused_links",
    "window_painted",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("the Tauri build step failed");
}
