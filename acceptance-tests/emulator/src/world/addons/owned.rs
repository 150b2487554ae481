//! Pod identity associations owned by an add-on: created, changed and deleted through
//! CreateAddon/UpdateAddon `podIdentityAssociations` in the add-on's namespace, with `ownerArn`
//! the add-on's ARN; the association operations refuse to change them.

use std::collections::HashSet;

use super::model::AddonPodIdentityAssociation;
use super::RolesInIam;
use crate::catalog::{AddonDefinition, AddonVersion};
use crate::error::ApiError;
use crate::faults::FaultQueue;
use crate::operation::Operation;
use crate::world::associations::{role_not_found, NewAssociation};
use crate::world::{now, required, RoleInIam, World};

/// The changes a Create or Update makes to the associations an add-on owns, all checked.
#[derive(Default)]
pub(super) struct OwnedPlan {
    create: Vec<NewAssociation>,
    /// Owned associations whose role changes: (association id, role).
    change_role: Vec<(String, String)>,
    /// Owned associations the request no longer lists.
    delete: Vec<String>,
}

impl World {
    /// Checks `requested` (what the add-on should own afterwards) and plans the changes from
    /// what `owner_arn` owns now. Nothing changes yet.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn plan_owned_associations(
        &self,
        cluster_name: &str,
        operation: Operation,
        (definition, version): (&AddonDefinition, &AddonVersion),
        namespace: &str,
        owner_arn: &str,
        requested: &[AddonPodIdentityAssociation],
        (faults, roles): (&mut FaultQueue, &RolesInIam),
    ) -> Result<OwnedPlan, ApiError> {
        let mut wanted = Vec::new();
        let mut seen = HashSet::new();
        for association in requested {
            let service_account = required(association.service_account.clone(), "serviceAccount")?;
            let role_arn = required(association.role_arn.clone(), "roleArn")?;
            definition.check_pod_identity_service_account(version, &service_account)?;
            if !seen.insert(service_account.clone()) {
                return Err(ApiError::invalid_parameter(format!(
                    "Service account {service_account} appears more than once in podIdentityAssociations."
                )));
            }
            self.check_role_arn(&role_arn)?;
            if faults.take_role_not_found(operation.name(), &role_arn)
                || roles.get(&role_arn) == Some(&RoleInIam::Missing)
            {
                return Err(role_not_found());
            }
            wanted.push((service_account, role_arn));
        }

        let cluster = self.cluster(cluster_name)?;
        let owned: Vec<_> = cluster
            .associations
            .iter()
            .filter(|a| a.owner_arn.as_deref() == Some(owner_arn))
            .collect();
        let mut plan = OwnedPlan::default();
        for (service_account, role_arn) in wanted {
            match owned.iter().find(|a| a.service_account == service_account) {
                Some(current) if current.role_arn == role_arn => {}
                Some(current) => plan
                    .change_role
                    .push((current.association_id.clone(), role_arn)),
                None => {
                    self.check_can_add(cluster_name, namespace, &service_account)?;
                    plan.create.push(NewAssociation::owned(
                        namespace,
                        &service_account,
                        &role_arn,
                        owner_arn,
                    ));
                }
            }
        }
        plan.delete = owned
            .iter()
            .filter(|a| !seen.contains(&a.service_account))
            .map(|a| a.association_id.clone())
            .collect();
        Ok(plan)
    }

    pub(super) fn apply_owned_associations(
        &mut self,
        cluster_name: &str,
        plan: OwnedPlan,
    ) -> Result<(), ApiError> {
        let cluster = self.cluster_mut(cluster_name)?;
        cluster
            .associations
            .retain(|a| !plan.delete.contains(&a.association_id));
        for (id, role_arn) in plan.change_role {
            let association = cluster.association_mut(&id)?;
            association.role_arn = role_arn;
            association.modified_at = now();
        }
        for new in plan.create {
            self.insert_association(cluster_name, new)?;
        }
        Ok(())
    }

    /// The ARNs of the associations `owner_arn` owns, in creation order.
    pub(super) fn owned_association_arns(
        &self,
        cluster_name: &str,
        owner_arn: &str,
    ) -> Result<Vec<String>, ApiError> {
        Ok(self
            .cluster(cluster_name)?
            .associations
            .iter()
            .filter(|a| a.owner_arn.as_deref() == Some(owner_arn))
            .map(|a| a.association_arn.clone())
            .collect())
    }
}
