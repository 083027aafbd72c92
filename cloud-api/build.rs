//! Records how far this build of tseeder-cloud was optimised, so `check-config` can tell an
//! operator that the quick build `scripts/run` makes is not the one to serve the public with.

fn main() {
    let level = std::env::var("OPT_LEVEL").unwrap_or_default();
    println!("cargo:rustc-env=BUILD_OPT_LEVEL={level}");
    println!("cargo:rerun-if-changed=build.rs");
}
