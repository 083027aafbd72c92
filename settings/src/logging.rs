//! Log output of the server programs: human-readable lines on a terminal, or one JSON object
//! per line (`<PREFIX>LOG_FORMAT=json`) for log collectors, which then see each request's span
//! fields (its `request_id` among them) as structured data.

use tracing_subscriber::EnvFilter;

/// Starts logging with the filter in `<prefix>LOG` (else `default_filter`) and the format in
/// `<prefix>LOG_FORMAT` (`text`, the default, or `json`).
pub fn init(prefix: &str, default_filter: &str) -> Result<(), String> {
    let filter = EnvFilter::try_from_env(format!("{prefix}LOG"))
        .unwrap_or_else(|_| EnvFilter::new(default_filter));
    let format_var = format!("{prefix}LOG_FORMAT");
    let format = std::env::var(&format_var).unwrap_or_default();
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format.as_str() {
        "" | "text" => builder.init(),
        "json" => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        other => {
            return Err(format!(
                "{format_var} is `{other}`; it can be `text` (the default) or `json`"
            ))
        }
    }
    Ok(())
}
