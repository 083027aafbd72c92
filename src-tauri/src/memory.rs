//! Gives back the memory the window used once it is gone. WebKitGTK runs part of itself inside
//! the app's own process (GTK's GL context through Mesa and LLVM, WebKit's UI side,
//! JavaScriptCore), and after the web view is destroyed those libraries' pages stay mapped and
//! resident, and glibc keeps the heap they freed for reuse: the tray app would hold on to a
//! hundred MiB and more that nothing uses until the window opens again. Here the freed heap goes
//! back to the system and the process lets go of the pages of its read-only file mappings: they
//! stay in the kernel's file cache, where any process may reuse them and the kernel may reclaim
//! them, and whatever runs next (the core, the tray's menu, a reopened window) maps the pages
//! it touches again from there, unchanged.

/// Releases what the closed window left behind (Linux with glibc; elsewhere nothing to do).
pub fn release_window_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    linux::release();
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
mod linux {
    use std::ffi::c_void;

    pub fn release() {
        // SAFETY: malloc_trim only hands free heap pages back to the kernel; no live allocation
        // is touched.
        unsafe { libc::malloc_trim(0) };
        let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else {
            return;
        };
        let mut released = 0usize;
        for mapping in Mapping::parse_all(&smaps) {
            if !mapping.is_pristine_file() {
                continue;
            }
            // SAFETY: the range is one whole mapping of this process, read from its own map a
            // moment ago: a private, read-only mapping of a file in which no page was ever
            // written (no anonymous copy exists). Dropping such pages loses nothing: the next
            // access reads the same bytes back from the file's cache. The mappings are the
            // libraries' code and constants, which stay loaded for the app's lifetime.
            let refused = unsafe {
                libc::madvise(
                    mapping.start as *mut c_void,
                    mapping.end - mapping.start,
                    libc::MADV_DONTNEED,
                )
            };
            if refused == 0 {
                released += mapping.end - mapping.start;
            }
        }
        tracing::debug!(
            mapped_mib = released >> 20,
            "the closed window's memory was handed back"
        );
    }

    /// One mapping of `/proc/self/smaps`: its header "start-end perms offset dev inode path"
    /// and, of its fields, how much of it holds anonymous (written) pages.
    #[derive(Debug, PartialEq)]
    pub(super) struct Mapping<'a> {
        pub start: usize,
        pub end: usize,
        pub perms: &'a str,
        pub inode: &'a str,
        pub path: &'a str,
        pub anonymous_kib: Option<u64>,
    }

    impl<'a> Mapping<'a> {
        pub fn parse_all(smaps: &'a str) -> Vec<Mapping<'a>> {
            let mut mappings: Vec<Mapping<'a>> = Vec::new();
            for line in smaps.lines() {
                if let Some(mapping) = Mapping::header(line) {
                    mappings.push(mapping);
                } else if let (Some(last), Some(kib)) = (
                    mappings.last_mut(),
                    line.strip_prefix("Anonymous:")
                        .and_then(|rest| rest.trim().strip_suffix("kB"))
                        .and_then(|kib| kib.trim().parse().ok()),
                ) {
                    last.anonymous_kib = Some(kib);
                }
            }
            mappings
        }

        fn header(line: &'a str) -> Option<Mapping<'a>> {
            let mut fields = line.splitn(6, ' ');
            let (start, end) = fields.next()?.split_once('-')?;
            let perms = fields.next()?;
            let _offset = fields.next()?;
            let _device = fields.next()?;
            let inode = fields.next()?;
            if perms.len() != 4 || inode.parse::<u64>().is_err() {
                return None;
            }
            Some(Mapping {
                start: usize::from_str_radix(start, 16).ok()?,
                end: usize::from_str_radix(end, 16).ok()?,
                perms,
                inode,
                path: fields.next().unwrap_or("").trim_start(),
                anonymous_kib: None,
            })
        }

        /// A private mapping of a file that cannot be written and never was: its pages are
        /// the file's own, so they can be dropped and read again. Anything writable, shared,
        /// anonymous or holding a written copy of a page (relocations) is left alone.
        pub fn is_pristine_file(&self) -> bool {
            let perms = self.perms.as_bytes();
            self.inode != "0"
                && self.path.starts_with('/')
                && perms[1] == b'-'
                && perms[3] == b'p'
                && self.anonymous_kib == Some(0)
                && self.end > self.start
        }
    }

    #[cfg(test)]
    mod tests {
        use super::Mapping;

        const SMAPS: &str = "\
7f3a1c000000-7f3a1c200000 r-xp 00010000 fd:01 1234567                    /usr/lib/x86_64-linux-gnu/libLLVM.so.19.1
Size:               2048 kB
Rss:                1024 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me
7f3a1c200000-7f3a1c210000 r--p 00210000 fd:01 1234567                    /usr/lib/x86_64-linux-gnu/libLLVM.so.19.1
Size:                 64 kB
Anonymous:            64 kB
7f3a1c210000-7f3a1c220000 rw-p 00220000 fd:01 1234567                    /usr/lib/x86_64-linux-gnu/libLLVM.so.19.1
Anonymous:             0 kB
55d0c0a00000-55d0c0c00000 rw-p 00000000 00:00 0                          [heap]
Anonymous:          2048 kB
7ffd5e9f0000-7ffd5e9f2000 r-xp 00000000 00:00 0                          [vdso]
Anonymous:             0 kB
7f3a1c400000-7f3a1c600000 r--s 00000000 00:05 98                         /SYSV00000000 (deleted)
Anonymous:             0 kB
7f00-8f00 r--p 00000000 fd:01 42   /home/a user/My Fonts/x.ttf
Anonymous:             0 kB
7f3a1c700000-7f3a1c800000 r--p 00000000 fd:01 43                         /usr/share/icons/cache
";

        #[test]
        fn only_pristine_read_only_file_pages_are_dropped() {
            let mappings = Mapping::parse_all(SMAPS);
            assert_eq!(mappings.len(), 8);
            let dropped: Vec<(usize, &str)> = mappings
                .iter()
                .filter(|m| m.is_pristine_file())
                .map(|m| (m.start, m.path))
                .collect();
            assert_eq!(
                dropped,
                vec![
                    (
                        0x7f3a_1c00_0000,
                        "/usr/lib/x86_64-linux-gnu/libLLVM.so.19.1"
                    ),
                    (0x7f00, "/home/a user/My Fonts/x.ttf"),
                ],
                "code and untouched constants only: not relocated constants, writable data, \
                 the heap, the vDSO, shared memory, or a mapping whose fields were not read"
            );
        }
    }
}
