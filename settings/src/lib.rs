//! How every tseeder program reads its settings: defaults in code, then an optional TOML file,
//! then environment variables with the program's prefix (nested keys joined with `__`). A key
//! that is not a setting stops the load and names the nearest one, because serde alone would
//! drop a misspelt key without a word and the program would run on its default.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub mod logging;
pub mod shutdown;

/// Where a program's settings come from.
#[derive(Debug, Clone)]
pub struct Sources<'a> {
    pub file: Option<&'a Path>,
    /// `TSEEDER_` for the control plane, `TSEEDER_AGENT_` for the agent.
    pub env_prefix: &'a str,
    /// Variables under the prefix that are not settings (after the prefix): exact names, or
    /// prefixes when they end with `_` (other programs' variables, e.g. `AGENT_`).
    pub env_not_settings: &'a [&'a str],
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("config file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("{origin}: `{key}` is not a setting; the nearest one is `{nearest}`")]
    Unknown {
        /// The file, or "environment variable".
        origin: String,
        /// As it was written: a dotted key in a file, the variable's name in the environment.
        key: String,
        nearest: String,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Loads `T` from its defaults, the file and the environment, refusing unknown keys.
pub fn load<T>(sources: &Sources<'_>) -> Result<T, SettingsError>
where
    T: Serialize + DeserializeOwned + Default,
{
    let defaults = T::default();
    let known = serde_json::to_value(&defaults)
        .map_err(|err| SettingsError::Invalid(format!("settings are not a table: {err}")))?;
    let mut figment = Figment::from(Serialized::defaults(defaults));
    if let Some(path) = sources.file {
        if !path.exists() {
            return Err(SettingsError::MissingFile(path.to_owned()));
        }
        let written = provided(Figment::from(Toml::file(path)))?;
        if let Some((key, nearest)) = first_unknown(&known, &written) {
            return Err(SettingsError::Unknown {
                origin: path.display().to_string(),
                key,
                nearest,
            });
        }
        figment = figment.merge(Toml::file(path));
    }
    let env = environment(sources);
    let exported = provided(Figment::from(env.clone()))?;
    if let Some((key, nearest)) = first_unknown(&known, &exported) {
        return Err(SettingsError::Unknown {
            origin: "environment variable".to_owned(),
            key: variable_name(sources.env_prefix, &key),
            nearest: variable_name(sources.env_prefix, &nearest),
        });
    }
    figment
        .merge(env)
        .extract()
        .map_err(|err| SettingsError::Invalid(err.to_string()))
}

fn environment(sources: &Sources<'_>) -> Env {
    let not_settings: Vec<String> = sources
        .env_not_settings
        .iter()
        .map(|name| name.to_ascii_lowercase())
        .collect();
    Env::prefixed(sources.env_prefix)
        .filter(move |key| {
            let key = key.as_str().to_ascii_lowercase();
            !not_settings.iter().any(|name| {
                if name.ends_with('_') {
                    key.starts_with(name.as_str())
                } else {
                    key == *name
                }
            })
        })
        .split("__")
}

fn provided(figment: Figment) -> Result<Value, SettingsError> {
    figment
        .extract::<Value>()
        .map_err(|err| SettingsError::Invalid(err.to_string()))
}

/// The first key of `given` that `known` (the defaults, every setting present) lacks, with the
/// known key nearest to it.
fn first_unknown(known: &Value, given: &Value) -> Option<(String, String)> {
    let mut unknown = Vec::new();
    walk(known, given, "", &mut unknown);
    let key = unknown.into_iter().next()?;
    let mut names = Vec::new();
    known_keys(known, "", &mut names);
    // Jaro-Winkler weighs a shared beginning, so `mail.smtp` finds `mail.smtp_url` rather
    // than the equally distant `mail.from`.
    let nearest = names
        .into_iter()
        .max_by(|a, b| strsim::jaro_winkler(a, &key).total_cmp(&strsim::jaro_winkler(b, &key)))
        .unwrap_or_default();
    Some((key, nearest))
}

fn walk(known: &Value, given: &Value, at: &str, unknown: &mut Vec<String>) {
    let (Value::Object(known), Value::Object(given)) = (known, given) else {
        return;
    };
    // Every field of a settings struct is in its defaults, so a table empty there is a map
    // (plan id → price…) whose keys are the operator's to choose.
    if known.is_empty() {
        return;
    }
    for (key, value) in given {
        let path = join(at, key);
        match known.get(key) {
            Some(inner) => walk(inner, value, &path, unknown),
            None => unknown.push(path),
        }
    }
}

fn known_keys(known: &Value, at: &str, names: &mut Vec<String>) {
    if let Value::Object(table) = known {
        for (key, value) in table {
            let path = join(at, key);
            known_keys(value, &path, names);
            names.push(path);
        }
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

/// `mail.smtp_url` under `TSEEDER_` is `TSEEDER_MAIL__SMTP_URL`.
fn variable_name(prefix: &str, key: &str) -> String {
    format!("{prefix}{}", key.replace('.', "__").to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Default, Serialize, Deserialize)]
    #[serde(default)]
    struct Example {
        listen: String,
        public_url: Option<String>,
        database: Database,
        mail: Mail,
        prices: std::collections::BTreeMap<String, String>,
    }

    #[derive(Debug, Default, Serialize, Deserialize)]
    #[serde(default)]
    struct Database {
        url: Option<String>,
    }

    #[derive(Debug, Default, Serialize, Deserialize)]
    #[serde(default)]
    struct Mail {
        from: String,
        smtp_url: Option<String>,
    }

    const SOURCES: Sources<'static> = Sources {
        file: None,
        env_prefix: "EXAMPLE_",
        env_not_settings: &["CONFIG", "AGENT_"],
    };

    fn with_file(path: &Path) -> Sources<'_> {
        Sources {
            file: Some(path),
            ..SOURCES
        }
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
    fn known_keys_load_from_file_and_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "t.toml",
                "public_url = \"https://x\"\n[mail]\nfrom = \"a@b\"\n",
            )?;
            jail.set_env("EXAMPLE_DATABASE__URL", "postgres://db/t");
            jail.set_env("EXAMPLE_CONFIG", "t.toml");
            jail.set_env("EXAMPLE_AGENT_TOKEN", "another program's");
            let loaded: Example = load(&with_file(Path::new("t.toml"))).expect("loads");
            assert_eq!(loaded.public_url.as_deref(), Some("https://x"));
            assert_eq!(loaded.mail.from, "a@b");
            assert_eq!(loaded.database.url.as_deref(), Some("postgres://db/t"));
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
    fn a_misspelt_variable_names_the_setting_it_meant() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("EXAMPLE_DATABASE_URL", "postgres://db/t");
            let refused = load::<Example>(&SOURCES).expect_err("refused");
            assert_eq!(
                refused.to_string(),
                "environment variable: `EXAMPLE_DATABASE_URL` is not a setting; \
                 the nearest one is `EXAMPLE_DATABASE__URL`"
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
    fn a_misspelt_key_in_the_file_names_the_setting_it_meant() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("t.toml", "[mail]\nform = \"a@b\"\n")?;
            let refused = load::<Example>(&with_file(Path::new("t.toml"))).expect_err("refused");
            assert_eq!(
                refused.to_string(),
                "t.toml: `mail.form` is not a setting; the nearest one is `mail.from`"
            );
            jail.create_file("t.toml", "[maill]\nfrom = \"a@b\"\n")?;
            let refused = load::<Example>(&with_file(Path::new("t.toml"))).expect_err("refused");
            assert!(
                refused
                    .to_string()
                    .contains("`maill` is not a setting; the nearest one is `mail`"),
                "{refused}"
            );
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
    fn a_map_takes_keys_of_the_operators_choosing() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("t.toml", "[prices]\npro = \"price_1\"\n")?;
            jail.set_env("EXAMPLE_PRICES__BUSINESS", "price_2");
            let loaded: Example = load(&with_file(Path::new("t.toml"))).expect("loads");
            assert_eq!(
                loaded.prices.get("pro").map(String::as_str),
                Some("price_1")
            );
            assert_eq!(
                loaded.prices.get("business").map(String::as_str),
                Some("price_2")
            );
            Ok(())
        });
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let refused = load::<Example>(&with_file(Path::new("/nonexistent/t.toml")));
        assert!(matches!(refused, Err(SettingsError::MissingFile(_))));
    }
}
