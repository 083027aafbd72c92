//! What the heartbeat tells operators about the machine: CPU, memory in use, free disk.

use std::path::{Path, PathBuf};
use sysinfo::{Disks, System};

#[derive(Debug)]
pub struct Vitals {
    system: System,
    disks: Disks,
    work_dir: PathBuf,
}

#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub cpu_percent: f32,
    pub memory_bytes: u64,
    pub disk_free_bytes: Option<u64>,
}

impl Vitals {
    pub fn new(work_dir: &Path) -> Vitals {
        Vitals {
            system: System::new(),
            disks: Disks::new_with_refreshed_list(),
            work_dir: std::fs::canonicalize(work_dir).unwrap_or_else(|_| work_dir.to_path_buf()),
        }
    }

    pub fn sample(&mut self) -> Sample {
        self.system.refresh_cpu_usage();
        self.system.refresh_memory();
        self.disks.refresh(true);
        // The disk holding the work folder: the longest mount point that contains it.
        let disk_free_bytes = self
            .disks
            .list()
            .iter()
            .filter(|d| self.work_dir.starts_with(d.mount_point()))
            .max_by_key(|d| d.mount_point().as_os_str().len())
            .map(|d| d.available_space());
        Sample {
            cpu_percent: self.system.global_cpu_usage(),
            memory_bytes: self.system.used_memory(),
            disk_free_bytes,
        }
    }
}
