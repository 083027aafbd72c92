//! The tseeder desktop app: a thin Tauri shell over the headless core in `desktop/`. It turns
//! launch arguments, second launches and deep-link events into links for the core, forwards
//! the screens' commands, shows the core's notifications, and keeps a tray icon so downloads go
//! on with the window closed. It opens no local HTTP server.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod core;
mod frame;
mod memory;
mod notify;
mod tray;
mod window;

use std::path::PathBuf;
use tauri::{Emitter, Manager};
use tauri_plugin_deep_link::DeepLinkExt;
use tseeder_desktop::{autostart, Desktop, DesktopEvent, DesktopOptions};

/// Hands every argument that is a link or a .torrent file to the core; the rest (flags) are
/// ignored. A refused link is shown to the user, never acted on.
fn receive_arguments(app: &tauri::AppHandle, args: Vec<String>) {
    let links: Vec<String> = args
        .into_iter()
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    if links.is_empty() {
        return;
    }
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let desktop = handle.state::<core::Core>().ready().await;
        for link in links {
            if let Err(err) = desktop.receive_link(&link).await {
                tracing::warn!(%err, "refused an incoming link");
                window::RefusedLinks::report(&handle, err.to_string());
            }
        }
        window::show(&handle);
    });
}

fn options() -> DesktopOptions {
    let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
    let data_dir = std::env::var_os("TSEEDER_DESKTOP_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_DATA_HOME").map(|d| PathBuf::from(d).join("tseeder")))
        .unwrap_or_else(|| home.join(".local/share/tseeder"));
    let downloads_dir = std::env::var_os("XDG_DOWNLOAD_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join("Downloads"));
    let mut engine = tseeder_desktop::engine_defaults();
    if let Ok(ip) = std::env::var("TSEEDER_DESKTOP_LISTEN_IP") {
        if let Ok(ip) = ip.parse() {
            engine.listen_ip = ip;
            // A loopback-only engine (tests) finds peers through hints, not the DHT.
            engine.dht = false;
        }
    }
    // Trackers and peers on loopback or a LAN are refused unless this is set (test swarms).
    engine.allow_private_addresses = std::env::var_os("TSEEDER_DESKTOP_ALLOW_PRIVATE_ADDRESSES")
        .is_some_and(|value| value == "1" || value == "true");
    DesktopOptions {
        data_dir,
        downloads_dir,
        keyring_service: "tseeder".into(),
        engine,
        device_name: hostname(),
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "this computer".into())
}

/// WebKit paints the window's page on the CPU unless the user's environment says otherwise.
/// The page is text and boxes; painting it through GL first compiles GL shaders, and on a
/// machine without a GPU (virtual machines, remote desktops) Mesa's llvmpipe compiles each with
/// LLVM on the start's path: half a second before the first frame (docs/benchmarks.md). WebKit
/// still composites through GL; only the painting of the page's tiles moves to the CPU.
#[cfg(target_os = "linux")]
fn paint_on_the_cpu() {
    const CPU_PAINTING: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";
    if std::env::var_os(CPU_PAINTING).is_none() {
        // First thing in `main`, before any thread exists that could read the environment.
        std::env::set_var(CPU_PAINTING, "1");
    }
}

fn main() {
    // Start-up phases are logged at debug level (TSEEDER_LOG=tseeder=debug) to see where the
    // time before the first frame goes.
    let started = std::time::Instant::now();
    #[cfg(target_os = "linux")]
    paint_on_the_cpu();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TSEEDER_LOG")
                .unwrap_or_else(|_| "info,librqbit=warn,librqbit_dht=error".into()),
        )
        .init();
    // A start at log-in goes straight to the tray: no web view until the window is asked for.
    let start_hidden = std::env::args().any(|a| a == autostart::HIDDEN_FLAG);
    tauri::Builder::default()
        // First: a second launch hands its arguments here and exits.
        .plugin(tauri_plugin_single_instance::init(|app, args, _cwd| {
            receive_arguments(app, args.into_iter().skip(1).collect());
            window::show(app);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::list_jobs,
            commands::job_action,
            commands::delete_job,
            commands::pause_all,
            commands::resume_all,
            commands::receive_link,
            commands::pending_adds,
            commands::confirm_add,
            commands::dismiss_add,
            commands::sign_in,
            commands::sign_in_with_key,
            commands::sign_out,
            commands::save_settings,
            commands::set_job_sync,
            commands::open_job_folder,
            commands::cloud_request,
            commands::take_refused_links,
            commands::window_painted,
        ])
        .on_page_load(move |_, payload| {
            if let tauri::webview::PageLoadEvent::Finished = payload.event() {
                tracing::debug!(since_start = ?started.elapsed(), "start-up: the window's page loaded");
            }
        })
        .setup(move |app| {
            tracing::debug!(since_start = ?started.elapsed(), "start-up: GTK and WebKit are up");
            app.manage(core::Core::default());
            app.manage(window::RefusedLinks::default());
            // The window first, then the core beside it: WebKit starts its processes and loads
            // the page while the core opens; the page's commands wait for the core.
            if !start_hidden {
                window::show_here(app.handle());
            }
            tracing::debug!(since_start = ?started.elapsed(), "start-up: the window is made");
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                match Desktop::open(options()).await {
                    Ok(desktop) => {
                        tracing::debug!(since_start = ?started.elapsed(), "start-up: the core is open");
                        handle.state::<core::Core>().set(desktop.clone());
                        forward_events(handle.clone(), &desktop);
                    }
                    Err(err) => {
                        tracing::error!(%err, "tseeder could not start");
                        handle.exit(1);
                    }
                }
            });
            tray::create(app.handle())?;
            #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
            {
                // xdg-mime runs shell scripts: off the start-up path, so the window paints first.
                let handle = app.handle().clone();
                std::thread::spawn(move || {
                    if let Err(err) = handle.deep_link().register_all() {
                        // Without xdg-mime the installed .desktop entry still registers them.
                        tracing::warn!(%err, "could not register as the handler for magnet: links");
                    }
                });
            }
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                let urls = event.urls().iter().map(ToString::to_string).collect();
                receive_arguments(&handle, urls);
            });
            receive_arguments(app.handle(), std::env::args().skip(1).collect());
            tracing::debug!(since_start = ?started.elapsed(), "start-up: set-up is done");
            Ok(())
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::Destroyed = event {
                window::closed(window.app_handle());
            }
        })
        .build(tauri::generate_context!())
        .expect("the tseeder window could not start")
        .run(|app, event| match event {
            // The last window closed: downloads keep running in the tray; Quit is in its menu.
            tauri::RunEvent::ExitRequested {
                code: None, api, ..
            } => api.prevent_exit(),
            tauri::RunEvent::Exit => {
                if let Some(desktop) = app.state::<core::Core>().now() {
                    tauri::async_runtime::block_on(desktop.shutdown());
                }
            }
            _ => {}
        });
}

/// The core's events: notifications are shown here; everything is also sent to the window.
fn forward_events(app: tauri::AppHandle, desktop: &Desktop) {
    let mut events = desktop.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    match &event {
                        DesktopEvent::Notify {
                            title,
                            body,
                            folder,
                            ..
                        } => notify::show(&app, title, body, folder.clone()),
                        DesktopEvent::Pending { .. } => window::show(&app),
                        _ => {}
                    }
                    let _ = app.emit("desktop", &event);
                }
                // Missed some: the list is re-read by the screens on the next event anyway.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    let _ = app.emit("desktop", &DesktopEvent::State);
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}
