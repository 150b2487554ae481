//! EKS add-ons of a cluster: CreateAddon, DescribeAddon, ListAddons, DeleteAddon here;
//! UpdateAddon and DescribeUpdate in [`update`]; the pod identity associations an add-on owns in
//! [`owned`]; client request tokens in [`tokens`]; the add-on faults (how the next change
//! ends) in [`faults`]. Changes settle after the configured delays ([`crate::Delays`]) in
//! [`super::lifecycle`].

mod faults;
mod model;
mod owned;
mod tokens;
mod update;

use std::collections::HashMap;
use std::time::Instant;

use serde_json::{json, Value};
use uuid::Uuid;

use super::{now, required, Cursor, PageRequest, RoleInIam, World};
use crate::catalog;
use crate::error::{ApiError, ErrorKind};
use crate::faults::FaultQueue;
use crate::operation::Operation;
use crate::validation::{check_tags, parse_role_arn};
pub(super) use faults::AddonFault;
pub use faults::AddonFaultSpec;
use model::AddonHealth;
pub use model::{Addon, AddonIssue, AddonStatus, CreateAddonRequest, Outcome, UpdateAddonRequest};
pub(super) use model::{Change, ErrorDetail, Pending};
pub(super) use tokens::{AddonTokenKey, AddonTokenRecord};

/// What IAM said about each role a request names, asked before the world was locked.
pub type RolesInIam = HashMap<String, RoleInIam>;

/// DescribeAddonVersions' filters.
#[derive(Debug, Clone, Default)]
pub struct AddonVersionsFilter {
    pub kubernetes_version: Option<String>,
    pub addon_name: Option<String>,
    pub types: Vec<String>,
    pub publishers: Vec<String>,
    pub owners: Vec<String>,
}

impl World {
    pub fn create_addon(
        &mut self,
        cluster_name: &str,
        mut request: CreateAddonRequest,
        faults: &mut FaultQueue,
        roles: &RolesInIam,
    ) -> Result<Addon, ApiError> {
        let kubernetes_version = self.active_cluster(cluster_name)?.version.clone();
        let name = required(request.addon_name.clone(), "addonName")?;
        let key = AddonTokenKey::take(
            Operation::CreateAddon,
            cluster_name,
            &name,
            &mut request.client_request_token,
        );
        if let Some(replay) = self.replay_create(key.as_ref(), &request)? {
            return Ok(replay);
        }

        let definition = catalog::addon(&name)
            .ok_or_else(|| catalog::not_supported_on(&name, &kubernetes_version))?;
        let version =
            definition.resolve_version(request.addon_version.as_deref(), &kubernetes_version)?;
        check_resolve_conflicts(request.resolve_conflicts.as_deref())?;
        let service_account_role_arn = request
            .service_account_role_arn
            .clone()
            .filter(|r| !r.is_empty());
        if let Some(role) = &service_account_role_arn {
            parse_role_arn("serviceAccountRoleArn", role)?;
        }
        let configuration_values = request
            .configuration_values
            .clone()
            .filter(|v| !v.is_empty());
        if let Some(values) = &configuration_values {
            definition.check_configuration_values(values)?;
        }
        let tags = request.tags.clone().unwrap_or_default();
        check_tags(&tags, ErrorKind::InvalidParameter)?;
        let namespace_config = request.namespace_config.clone();
        let namespace = namespace_config
            .as_ref()
            .and_then(|c| c.namespace.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| definition.default_namespace.to_owned());
        if self.cluster(cluster_name)?.addons.contains_key(&name) {
            // Wording as EKS answers it (crossplane-contrib/provider-aws#1310).
            return Err(
                ApiError::new(ErrorKind::ResourceInUse, "Addon already exists.")
                    .with_cluster(cluster_name)
                    .with_addon(&name),
            );
        }

        let addon_arn = format!(
            "arn:aws:eks:{}:{}:addon/{cluster_name}/{name}/{}",
            self.region,
            self.account_id,
            Uuid::new_v4()
        );
        let requested = request.pod_identity_associations.clone();
        let plan = self.plan_owned_associations(
            cluster_name,
            Operation::CreateAddon,
            (definition, version),
            &namespace,
            &addon_arn,
            requested.as_deref().unwrap_or_default(),
            (faults, roles),
        )?;
        let outcome = self.take_addon_outcome(cluster_name, &name, AddonStatus::Creating);
        self.apply_owned_associations(cluster_name, plan)?;

        let created_at = now();
        let addon = Addon {
            addon_name: name.clone(),
            cluster_name: cluster_name.to_owned(),
            status: AddonStatus::Creating,
            addon_version: version.version.to_owned(),
            health: AddonHealth::default(),
            pod_identity_associations: self.owned_association_arns(cluster_name, &addon_arn)?,
            addon_arn,
            created_at,
            modified_at: created_at,
            service_account_role_arn,
            tags,
            configuration_values,
            namespace_config,
            namespace,
            pending: Some(Pending {
                at: Instant::now() + self.delays.addon_creating,
                change: Change::Create { outcome },
            }),
            updates: Vec::new(),
        };
        let cluster = self.cluster_mut(cluster_name)?;
        cluster.addons.insert(name, addon.clone());
        self.remember_addon_token(key, AddonTokenRecord::create(request, &addon));
        Ok(addon)
    }

