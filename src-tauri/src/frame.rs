//! The window's frame drawn by GTK while WebKit starts. WebKit needs about half a second after
//! the window exists (its web and network processes, then the page's first frame); GTK can draw
//! at once. So the window opens showing a native copy of desktop.html's static frame (the top
//! bar, its tabs and "Loading tseeder…") laid over the web view, and the page removes it once
//! its own frame is on screen (`window_painted`), or, should it never say so, after a time
//! limit. The user sees the same frame either way, just sooner. Measured in docs/benchmarks.md (first paint).

#[cfg(target_os = "linux")]
mod gtk_frame {
    use gtk::prelude::*;
    use std::cell::RefCell;
    use std::f64::consts::{FRAC_PI_2, PI};
    use tauri::WebviewWindow;

    /// Why the native frame goes.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(super) enum Uncovered {
        /// The page's own frame is on screen (`window_painted`).
        PageDrawn,
        /// The page has not said so in a while: its web view is shown rather than a frame that
        /// never goes.
        PageSilent,
    }

    /// desktop.html's words: the brand, the tabs (the first one chosen) and the state.
    pub(super) const BRAND: &str = "tseeder";
    pub(super) const TABS: [&str; 2] = ["Downloads", "Settings"];
    pub(super) const LOADING: &str = "Loading tseeder…";

    thread_local! {
        /// The frame over the current window's web view, while it is there. GTK's widgets
        /// live on the main thread only.
        static SHOWN: RefCell<Option<Shown>> = const { RefCell::new(None) };
        /// Counts the windows covered, so that a time limit set for one never uncovers the next.
        static COVERED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    struct Shown {
        overlay: gtk::Overlay,
        frame: gtk::Widget,
        window: u64,
    }

    /// How long a page may take to say that it is drawn before its web view is shown anyway:
    /// a frame that never went would hide the app. WebKit draws within a second here, and a
    /// cold start on a slow machine within two.
    const SILENT_PAGE_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

    /// The palette of ui/src/styles.css; the frame follows the same light or dark choice as
    /// the page (WebKit takes `prefers-color-scheme` from GTK's settings).
    pub(super) struct Palette {
        pub(super) bg: &'static str,
        pub(super) panel: &'static str,
        pub(super) text: &'static str,
        pub(super) muted: &'static str,
        pub(super) line: &'static str,
        pub(super) accent: &'static str,
        pub(super) accent_wash: &'static str,
    }

    pub(super) const LIGHT: Palette = Palette {
        bg: "#f6f7fb",
        panel: "#ffffff",
        text: "#161a23",
        muted: "#5d6577",
        line: "#dfe3ec",
        accent: "#2457d6",
        accent_wash: "rgba(36, 87, 214, 0.12)",
    };

    pub(super) const DARK: Palette = Palette {
        bg: "#0f1218",
        panel: "#171b24",
        text: "#e6e9f0",
        muted: "#99a1b3",
        line: "#2a3140",
        accent: "#5b8cff",
        accent_wash: "rgba(91, 140, 255, 0.12)",
    };

    fn prefers_dark() -> bool {
        gtk::Settings::default().is_some_and(|settings| {
            settings.is_gtk_application_prefer_dark_theme()
                || settings
                    .gtk_theme_name()
                    .is_some_and(|name| name.to_lowercase().ends_with("dark"))
        })
    }

    /// The frame's style, scoped by class names to its own widgets (the tray's menu is GTK
    /// too). Sizes are the stylesheet's, in pixels at its 15 px base.
    fn stylesheet(palette: &Palette) -> String {
        let Palette {
            bg,
            panel,
            text,
            muted,
            line,
            accent,
            accent_wash,
        } = palette;
        format!(
            ".tseeder-frame {{ background-color: {bg}; color: {text}; font-size: 15px; }}
             .tseeder-topbar {{ background-color: {panel}; border-bottom: 1px solid {line};
                                padding: 9px 19px; }}
             .tseeder-brand {{ font-weight: 700; font-size: 16.5px; color: {text}; }}
             .tseeder-tab {{ padding: 5px 10px; min-height: 23px; border-radius: 8px;
                              color: {muted}; }}
             .tseeder-tab-on {{ color: {accent}; background-color: {accent_wash};
                                font-weight: 600; }}
             .tseeder-state {{ background-color: {panel}; border: 1px dashed {line};
                               border-radius: 10px; padding: 19px; color: {text}; }}",
        )
    }

    fn styled<W: IsA<gtk::Widget>>(widget: W, css: &gtk::CssProvider, classes: &[&str]) -> W {
        let context = widget.style_context();
        context.add_provider(css, gtk::STYLE_PROVIDER_PRIORITY_APPLICATION);
        for class in classes {
            context.add_class(class);
        }
        widget
    }

    /// ui/public/favicon.svg, the brand's mark, drawn at the size the page shows it (24 px):
    /// a blue rounded square with a white arrow down to a line.
    fn brand_mark() -> gtk::DrawingArea {
        let mark = gtk::DrawingArea::new();
        mark.set_size_request(24, 24);
        mark.set_valign(gtk::Align::Center);
        mark.connect_draw(|_, cr| {
            // The SVG's own 32-unit box, scaled to 24 px.
            cr.scale(24.0 / 32.0, 24.0 / 32.0);
            let (size, radius) = (32.0, 7.0);
            cr.new_sub_path();
            cr.arc(size - radius, radius, radius, -FRAC_PI_2, 0.0);
            cr.arc(size - radius, size - radius, radius, 0.0, FRAC_PI_2);
            cr.arc(radius, size - radius, radius, FRAC_PI_2, PI);
            cr.arc(radius, radius, radius, PI, 3.0 * FRAC_PI_2);
            cr.close_path();
            cr.set_source_rgb(36.0 / 255.0, 87.0 / 255.0, 214.0 / 255.0);
            let _ = cr.fill();
            cr.move_to(16.0, 6.0);
            cr.line_to(16.0, 19.0);
            cr.move_to(11.0, 14.0);
            cr.line_to(16.0, 19.0);
            cr.line_to(21.0, 14.0);
            cr.move_to(9.0, 24.0);
            cr.line_to(23.0, 24.0);
            cr.set_source_rgb(1.0, 1.0, 1.0);
            cr.set_line_width(3.0);
            cr.set_line_cap(gtk::cairo::LineCap::Round);
            cr.set_line_join(gtk::cairo::LineJoin::Round);
            let _ = cr.stroke();
            gtk::glib::Propagation::Stop
        });
        mark
    }

    fn frame_widget() -> Result<gtk::Widget, gtk::glib::Error> {
        let css = gtk::CssProvider::new();
        let palette = if prefers_dark() { &DARK } else { &LIGHT };
        css.load_from_data(stylesheet(palette).as_bytes())?;

        let brand = gtk::Box::new(gtk::Orientation::Horizontal, 8);
        brand.pack_start(&brand_mark(), false, false, 0);
        brand.pack_start(
            &styled(gtk::Label::new(Some(BRAND)), &css, &["tseeder-brand"]),
            false,
            false,
            0,
        );
        let tabs = gtk::Box::new(gtk::Orientation::Horizontal, 4);
        for (index, label) in TABS.into_iter().enumerate() {
            let classes: &[&str] = if index == 0 {
                &["tseeder-tab", "tseeder-tab-on"]
            } else {
                &["tseeder-tab"]
            };
            tabs.pack_start(
                &styled(gtk::Label::new(Some(label)), &css, classes),
                false,
                false,
                0,
            );
        }
        let topbar = styled(
            gtk::Box::new(gtk::Orientation::Horizontal, 15),
            &css,
            &["tseeder-topbar"],
        );
        topbar.pack_start(&brand, false, false, 0);
        topbar.pack_start(&tabs, false, false, 0);

        let spinner = gtk::Spinner::new();
        spinner.start();
        let state = styled(
            gtk::Box::new(gtk::Orientation::Horizontal, 6),
            &css,
            &["tseeder-state"],
        );
        state.pack_start(&spinner, false, false, 0);
        state.pack_start(&gtk::Label::new(Some(LOADING)), false, false, 0);
        state.set_valign(gtk::Align::Start);
        state.set_margin_top(19);
        state.set_margin_start(19);
        state.set_margin_end(19);

        let root = styled(
            gtk::Box::new(gtk::Orientation::Vertical, 0),
            &css,
            &["tseeder-frame"],
        );
        root.pack_start(&topbar, false, false, 0);
        root.pack_start(&state, true, true, 0);
        let drawn = std::cell::Cell::new(false);
        root.connect_draw(move |_, _| {
            if !drawn.replace(true) {
                tracing::debug!("start-up: the native frame is drawn");
            }
            gtk::glib::Propagation::Proceed
        });
        Ok(root.upcast())
    }

    /// Lays the frame over `window`'s web view. Called on the main thread before the window
    /// is first shown, so nothing is moved once it is on screen.
    pub fn cover(window: &WebviewWindow) {
        let (Ok(gtk_window), Ok(content)) = (window.gtk_window(), window.default_vbox()) else {
            return;
        };
        let frame = match frame_widget() {
            Ok(frame) => frame,
            Err(err) => {
                tracing::warn!(%err, "could not draw the window's frame");
                return;
            }
        };
        let overlay = gtk::Overlay::new();
        gtk_window.remove(&content);
        overlay.add(&content);
        overlay.add_overlay(&frame);
        gtk_window.add(&overlay);
        overlay.show_all();
        let window = COVERED.with(|covered| covered.get() + 1);
        COVERED.with(|covered| covered.set(window));
        SHOWN.with(|shown| {
            shown.replace(Some(Shown {
                overlay,
                frame,
                window,
            }))
        });
        gtk::glib::timeout_add_local_once(SILENT_PAGE_LIMIT, move || {
            let still_this_window = SHOWN.with(|shown| {
                shown
                    .borrow()
                    .as_ref()
                    .is_some_and(|shown| shown.window == window)
            });
            if still_this_window {
                uncover(Uncovered::PageSilent);
            }
        });
    }

    /// Takes the frame away, showing the web view under it; nothing when it is gone already.
    pub fn uncover(reason: Uncovered) {
        if let Some(Shown { overlay, frame, .. }) = SHOWN.with(RefCell::take) {
            overlay.remove(&frame);
            match reason {
                Uncovered::PageDrawn => {
                    tracing::debug!("start-up: the page's frame replaced the native one");
                }
                Uncovered::PageSilent => {
                    tracing::warn!(
                        "the page never said it was drawn; its web view is shown anyway"
                    );
                }
            }
        }
    }
}

