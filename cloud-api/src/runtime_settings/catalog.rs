//! Which settings may change at runtime, what values each takes and who may change it; and the
//! values in force, built from the boot settings with the runtime changes laid over them.

use super::store::{Overrides, PlanColumn};
use crate::config::{
    AlertSettings, DispatchSettings, MaintenanceSettings, RegistrationSettings, RetentionSettings,
    Settings,
};
use serde::{Deserialize, Serialize};
use tseeder_protocol::{Role, SettingType};

/// What a setting accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    Boolean,
    Integer {
        min: i64,
        max: i64,
    },
    Text {
        max_chars: usize,
    },
    /// One of these words.
    Choice(&'static [&'static str]),
}

impl Accepts {
    pub fn value_type(self) -> SettingType {
        match self {
            Accepts::Boolean => SettingType::Boolean,
            Accepts::Integer { .. } => SettingType::Integer,
            Accepts::Text { .. } | Accepts::Choice(_) => SettingType::Text,
        }
    }

    /// The bounds of an integer setting.
    pub fn range(self) -> Option<(i64, i64)> {
        match self {
            Accepts::Integer { min, max } => Some((min, max)),
            _ => None,
        }
    }

    /// Why `value` is refused, if it is.
    pub fn refuse(self, value: &serde_json::Value) -> Option<String> {
        match (self, value) {
            (Accepts::Boolean, serde_json::Value::Bool(_)) => None,
            (Accepts::Boolean, _) => Some("must be true or false".into()),
            (Accepts::Integer { min, max }, serde_json::Value::Number(n)) => match n.as_i64() {
                Some(n) if (min..=max).contains(&n) => None,
                _ => Some(format!("must be a whole number from {min} to {max}")),
            },
            (Accepts::Integer { min, max }, _) => {
                Some(format!("must be a whole number from {min} to {max}"))
            }
            (Accepts::Text { max_chars }, serde_json::Value::String(text)) => {
                if text.chars().count() > max_chars {
                    Some(format!("must be at most {max_chars} characters"))
                } else if text.chars().any(|c| c.is_control() && c != '\n') {
                    Some("must not hold control characters".into())
                } else {
                    None
                }
            }
            (Accepts::Text { .. }, _) => Some("must be text".into()),
            (Accepts::Choice(words), serde_json::Value::String(word))
                if words.contains(&word.as_str()) =>
            {
                None
            }
            (Accepts::Choice(words), _) => Some(format!("must be one of {}", words.join(", "))),
        }
    }
}

/// Where a setting's value is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Home {
    /// A field of the boot settings (`section.field`); runtime changes are kept as overrides.
    Boot,
    /// A column of a plan's row, which quota checks read.
    Plan { plan_id: String, column: PlanColumn },
}

#[derive(Debug, Clone)]
pub struct Knob {
    pub key: String,
    pub group: &'static str,
    pub description: String,
    pub accepts: Accepts,
    pub editable_by: Role,
    pub home: Home,
}

const DAY_SECONDS: i64 = 86_400;

