//! Add-on faults: how the next create or update of an add-on ends when it should not end
//! `ACTIVE` (`CREATE_FAILED`, `UPDATE_FAILED`, `DEGRADED`), with the health issues EKS would
//! report; and the admin's direct change of an add-on's health.

use serde::Deserialize;

use super::model::{AddonIssue, AddonStatus, Change, Outcome, Pending};
use super::{Addon, World};
use crate::error::{ApiError, ErrorKind};

/// The admin request body of `POST /_emulator/addon-faults`.
///
/// | field | meaning |
/// |---|---|
/// | `status` | `CREATE_FAILED` (the next CreateAddon settles so), `UPDATE_FAILED` (the next UpdateAddon: the update `Failed`, its changes undone), `DEGRADED` (the next CreateAddon or UpdateAddon settles `DEGRADED`; an update is still `Successful`) |
/// | `addonName` | only this add-on (absent: any) |
/// | `cluster` | only on this cluster (absent: any) |
/// | `issues` | the `health.issues` to report, `[{code, message, resourceIds?}]`; absent: one issue as EKS reports it for that status |
/// | `count` | how many changes the fault applies to (default 1, at least 1); not with `forever` |
/// | `forever` | `true`: until cleared (`DELETE /_emulator/addon-faults` or reset) |
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddonFaultSpec {
    pub status: AddonStatus,
    #[serde(default)]
    pub addon_name: Option<String>,
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub issues: Option<Vec<AddonIssue>>,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default)]
    pub forever: bool,
}

#[derive(Debug, Clone)]
pub(in crate::world) struct AddonFault {
    outcome: Outcome,
    addon_name: Option<String>,
    cluster: Option<String>,
    /// `None`: never runs out.
    remaining: Option<u32>,
}

impl AddonFaultSpec {
    fn into_fault(self) -> Result<AddonFault, ApiError> {
        let bad = |message: &str| ApiError::new(ErrorKind::BadRequest, message);
        if !matches!(
            self.status,
            AddonStatus::CreateFailed | AddonStatus::UpdateFailed | AddonStatus::Degraded
        ) {
            return Err(bad(
                "status must be CREATE_FAILED, UPDATE_FAILED or DEGRADED.",
            ));
        }
        let remaining = match (self.forever, self.count) {
            (_, Some(0)) => return Err(bad("count must be at least 1.")),
            (true, Some(_)) => return Err(bad("a fault with forever: true has no count.")),
            (true, None) => None,
            (false, count) => Some(count.unwrap_or(1)),
        };
        let issues = self
            .issues
            .unwrap_or_else(|| default_issues(self.status, self.addon_name.as_deref()));
        Ok(AddonFault {
            outcome: Outcome {
                status: self.status,
                issues,
            },
            addon_name: self.addon_name,
            cluster: self.cluster,
            remaining,
        })
    }
}

/// The issue EKS reports for each status: `InsufficientNumberOfReplicas` for a degraded add-on
/// (as DescribeAddon shows it in aws-ia/terraform-aws-eks-blueprints-addons#335), a
/// `ConfigurationConflict` for a failed create or update (the message EKS gives when
/// `resolveConflicts` stops it; its list of conflicting fields is left out).
pub fn default_issues(status: AddonStatus, addon_name: Option<&str>) -> Vec<AddonIssue> {
    match status {
        AddonStatus::Degraded => vec![AddonIssue {
            code: "InsufficientNumberOfReplicas".to_owned(),
            message:
                "The add-on is unhealthy because it doesn't have the desired number of replicas."
                    .to_owned(),
            resource_ids: None,
        }],
        AddonStatus::CreateFailed | AddonStatus::UpdateFailed | AddonStatus::DeleteFailed => {
            vec![AddonIssue {
                code: "ConfigurationConflict".to_owned(),
                message: format!(
                    "Conflicts found when trying to apply. Will not continue due to resolve conflicts mode. Conflicts: {}",
                    addon_name.unwrap_or("the add-on's resources")
                ),
                resource_ids: None,
            }]
        }
        _ => Vec::new(),
    }
}

impl World {
    pub fn add_addon_fault(&mut self, spec: AddonFaultSpec) -> Result<(), ApiError> {
        self.addon_faults.push(spec.into_fault()?);
        Ok(())
    }

    pub fn clear_addon_faults(&mut self) {
        self.addon_faults.clear();
    }

    /// How the change starting now (`Creating` or `Updating`) ends, if an add-on fault applies
    /// (consumes one of its counts).
    pub(super) fn take_addon_outcome(
        &mut self,
        cluster: &str,
        addon_name: &str,
        change: AddonStatus,
    ) -> Option<Outcome> {
        let index = self.addon_faults.iter().position(|fault| {
            let applies_to_change = match fault.outcome.status {
                AddonStatus::CreateFailed => change == AddonStatus::Creating,
                AddonStatus::UpdateFailed => change == AddonStatus::Updating,
                _ => true,
            };
            applies_to_change
                && fault.cluster.as_deref().is_none_or(|c| c == cluster)
                && fault.addon_name.as_deref().is_none_or(|a| a == addon_name)
        })?;
        let fault = &mut self.addon_faults[index];
        let outcome = fault.outcome.clone();
        if let Some(remaining) = fault.remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                self.addon_faults.remove(index);
            }
        }
        Some(outcome)
    }

    /// Admin: the add-on's status and health issues from now on (a change under way is
    /// abandoned). `ACTIVE` clears the issues; other statuses without issues get the one EKS
    /// reports for them.
    pub fn set_addon_health(
        &mut self,
        cluster_name: &str,
        addon_name: &str,
        status: AddonStatus,
        issues: Option<Vec<AddonIssue>>,
    ) -> Result<Addon, ApiError> {
        if status.in_transition() {
            return Err(ApiError::new(
                ErrorKind::BadRequest,
                "status must be ACTIVE, DEGRADED, CREATE_FAILED, UPDATE_FAILED or DELETE_FAILED.",
            ));
        }
        let addon = self.addon_mut(cluster_name, addon_name)?;
        addon.status = status;
        addon.health.issues = issues.unwrap_or_else(|| default_issues(status, Some(addon_name)));
        if let Some(Pending {
            change: Change::Update { update_id, .. },
            ..
        }) = addon.pending.take()
        {
            let succeeded = matches!(status, AddonStatus::Active | AddonStatus::Degraded);
            if let Some(update) = addon.updates.iter_mut().find(|u| u.id == update_id) {
                update.status = if succeeded { "Successful" } else { "Failed" };
            }
        }
        addon.modified_at = crate::world::now();
        Ok(addon.clone())
    }
}