/// See the module's comment: lays the native frame over a new window's web view.
pub fn cover(window: &tauri::WebviewWindow) {
    #[cfg(target_os = "linux")]
    gtk_frame::cover(window);
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// The page's own frame is on screen: removes the native one, showing the web view. Callable
/// from any thread.
pub fn page_drawn(app: &tauri::AppHandle) {
    #[cfg(target_os = "linux")]
    if let Err(err) = app.run_on_main_thread(|| gtk_frame::uncover(gtk_frame::Uncovered::PageDrawn))
    {
        tracing::warn!(%err, "could not reach the window thread");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = app;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::gtk_frame::{Palette, BRAND, DARK, LIGHT, LOADING, TABS};

    const PAGE: &str = include_str!("../../ui/desktop.html");
    const STYLES: &str = include_str!("../../ui/src/styles.css");

    #[test]
    fn the_native_frame_says_what_the_page_says() {
        assert!(PAGE.contains(&format!(" {BRAND}</span>")), "the brand");
        let chosen = format!(r#"class="on" aria-current="true">{}</button>"#, TABS[0]);
        assert!(PAGE.contains(&chosen), "the first tab is the chosen one");
        for tab in TABS {
            assert!(PAGE.contains(&format!(">{tab}</button>")), "the tab {tab}");
        }
        assert!(PAGE.contains(LOADING), "the loading state");
        let tabs_in_page = PAGE.matches("</button>").count();
        assert_eq!(
            tabs_in_page,
            TABS.len(),
            "the page's frame has other buttons"
        );
    }

    #[test]
    fn the_native_frame_has_the_stylesheets_colours() {
        let (light, dark) = STYLES
            .split_once("@media (prefers-color-scheme: dark)")
            .expect("the stylesheet's dark palette");
        for (palette, css) in [(&LIGHT, light), (&DARK, dark)] {
            let Palette {
                bg,
                panel,
                text,
                muted,
                line,
                accent,
                accent_wash: _,
            } = palette;
            for (name, colour) in [
                ("bg", bg),
                ("panel", panel),
                ("text", text),
                ("muted", muted),
                ("line", line),
                ("accent", accent),
            ] {
                assert!(
                    css.contains(&format!("--{name}: {colour};")),
                    "--{name} is not {colour}"
                );
            }
        }
    }
}
