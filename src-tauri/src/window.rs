//! The one main window, made only while it is shown. Closing it destroys its web view, so
//! WebKit's web process exits, and soon after its network process too: the app sits in the tray
//! with the core alone (downloads, seeding and sync go on there). Showing it again builds a fresh
//! web view, which reads everything back from the core.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use tauri::{AppHandle, Emitter, Manager, WebviewWindow, WebviewWindowBuilder};

const MAIN: &str = "main";

/// Shows the main window, making it first when it was closed, and brings it to the front.
/// Callable from any thread: the window is made on the main thread, one at a time.
pub fn show(app: &AppHandle) {
    let handle = app.clone();
    if let Err(err) = app.run_on_main_thread(move || show_here(&handle)) {
        tracing::warn!(%err, "could not reach the window thread");
    }
}

/// `show`, on the main thread (start-up).
pub fn show_here(app: &AppHandle) {
    match main_or_new(app) {
        Ok(window) => {
            let _ = window.show();
            let _ = window.unminimize();
            let _ = window.set_focus();
        }
        Err(err) => tracing::warn!(%err, "could not open the tseeder window"),
    }
}

/// Closes the main window if it is open, releasing its web view.
pub fn close(app: &AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.destroy();
    }
}

/// How long WebKit's helpers outlive a closed window, so that closing and reopening at once costs
/// nothing.
const HELPERS_KEPT: Duration = Duration::from_secs(3);

/// Called when the main window is gone: unless it is opened again meanwhile, ends WebKit's
/// network process and hands back the memory the window used in this process. Tauri keeps the web context alive for the app's lifetime on Linux (a new
/// context would start a second network process), and WebKit keeps that context's network
/// process running with no page left; WebKit starts a new one when the next web view needs it.
pub fn closed(app: &AppHandle) {
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(HELPERS_KEPT).await;
        let app = handle.clone();
        // On the window thread, so no window is being made while it runs.
        let _ = handle.run_on_main_thread(move || {
            if app.get_webview_window(MAIN).is_none() {
                end_idle_network_process();
                crate::memory::release_window_memory();
            }
        });
    });
}

#[cfg(target_os = "linux")]
fn end_idle_network_process() {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (name) state parent …": a name may hold spaces, so fields count from its ")".
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let name = head.split_once('(').map_or("", |(_, name)| name);
        let parent = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok());
        // The kernel keeps 15 characters of "WebKitNetworkProcess".
        if parent == Some(me) && name == "WebKitNetworkPr" {
            if let Err(err) = kill(Pid::from_raw(pid), Signal::SIGTERM) {
                tracing::debug!(%err, "could not end WebKit's idle network process");
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn end_idle_network_process() {}

/// Closes the window when it is shown, shows it otherwise (the tray's one entry).
pub fn toggle(app: &AppHandle) {
    match app.get_webview_window(MAIN) {
        Some(window) if window.is_visible().unwrap_or(false) => close(app),
        _ => show(app),
    }
}

fn main_or_new(app: &AppHandle) -> tauri::Result<WebviewWindow> {
    if let Some(window) = app.get_webview_window(MAIN) {
        return Ok(window);
    }
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|window| window.label == MAIN)
        .cloned()
        .ok_or_else(|| tauri::Error::WindowNotFound)?;
    // Made hidden, so that the native frame is in place before anything is on screen.
    let window = WebviewWindowBuilder::from_config(app, &config)?
        .visible(false)
        .build()?;
    crate::frame::cover(&window);
    Ok(window)
}

/// Why recent incoming links were refused, kept until the window has shown them: a link that
/// arrives while the window is closed is refused before there is a screen to tell.
#[derive(Default)]
pub struct RefusedLinks(Mutex<VecDeque<String>>);

impl RefusedLinks {
    /// A flood of bad links keeps only the latest few reasons.
    const KEPT: usize = 8;

    /// Files the reason and tells an open window to fetch it.
    pub fn report(app: &AppHandle, reason: String) {
        app.state::<RefusedLinks>().file(reason);
        let _ = app.emit("link-refused", ());
    }

    fn file(&self, reason: String) {
        let mut reasons = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if reasons.len() == Self::KEPT {
            reasons.pop_front();
        }
        reasons.push_back(reason);
    }

    /// The reasons not yet shown, oldest first; each is handed out once.
    pub fn take(&self) -> Vec<String> {
        let mut reasons = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        reasons.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::RefusedLinks;

    #[test]
    fn refusals_wait_for_the_window_and_are_shown_once() {
        let refused = RefusedLinks::default();
        for n in 0..10 {
            refused.file(format!("link {n}"));
        }
        let expected: Vec<String> = (2..10).map(|n| format!("link {n}")).collect();
        assert_eq!(refused.take(), expected, "the latest eight, oldest first");
        assert!(refused.take().is_empty(), "each reason is handed out once");
    }
}