    pub fn describe_addon(&self, cluster_name: &str, addon_name: &str) -> Result<Addon, ApiError> {
        self.addon(cluster_name, addon_name).cloned()
    }

    /// Add-on names in name order (the API reference does not say which order ListAddons
    /// uses).
    pub fn list_addons(
        &mut self,
        cluster_name: &str,
        page: PageRequest<'_>,
    ) -> Result<Value, ApiError> {
        let page_size = page.size()?;
        let after = self.resume(&page, |cursor| match cursor {
            Cursor::Addons { cluster, after } if cluster == cluster_name => Some(after.clone()),
            _ => None,
        })?;
        let cluster = self.cluster(cluster_name)?;
        let mut names = cluster
            .addons
            .keys()
            .filter(|name| after.as_ref().is_none_or(|after| *name > after));
        let page: Vec<String> = names.by_ref().take(page_size).cloned().collect();
        let more = names.next().is_some();
        let mut body = json!({ "addons": page });
        if let (true, Some(last)) = (more, page.last()) {
            let token = self.issue_cursor(Cursor::Addons {
                cluster: cluster_name.to_owned(),
                after: last.clone(),
            });
            body["nextToken"] = json!(token);
        }
        Ok(body)
    }

    /// Starts deleting the add-on; it goes away (with the associations it owns, unless
    /// `preserve`) when the delete delay has passed. Deleting an add-on already `DELETING`
    /// answers it as it is (the API reference is silent on this case).
    pub fn delete_addon(
        &mut self,
        cluster_name: &str,
        addon_name: &str,
        preserve: bool,
    ) -> Result<Addon, ApiError> {
        self.active_cluster(cluster_name)?;
        let at = Instant::now() + self.delays.addon_deleting;
        let addon = self.addon_mut(cluster_name, addon_name)?;
        if addon.status != AddonStatus::Deleting {
            addon.status = AddonStatus::Deleting;
            addon.modified_at = now();
            addon.pending = Some(Pending {
                at,
                change: Change::Delete { preserve },
            });
        }
        Ok(addon.clone())
    }

    /// Every add-on EKS offers that matches the filters (`AddonInfo`), paged by add-on.
    pub fn describe_addon_versions(
        &mut self,
        filter: &AddonVersionsFilter,
        page: PageRequest<'_>,
    ) -> Result<Value, ApiError> {
        let page_size = page.size()?;
        let after = self.resume(&page, |cursor| match cursor {
            Cursor::AddonVersions { after } => Some(after.clone()),
            _ => None,
        })?;
        let matches =
            |wanted: &[String], value: &str| wanted.is_empty() || wanted.iter().any(|w| w == value);
        let mut infos = catalog::addons()
            .iter()
            .filter(|a| after.as_deref().is_none_or(|after| a.name > after))
            .filter(|a| filter.addon_name.as_deref().is_none_or(|n| a.name == n))
            .filter(|a| matches(&filter.types, a.kind))
            .filter(|a| matches(&filter.publishers, a.publisher))
            .filter(|a| matches(&filter.owners, a.owner))
            .filter_map(|a| Some((a.name, a.info(filter.kubernetes_version.as_deref())?)));
        let page: Vec<(&str, Value)> = infos.by_ref().take(page_size).collect();
        let more = infos.next().is_some();
        let mut body = json!({ "addons": page.iter().map(|(_, info)| info).collect::<Vec<_>>() });
        if let (true, Some((last, _))) = (more, page.last()) {
            let token = self.issue_cursor(Cursor::AddonVersions {
                after: (*last).to_owned(),
            });
            body["nextToken"] = json!(token);
        }
        Ok(body)
    }

    /// Admin: every add-on of a cluster, in name order.
    pub fn addons(&self, cluster_name: &str) -> Result<Vec<Addon>, ApiError> {
        Ok(self
            .cluster(cluster_name)?
            .addons
            .values()
            .cloned()
            .collect())
    }

    fn addon(&self, cluster_name: &str, addon_name: &str) -> Result<&Addon, ApiError> {
        self.cluster(cluster_name)?
            .addons
            .get(addon_name)
            .ok_or_else(|| ApiError::addon_not_found(cluster_name, addon_name))
    }

    fn addon_mut(&mut self, cluster_name: &str, addon_name: &str) -> Result<&mut Addon, ApiError> {
        self.cluster_mut(cluster_name)?
            .addons
            .get_mut(addon_name)
            .ok_or_else(|| ApiError::addon_not_found(cluster_name, addon_name))
    }
}

/// `resolveConflicts`: NONE, OVERWRITE or PRESERVE. The emulator accepts each and changes
/// nothing for it: it has no self-managed add-on to conflict with.
fn check_resolve_conflicts(value: Option<&str>) -> Result<(), ApiError> {
    match value {
        None | Some("NONE" | "OVERWRITE" | "PRESERVE") => Ok(()),
        Some(other) => Err(ApiError::invalid_parameter(format!(
            "resolveConflicts {other:?} is not valid; expected NONE, OVERWRITE or PRESERVE."
        ))),
    }
}
