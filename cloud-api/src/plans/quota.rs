//! The one rule a plan applies to bytes about to be stored, shared by a submitted torrent, an
//! agent's chosen files and a Seedr copy, so the three cannot drift apart.

use tseeder_protocol::Plan;

/// Why a plan refuses bytes about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SizeRefusal {
    /// More than one job of the plan may hold.
    TooLargeForOneJob { bytes: u64, max: u64, plan: String },
    /// With what is stored and what unfinished jobs will store, past the plan's storage.
    PastStorage { bytes: u64, max: u64, plan: String },
}

/// Whether `plan` takes `bytes` more for one job, when the organization's stored files and its
/// other unfinished jobs already come to `committed`. A job kept on a member's own device
/// (`stored_in_cloud` false) stores nothing in the cloud, so it only has to fit in one job.
pub fn refuse_size(
    plan: &Plan,
    bytes: u64,
    committed: u64,
    stored_in_cloud: bool,
) -> Option<SizeRefusal> {
    if bytes > plan.max_job_bytes {
        Some(SizeRefusal::TooLargeForOneJob {
            bytes,
            max: plan.max_job_bytes,
            plan: plan.name.clone(),
        })
    } else if stored_in_cloud && committed.saturating_add(bytes) > plan.max_storage_bytes {
        Some(SizeRefusal::PastStorage {
            bytes,
            max: plan.max_storage_bytes,
            plan: plan.name.clone(),
        })
    } else {
        None
    }
}

impl SizeRefusal {
    /// What to tell the user, naming what was weighed in the plural ("the chosen files").
    pub fn message(&self, what: &str) -> String {
        match self {
            SizeRefusal::TooLargeForOneJob { bytes, max, plan } => {
                format!("{what} take {bytes} bytes; the {plan} plan allows up to {max} bytes per job")
            }
            SizeRefusal::PastStorage { bytes, max, plan } => format!(
                "{what} ({bytes} bytes) with your unfinished jobs would take your storage past the {plan} plan's {max} bytes"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            id: "free".into(),
            name: "Free".into(),
            max_active_jobs: 2,
            max_storage_bytes: 1000,
            max_job_bytes: 600,
            retention_days: 7,
            price_cents: 0,
        }
    }

    #[test]
    fn one_job_may_not_exceed_the_plans_job_size_even_on_a_device() {
        let refused = refuse_size(&plan(), 601, 0, false).expect("refused");
        assert_eq!(
            refused.message("the chosen files"),
            "the chosen files take 601 bytes; the Free plan allows up to 600 bytes per job"
        );
        assert_eq!(refuse_size(&plan(), 600, 0, false), None);
    }

    #[test]
    fn storage_counts_what_is_stored_and_reserved_but_not_device_jobs() {
        assert_eq!(
            refuse_size(&plan(), 500, 500, true),
            None,
            "exactly full is allowed"
        );
        let refused = refuse_size(&plan(), 501, 500, true).expect("refused");
        assert!(matches!(
            refused,
            SizeRefusal::PastStorage {
                bytes: 501,
                max: 1000,
                ..
            }
        ));
        assert!(refused.message("the files").contains("unfinished jobs"));
        assert_eq!(
            refuse_size(&plan(), 501, 500, false),
            None,
            "a device stores nothing"
        );
        assert!(
            refuse_size(&plan(), 1, u64::MAX, true).is_some(),
            "no overflow"
        );
    }
}
