//! The layering the server relies on, checked on its own source: a unit of work is one store
//! operation, written in its domain's `units.rs` (or the store itself), so no service, handler
//! or background task ever opens a transaction.

use std::path::{Path, PathBuf};

const OPENS_A_TRANSACTION: [&str; 3] = [
    ".transaction(",
    ".transaction_with(",
    ".locking_transaction(",
];

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the source folder") {
        let path = entry.expect("a source entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

fn may_open_transactions(path: &Path, src: &Path) -> bool {
    let relative = path.strip_prefix(src).expect("under src");
    relative.starts_with("store") || relative.file_name().is_some_and(|name| name == "units.rs")
}

#[test]
fn only_units_of_work_open_transactions() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let (mut offenders, mut units) = (Vec::new(), 0usize);
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read a source file");
        let opened = text
            .lines()
            .filter(|line| OPENS_A_TRANSACTION.iter().any(|call| line.contains(call)))
            .count();
        if may_open_transactions(path, &src) {
            units += opened;
        } else if opened > 0 {
            offenders.push(format!("{} ({opened})", path.display()));
        }
    }
    assert!(
        offenders.is_empty(),
        "these files open transactions outside a units module: {offenders:?}"
    );
    // The walk really saw the code: every domain's units of work open theirs.
    assert!(
        units >= 40,
        "only {units} transactions found in units modules"
    );
}