/// The settings kept in the boot settings, in the order the console lists them.
const BOOT_KNOBS: &[(&str, &str, &str, Accepts)] = &[
    (
        "registration.open",
        "registration",
        "New users may sign up",
        Accepts::Boolean,
    ),
    (
        "maintenance.banner",
        "maintenance",
        "A notice shown on every page (empty: none)",
        Accepts::Text { max_chars: 500 },
    ),
    (
        "dispatch.lease_seconds",
        "dispatch",
        "A job whose agent is silent this long goes back to the queue",
        Accepts::Integer { min: 5, max: 3600 },
    ),
    (
        "dispatch.stale_after_seconds",
        "dispatch",
        "An agent not heard from this long is stale and gets no new work",
        Accepts::Integer {
            min: 10,
            max: DAY_SECONDS,
        },
    ),
    (
        "dispatch.max_attempts",
        "dispatch",
        "Tries of a job before it is dead-lettered",
        Accepts::Integer { min: 1, max: 100 },
    ),
    (
        "dispatch.backoff_base_seconds",
        "dispatch",
        "Wait before a job's second try, doubled for each further one",
        Accepts::Integer {
            min: 1,
            max: DAY_SECONDS,
        },
    ),
    (
        "dispatch.backoff_max_seconds",
        "dispatch",
        "Longest wait between tries",
        Accepts::Integer {
            min: 1,
            max: 7 * DAY_SECONDS,
        },
    ),
    (
        "dispatch.failover_after_seconds",
        "dispatch",
        "A job that prefers a region goes to any region after waiting this long",
        Accepts::Integer {
            min: 0,
            max: DAY_SECONDS,
        },
    ),
    (
        "dispatch.load_balance_wait_seconds",
        "dispatch",
        "Fairness: a busier agent leaves a fresh job this long to a less loaded one",
        Accepts::Integer { min: 0, max: 3600 },
    ),
    (
        "alerts.queue_wait_minutes",
        "alerts",
        "Alert (and a degraded queue on the status page) when the oldest queued job waited longer",
        Accepts::Integer { min: 1, max: 1440 },
    ),
    (
        "alerts.failed_jobs_per_hour",
        "alerts",
        "Alert when this many jobs failed in the last hour",
        Accepts::Integer {
            min: 1,
            max: 100_000,
        },
    ),
    (
        "alerts.login_failures_per_hour",
        "alerts",
        "Alert when this many sign-ins failed in the last hour",
        Accepts::Integer {
            min: 1,
            max: 100_000,
        },
    ),
    (
        "alerts.storage_quota_percent",
        "alerts",
        "Alert when users have used this share of their storage quota",
        Accepts::Integer { min: 1, max: 100 },
    ),
    (
        "alerts.latency_p95_ms",
        "alerts",
        "Alert when the 95th percentile of request latency over the last 15 minutes is above this",
        Accepts::Integer {
            min: 10,
            max: 600_000,
        },
    ),
    (
        "alerts.error_rate_percent",
        "alerts",
        "Alert when this share of requests over the last 15 minutes was answered with a server error",
        Accepts::Integer { min: 1, max: 100 },
    ),
    (
        "alerts.dead_letter_growth_per_hour",
        "alerts",
        "Alert when dead letters grew by this many over the last hour",
        Accepts::Integer {
            min: 1,
            max: 100_000,
        },
    ),
    (
        "alerts.fleet_use_percent",
        "alerts",
        "Alert when the agents ran this share of what they can over the last 15 minutes while jobs wait",
        Accepts::Integer { min: 1, max: 100 },
    ),
    (
        "providers.active",
        "providers",
        "Where new cloud jobs run: the operator's agents or Seedr.cc (jobs finish where they started)",
        Accepts::Choice(&["agents", "seedr"]),
    ),
    (
        "retention.delete_expired_files",
        "retention",
        "Delete a completed job's files when its plan's retention days have passed",
        Accepts::Boolean,
    ),
    (
        "retention.warn_hours_before",
        "retention",
        "Mail users this many hours before their files are deleted",
        Accepts::Integer {
            min: 1,
            max: 24 * 14,
        },
    ),
    (
        "retention.expired_credentials_days",
        "retention",
        "Days ended sessions and used account tokens are kept",
        Accepts::Integer { min: 1, max: 3650 },
    ),
    (
        "retention.security_events_days",
        "retention",
        "Days security events are kept",
        Accepts::Integer { min: 1, max: 3650 },
    ),
    (
        "retention.job_events_days",
        "retention",
        "Days the events of ended jobs are kept",
        Accepts::Integer { min: 1, max: 3650 },
    ),
    (
        "retention.storage_snapshots_days",
        "retention",
        "Days daily storage snapshots are kept",
        Accepts::Integer { min: 30, max: 3650 },
    ),
    (
        "retention.metric_minutes_hours",
        "retention",
        "Hours per-minute metrics are kept (the 1 h and 24 h charts need 24)",
        Accepts::Integer {
            min: 24,
            max: 24 * 30,
        },
    ),
    (
        "retention.metric_hours_days",
        "retention",
        "Days per-hour metrics are kept (the 7 d chart needs 7)",
        Accepts::Integer { min: 7, max: 3650 },
    ),
];

