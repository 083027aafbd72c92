//! The tray icon: open or close the window, pause or resume everything, quit. Downloads keep
//! running while the window is closed.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::Manager;

pub fn create(app: &tauri::AppHandle) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show / hide tseeder", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause-all", "Pause all", true, None::<&str>)?;
    let resume = MenuItem::with_id(app, "resume-all", "Resume all", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&show, &pause, &resume, &separator, &quit])?;
    let mut tray = TrayIconBuilder::with_id("main")
        .tooltip("tseeder")
        .menu(&menu)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "show" => crate::window::toggle(app),
            "pause-all" | "resume-all" => {
                let app = app.clone();
                let pause = event.id().as_ref() == "pause-all";
                tauri::async_runtime::spawn(async move {
                    let desktop = app.state::<crate::core::Core>().ready().await;
                    let done = if pause {
                        desktop.pause_all().await
                    } else {
                        desktop.resume_all().await
                    };
                    if let Err(err) = done {
                        tracing::warn!(%err, "pause/resume all failed");
                    }
                });
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}
