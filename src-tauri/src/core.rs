//! The core, opened beside the window rather than before it: its start (the SQLite file, the
//! engine, the keyring) runs while WebKit starts its processes and loads the page, and whatever
//! needs the core (a command from the page, a link, the tray) waits for it here.

use std::sync::OnceLock;
use tokio::sync::Notify;
use tseeder_desktop::Desktop;

#[derive(Debug, Default)]
pub struct Core {
    desktop: OnceLock<Desktop>,
    opened: Notify,
}

impl Core {
    /// The core, once it is open.
    pub async fn ready(&self) -> Desktop {
        loop {
            // Registered before the check, so an opening in between is not missed.
            let opened = self.opened.notified();
            if let Some(desktop) = self.desktop.get() {
                return desktop.clone();
            }
            opened.await;
        }
    }

    /// The core if it is open already.
    pub fn now(&self) -> Option<Desktop> {
        self.desktop.get().cloned()
    }

    pub fn set(&self, desktop: Desktop) {
        let _ = self.desktop.set(desktop);
        self.opened.notify_waiters();
    }
}