/// Every runtime setting: the boot ones, then each plan's limits and price.
pub fn knobs(plans: &[(String, String)]) -> Vec<Knob> {
    let boot = BOOT_KNOBS.iter().map(|(key, group, about, accepts)| Knob {
        key: (*key).to_owned(),
        group,
        description: (*about).to_owned(),
        accepts: *accepts,
        // Sending customers' jobs to a third party is the owner's decision.
        editable_by: if key.starts_with("providers.") {
            Role::Superadmin
        } else {
            Role::Admin
        },
        home: Home::Boot,
    });
    let plan = plans.iter().flat_map(|(id, name)| {
        PlanColumn::ALL.into_iter().map(move |column| {
            let (about, max, editable_by) = match column {
                PlanColumn::MaxActiveJobs => ("jobs running at once", 10_000, Role::Admin),
                PlanColumn::MaxStorageBytes => ("bytes of storage", 1 << 53, Role::Admin),
                PlanColumn::MaxJobBytes => ("bytes in one job", 1 << 53, Role::Admin),
                PlanColumn::RetentionDays => {
                    ("days files are kept (0: until deleted)", 3650, Role::Admin)
                }
                // What customers pay is the owner's decision.
                PlanColumn::PriceCents => ("monthly price in cents", 10_000_000, Role::Superadmin),
            };
            Knob {
                key: format!("plans.{id}.{}", column.column()),
                group: "plans",
                description: format!("{name}: {about}"),
                accepts: Accepts::Integer { min: 0, max },
                editable_by,
                home: Home::Plan {
                    plan_id: id.clone(),
                    column,
                },
            }
        })
    });
    let prices = plans.iter().map(|(id, name)| Knob {
        key: format!("{PRICE_PREFIX}{id}"),
        group: "billing",
        description: format!(
            "{name}: the Stripe price (price_…) customers subscribe to through Checkout (empty: not for sale)"
        ),
        accepts: Accepts::Text { max_chars: 255 },
        // What customers pay is the owner's decision.
        editable_by: Role::Superadmin,
        home: Home::Boot,
    });
    boot.chain(plan).chain(prices).collect()
}

/// Runtime keys of the plans' Stripe prices: `billing.prices.<plan id>`.
pub const PRICE_PREFIX: &str = "billing.prices.";

/// The runtime-changeable values in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Runtime {
    pub registration: RegistrationSettings,
    pub maintenance: MaintenanceSettings,
    pub dispatch: DispatchSettings,
    pub alerts: AlertSettings,
    pub retention: RetentionSettings,
    pub providers: ActiveProvider,
    pub billing: BillingPrices,
}

/// The runtime part of billing: which Stripe price sells which plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingPrices {
    pub prices: std::collections::BTreeMap<String, String>,
}

impl BillingPrices {
    /// The Stripe price selling `plan_id`, if it is for sale.
    pub fn price_of(&self, plan_id: &str) -> Option<&str> {
        self.prices
            .get(plan_id)
            .map(|price| price.trim())
            .filter(|price| !price.is_empty())
    }

    /// The plan a Stripe price sells.
    pub fn plan_of(&self, price_id: &str) -> Option<&str> {
        self.prices
            .iter()
            .find(|(_, price)| price.trim() == price_id && !price_id.is_empty())
            .map(|(plan, _)| plan.as_str())
    }
}

/// The runtime part of the providers' settings (the Seedr account stays in the boot settings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveProvider {
    pub active: tseeder_protocol::ProviderKind,
}

impl Runtime {
    /// The boot settings' values, as JSON laid out by section.
    pub fn boot_document(settings: &Settings) -> serde_json::Value {
        serde_json::json!({
            "registration": settings.registration,
            "maintenance": settings.maintenance,
            "dispatch": settings.dispatch,
            "alerts": settings.alerts,
            "retention": settings.retention,
            "providers": { "active": settings.providers.active },
            "billing": { "prices": settings.billing.prices },
        })
    }

    /// A boot setting's value in the boot settings' document ([`Runtime::boot_document`]).
    pub fn boot_value(boot: &serde_json::Value, key: &str) -> Option<serde_json::Value> {
        boot.pointer(&pointer(key)).cloned().or_else(|| {
            // A plan without a price in the boot settings is not for sale.
            key.strip_prefix(PRICE_PREFIX)
                .map(|_| serde_json::Value::String(String::new()))
        })
    }

    /// The boot settings with `overrides` laid over them; overrides of plan settings and of
    /// keys this build does not know are skipped.
    pub fn build(settings: &Settings, overrides: &Overrides) -> Runtime {
        let mut document = Self::boot_document(settings);
        for (key, value) in overrides {
            if let Some(plan) = key.strip_prefix(PRICE_PREFIX) {
                // Plans come and go with the store, so their prices are keys of a map.
                if let Some(prices) = document
                    .pointer_mut("/billing/prices")
                    .and_then(|prices| prices.as_object_mut())
                {
                    prices.insert(plan.to_owned(), value.clone());
                }
            } else if let Some(slot) = document.pointer_mut(&pointer(key)) {
                *slot = value.clone();
            }
        }
        serde_json::from_value(document).unwrap_or_else(|err| {
            tracing::error!(%err, "stored runtime settings do not fit; using the boot settings");
            Runtime::from_boot(settings)
        })
    }

