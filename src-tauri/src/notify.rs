//! Desktop notifications for the core's announcements (a job finished, failed, or was synced).
//! Clicking one opens the job's folder, or brings the window up.

use std::path::{Path, PathBuf};

pub fn show(app: &tauri::AppHandle, title: &str, body: &str, folder: Option<String>) {
    let mut notification = notify_rust::Notification::new();
    notification
        .appname("tseeder")
        .summary(title)
        .body(body)
        .icon("tseeder")
        .action("default", "Open");
    let app = app.clone();
    // Waiting for a click blocks: each notification gets its own thread.
    std::thread::spawn(move || match notification.show() {
        #[cfg(all(unix, not(target_os = "macos")))]
        Ok(handle) => handle.wait_for_action(|action| {
            if action == "default" {
                match &folder {
                    Some(folder) => open_folder(Path::new(folder)),
                    None => crate::window::show(&app),
                }
            }
        }),
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        Ok(_) => {
            let _ = (&app, &folder);
        }
        Err(err) => tracing::warn!(%err, "could not show a notification"),
    });
}

/// Opens a folder in the system's file manager.
pub fn open_folder(folder: &Path) {
    let folder: PathBuf = folder.to_path_buf();
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(err) = std::process::Command::new(program).arg(&folder).spawn() {
        tracing::warn!(%err, "could not open the folder");
    }
}
