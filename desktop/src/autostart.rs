//! "Start at login": on Linux an XDG autostart entry (`~/.config/autostart/tseeder.desktop`)
//! that starts the app hidden in the tray. Other systems are not handled here yet.

use std::path::{Path, PathBuf};

/// The flag the autostart entry passes so the app starts in the tray without a window.
pub const HIDDEN_FLAG: &str = "--hidden";

fn entry_path(config_home: &Path) -> PathBuf {
    config_home.join("autostart").join("tseeder.desktop")
}

fn config_home() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
}

/// Writes or removes the autostart entry for the running executable.
pub fn apply(enabled: bool) -> std::io::Result<()> {
    let Some(config) = config_home() else {
        return Ok(());
    };
    let exe = std::env::current_exe()?;
    write_entry(&config, &exe, enabled)
}

pub fn write_entry(config_home: &Path, exe: &Path, enabled: bool) -> std::io::Result<()> {
    let path = entry_path(config_home);
    if !enabled {
        return match std::fs::remove_file(&path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        };
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let exe = exe
        .to_string_lossy()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    std::fs::write(
        &path,
        format!(
            "[Desktop Entry]\nType=Application\nName=tseeder\nExec=\"{exe}\" {HIDDEN_FLAG}\n\
             Icon=tseeder\nTerminal=false\nX-GNOME-Autostart-enabled=true\n"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_is_written_and_removed() {
        let dir = tempfile::tempdir().expect("dir");
        write_entry(dir.path(), Path::new("/opt/tseeder/bin/tseeder"), true).expect("write");
        let text = std::fs::read_to_string(entry_path(dir.path())).expect("read");
        assert!(
            text.contains("Exec=\"/opt/tseeder/bin/tseeder\" --hidden"),
            "{text}"
        );
        write_entry(dir.path(), Path::new("/x"), false).expect("remove");
        assert!(!entry_path(dir.path()).exists());
        write_entry(dir.path(), Path::new("/x"), false).expect("removing twice is fine");
    }
}