    pub fn from_boot(settings: &Settings) -> Runtime {
        Runtime {
            registration: settings.registration.clone(),
            maintenance: settings.maintenance.clone(),
            dispatch: settings.dispatch.clone(),
            alerts: settings.alerts.clone(),
            retention: settings.retention.clone(),
            providers: ActiveProvider {
                active: settings.providers.active,
            },
            billing: BillingPrices {
                prices: settings.billing.prices.clone(),
            },
        }
    }
}

fn pointer(key: &str) -> String {
    format!("/{}", key.replace('.', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_boot_knob_names_a_boot_setting_of_its_type() {
        let boot = Runtime::boot_document(&Settings::default());
        for knob in knobs(&[]) {
            let value = Runtime::boot_value(&boot, &knob.key)
                .unwrap_or_else(|| panic!("{} is not a boot setting", knob.key));
            assert_eq!(knob.accepts.refuse(&value), None, "{}", knob.key);
        }
    }

    #[test]
    fn overrides_win_over_boot_values_and_bad_ones_fall_back() {
        let settings = Settings::default();
        let mut overrides = Overrides::new();
        overrides.insert("dispatch.max_attempts".into(), 9.into());
        overrides.insert("maintenance.banner".into(), "Upgrade at 22:00".into());
        overrides.insert("plans.pro.price_cents".into(), 1.into());
        let runtime = Runtime::build(&settings, &overrides);
        assert_eq!(runtime.dispatch.max_attempts, 9);
        assert_eq!(runtime.maintenance.banner, "Upgrade at 22:00");
        assert_eq!(
            runtime.dispatch.lease_seconds,
            settings.dispatch.lease_seconds
        );

        overrides.insert("dispatch.max_attempts".into(), "many".into());
        assert_eq!(
            Runtime::build(&settings, &overrides),
            Runtime::from_boot(&settings)
        );
    }

    #[test]
    fn plan_prices_come_from_the_boot_settings_and_runtime_changes() {
        let mut settings = Settings::default();
        settings
            .billing
            .prices
            .insert("pro".into(), "price_boot_pro".into());
        let mut overrides = Overrides::new();
        overrides.insert("billing.prices.business".into(), "price_biz".into());
        let runtime = Runtime::build(&settings, &overrides);
        assert_eq!(runtime.billing.price_of("pro"), Some("price_boot_pro"));
        assert_eq!(runtime.billing.price_of("business"), Some("price_biz"));
        assert_eq!(runtime.billing.plan_of("price_biz"), Some("business"));
        assert_eq!(runtime.billing.price_of("free"), None);
        overrides.insert("billing.prices.pro".into(), "".into());
        let runtime = Runtime::build(&settings, &overrides);
        assert_eq!(runtime.billing.price_of("pro"), None);
        assert_eq!(runtime.billing.plan_of(""), None);
        let boot = Runtime::boot_document(&settings);
        assert_eq!(
            Runtime::boot_value(&boot, "billing.prices.free"),
            Some("".into())
        );
        let keys: Vec<_> = knobs(&[("pro".into(), "Pro".into())])
            .into_iter()
            .filter(|knob| knob.group == "billing")
            .map(|knob| (knob.key, knob.editable_by))
            .collect();
        assert_eq!(keys, vec![("billing.prices.pro".into(), Role::Superadmin)]);
    }

    #[test]
    fn values_are_checked_against_what_the_setting_accepts() {
        let range = Accepts::Integer { min: 1, max: 10 };
        assert_eq!(range.refuse(&5.into()), None);
        assert!(range.refuse(&0.into()).is_some());
        assert!(range.refuse(&1.5.into()).is_some());
        assert!(range.refuse(&"5".into()).is_some());
        assert!(Accepts::Boolean.refuse(&1.into()).is_some());
        let text = Accepts::Text { max_chars: 3 };
        assert_eq!(text.refuse(&"abc".into()), None);
        assert!(text.refuse(&"abcd".into()).is_some());
        assert!(text.refuse(&"a\u{7}".into()).is_some());
    }
}
