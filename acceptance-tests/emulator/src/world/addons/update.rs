//! UpdateAddon, which answers with an `Update` (`AddonUpdate`, `InProgress`) and leaves the
//! add-on `UPDATING` until the update delay has passed, and DescribeUpdate for add-on updates.

use std::time::Instant;

use serde_json::json;
use uuid::Uuid;

use super::model::{AddonUpdate, Change, Pending, Settings, UpdateParam};
use super::{check_resolve_conflicts, AddonStatus, AddonTokenKey, AddonTokenRecord, RolesInIam};
use super::{UpdateAddonRequest, World};
use crate::catalog;
use crate::error::{ApiError, ErrorKind};
use crate::faults::FaultQueue;
use crate::operation::Operation;
use crate::validation::parse_role_arn;
use crate::world::now;

impl World {
    pub fn update_addon(
        &mut self,
        cluster_name: &str,
        addon_name: &str,
        mut request: UpdateAddonRequest,
        faults: &mut FaultQueue,
        roles: &RolesInIam,
    ) -> Result<AddonUpdate, ApiError> {
        let kubernetes_version = self.active_cluster(cluster_name)?.version.clone();
        let addon = self.addon(cluster_name, addon_name)?.clone();
        let key = AddonTokenKey::take(
            Operation::UpdateAddon,
            cluster_name,
            addon_name,
            &mut request.client_request_token,
        );
        if let Some(replay) = self.replay_update(key.as_ref(), &request, &addon)? {
            return Ok(replay);
        }
        if addon.status.in_transition() {
            // The API reference lists ResourceInUseException without saying when; the wording
            // is the emulator's.
            return Err(ApiError::new(
                ErrorKind::ResourceInUse,
                format!(
                    "Addon {addon_name} is in {} state and cannot be updated until it settles.",
                    addon.status.as_str()
                ),
            )
            .with_cluster(cluster_name)
            .with_addon(addon_name));
        }

        let definition = catalog::addon(addon_name)
            .ok_or_else(|| catalog::not_supported_on(addon_name, &kubernetes_version))?;
        let version = match request.addon_version.as_deref() {
            None => definition
                .version(&addon.addon_version)
                .ok_or_else(|| catalog::not_supported_on(addon_name, &kubernetes_version))?,
            Some(requested) => definition.resolve_version(Some(requested), &kubernetes_version)?,
        };
        check_resolve_conflicts(request.resolve_conflicts.as_deref())?;
        let service_account_role_arn = match request.service_account_role_arn.as_deref() {
            None => addon.service_account_role_arn.clone(),
            Some("") => None,
            Some(role) => {
                parse_role_arn("serviceAccountRoleArn", role)?;
                Some(role.to_owned())
            }
        };
        // An empty string removes the configuration values.
        let configuration_values = match request.configuration_values.as_deref() {
            None => addon.configuration_values.clone(),
            Some("") => None,
            Some(values) => {
                definition.check_configuration_values(values)?;
                Some(values.to_owned())
            }
        };
        let plan = match &request.pod_identity_associations {
            None => None,
            Some(requested) => Some(self.plan_owned_associations(
                cluster_name,
                Operation::UpdateAddon,
                (definition, version),
                &addon.namespace,
                &addon.addon_arn,
                requested,
                (faults, roles),
            )?),
        };
        let outcome = self.take_addon_outcome(cluster_name, addon_name, AddonStatus::Updating);
        if let Some(plan) = plan {
            self.apply_owned_associations(cluster_name, plan)?;
        }
        let owned = self.owned_association_arns(cluster_name, &addon.addon_arn)?;

        let update = AddonUpdate {
            id: Uuid::new_v4().to_string(),
            status: "InProgress",
            kind: "AddonUpdate",
            params: update_params(&request),
            created_at: now(),
            errors: Vec::new(),
        };
        let at = Instant::now() + self.delays.addon_updating;
        let addon = self.addon_mut(cluster_name, addon_name)?;
        let previous = Settings {
            addon_version: addon.addon_version.clone(),
            configuration_values: addon.configuration_values.clone(),
            service_account_role_arn: addon.service_account_role_arn.clone(),
        };
        addon.addon_version = version.version.to_owned();
        addon.configuration_values = configuration_values;
        addon.service_account_role_arn = service_account_role_arn;
        addon.pod_identity_associations = owned;
        addon.status = AddonStatus::Updating;
        addon.modified_at = update.created_at;
        addon.pending = Some(Pending {
            at,
            change: Change::Update {
                update_id: update.id.clone(),
                outcome,
                previous,
            },
        });
        addon.updates.push(update.clone());
        self.remember_addon_token(key, AddonTokenRecord::update(request, &update));
        Ok(update)
    }

    /// DescribeUpdate: the emulator's only updates are add-on updates, so without `addonName`
    /// nothing is found. Wording of the error as EKS answers it (aws/aws-cli#10252).
    pub fn describe_update(
        &self,
        cluster_name: &str,
        update_id: &str,
        addon_name: Option<&str>,
    ) -> Result<AddonUpdate, ApiError> {
        let cluster = self.cluster(cluster_name)?;
        addon_name
            .and_then(|name| cluster.addons.get(name))
            .and_then(|addon| addon.updates.iter().find(|u| u.id == update_id))
            .cloned()
            .ok_or_else(|| {
                ApiError::new(
                    ErrorKind::ResourceNotFound,
                    format!("No update found for ID: {update_id}"),
                )
                .with_cluster(cluster_name)
            })
    }
}

/// One param per member the request set, its value as sent (the pod identity associations as
/// the JSON list of the request; the API reference does not show how EKS renders them).
fn update_params(request: &UpdateAddonRequest) -> Vec<UpdateParam> {
    let mut params = Vec::new();
    let mut push = |kind, value: Option<String>| {
        if let Some(value) = value {
            params.push(UpdateParam { kind, value });
        }
    };
    push("AddonVersion", request.addon_version.clone());
    push(
        "ServiceAccountRoleArn",
        request.service_account_role_arn.clone(),
    );
    push("ResolveConflicts", request.resolve_conflicts.clone());
    push("ConfigurationValues", request.configuration_values.clone());
    push(
        "PodIdentityAssociations",
        request.pod_identity_associations.as_ref().map(|list| {
            let list: Vec<_> = list
                .iter()
                .map(|a| json!({"serviceAccount": a.service_account, "roleArn": a.role_arn}))
                .collect();
            json!(list).to_string()
        }),
    );
    params
}
