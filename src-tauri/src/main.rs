//! The tseeder desktop app.
fn main() {}
