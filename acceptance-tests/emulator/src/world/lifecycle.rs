//! Transitional states settling once their delay ([`crate::Delays`]) has passed: clusters
//! `CREATING` → `ACTIVE` and `DELETING` → gone; add-ons `CREATING` → `ACTIVE` (or the outcome an
//! add-on fault chose), `UPDATING` → `ACTIVE` with the update `Successful` (or `DEGRADED`, or
//! `UPDATE_FAILED` with the update `Failed` and its changes undone), `DELETING` → gone.
//!
//! Nothing runs in the background: [`World::settle`] is applied whenever the emulator's state
//! is locked, so every request (and admin call) sees the world as of its arrival.

use std::time::Instant;

use super::addons::{Change, ErrorDetail, Outcome};
use super::{now, Addon, AddonStatus, Cluster, World};
use crate::config::Delays;

impl World {
    /// Settles every cluster and add-on whose delay has passed by `instant`.
    pub fn settle(&mut self, instant: Instant) {
        let mut gone = Vec::new();
        for (name, cluster) in &mut self.clusters {
            if cluster.settles_at.is_some_and(|at| at <= instant) {
                cluster.settles_at = None;
                match cluster.status {
                    "CREATING" => cluster.status = "ACTIVE",
                    "DELETING" => gone.push(name.clone()),
                    _ => {}
                }
            }
            settle_addons(cluster, instant);
        }
        for name in gone {
            self.remove_cluster(&name);
        }
    }

    /// From the next change on; changes under way keep the delay they started with.
    pub fn set_delays(&mut self, delays: Delays) {
        self.delays = delays;
    }
}

fn settle_addons(cluster: &mut Cluster, instant: Instant) {
    let due: Vec<String> = cluster
        .addons
        .iter()
        .filter(|(_, addon)| addon.pending.as_ref().is_some_and(|p| p.at <= instant))
        .map(|(name, _)| name.clone())
        .collect();
    for name in due {
        let Some(addon) = cluster.addons.get_mut(&name) else {
            continue;
        };
        let Some(pending) = addon.pending.take() else {
            continue;
        };
        addon.modified_at = now();
        match pending.change {
            Change::Create { outcome } => end_in(addon, outcome),
            Change::Update {
                update_id,
                outcome,
                previous,
            } => {
                let failed = outcome
                    .as_ref()
                    .filter(|o| o.status == AddonStatus::UpdateFailed)
                    .map(|o| o.issues.clone());
                if let Some(update) = addon.updates.iter_mut().find(|u| u.id == update_id) {
                    update.status = if failed.is_some() {
                        "Failed"
                    } else {
                        "Successful"
                    };
                    update.errors = failed
                        .unwrap_or_default()
                        .into_iter()
                        .map(|issue| ErrorDetail {
                            error_code: issue.code,
                            error_message: issue.message,
                            resource_ids: issue.resource_ids.unwrap_or_default(),
                        })
                        .collect();
                }
                if outcome
                    .as_ref()
                    .is_some_and(|o| o.status == AddonStatus::UpdateFailed)
                {
                    // EKS undoes a rollout that fails (seed 003).
                    addon.addon_version = previous.addon_version;
                    addon.configuration_values = previous.configuration_values;
                    addon.service_account_role_arn = previous.service_account_role_arn;
                }
                end_in(addon, outcome);
            }
            Change::Delete { preserve } => {
                if let Some(addon) = cluster.addons.remove(&name) {
                    release_owned(cluster, &addon, preserve);
                }
            }
        }
    }
}

fn end_in(addon: &mut Addon, outcome: Option<Outcome>) {
    match outcome {
        None => {
            addon.status = AddonStatus::Active;
            addon.health.issues.clear();
        }
        Some(outcome) => {
            addon.status = outcome.status;
            addon.health.issues = outcome.issues;
        }
    }
}

/// A deleted add-on's associations go with it; with `preserve` they stay, no longer owned (the
/// API reference says only that preserve keeps the add-on's software and "If an IAM account is
/// associated with the add-on, it isn't removed"; that they can then be managed directly is the
/// emulator's reading).
fn release_owned(cluster: &mut Cluster, addon: &Addon, preserve: bool) {
    let owned_by = |owner: &Option<String>| owner.as_deref() == Some(addon.addon_arn.as_str());
    if preserve {
        for association in &mut cluster.associations {
            if owned_by(&association.owner_arn) {
                association.owner_arn = None;
            }
        }
    } else {
        cluster
            .associations
            .retain(|association| !owned_by(&association.owner_arn));
    }
}
