//! Pod identity associations: one per namespace and service account of a cluster, listed in
//! creation order.

use serde_json::{json, Value};
use uuid::Uuid;

use super::idempotency::{Fingerprint, IdempotencyKey};
use super::model::AssociationSummary;
use super::{
    now, required, AddonAssociationRequest, Association, AssociationSettings,
    CreateAssociationRequest, Cursor, PageRequest, Tags, UpdateAssociationRequest, World,
};
use crate::error::{ApiError, ErrorKind};
use crate::faults::FaultQueue;
use crate::operation::Operation;
use crate::validation::{check_policy, check_tags, parse_role_arn};

/// Hard EKS quota, not adjustable.
pub const MAX_ASSOCIATIONS_PER_CLUSTER: usize = 5_000;

/// What IAM said about the role of a Create or Update request, asked before the world was locked
/// (the world never waits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleInIam {
    /// Not asked: the emulator has no IAM endpoint, or the request names no (valid) role.
    Unchecked,
    Exists,
    Missing,
}

/// The fields of a new association, after validation.
pub(super) struct NewAssociation {
    pub namespace: String,
    pub service_account: String,
    pub role_arn: String,
    pub tags: Tags,
    pub owner_arn: Option<String>,
    pub disable_session_tags: bool,
    pub target_role_arn: Option<String>,
    pub policy: Option<String>,
}

impl NewAssociation {
    /// An association an EKS add-on creates for one of its service accounts.
    pub(super) fn owned(
        namespace: &str,
        service_account: &str,
        role_arn: &str,
        owner_arn: &str,
    ) -> Self {
        NewAssociation {
            namespace: namespace.to_owned(),
            service_account: service_account.to_owned(),
            role_arn: role_arn.to_owned(),
            tags: Tags::new(),
            owner_arn: Some(owner_arn.to_owned()),
            disable_session_tags: false,
            target_role_arn: None,
            policy: None,
        }
    }
}

impl World {
    pub fn create_association(
        &mut self,
        cluster_name: &str,
        mut request: CreateAssociationRequest,
        faults: &mut FaultQueue,
        role_in_iam: RoleInIam,
    ) -> Result<Association, ApiError> {
        self.active_cluster(cluster_name)?;
        let key = IdempotencyKey::take(
            Operation::CreatePodIdentityAssociation,
            cluster_name,
            &mut request.settings.client_request_token,
        );
        let new = self.validate_create(request.clone())?;

        let fingerprint = Fingerprint::Create(request);
        if let Some(replay) = self.replay(key.as_ref(), &fingerprint)? {
            return Ok(replay);
        }

        self.check_can_add(cluster_name, &new.namespace, &new.service_account)?;
        if faults.take_role_not_found(
            Operation::CreatePodIdentityAssociation.name(),
            &new.role_arn,
        ) {
            return Err(role_not_found());
        }
        // After the injected propagation delay, the real check.
        if role_in_iam == RoleInIam::Missing {
            return Err(role_not_found());
        }
        let association = self.insert_association(cluster_name, new)?;
        self.remember(key, fingerprint, &association);
        Ok(association)
    }

    /// Admin: an association owned by an EKS add-on, as the add-on would create it.
    pub fn create_addon_association(
        &mut self,
        cluster_name: &str,
        request: AddonAssociationRequest,
    ) -> Result<Association, ApiError> {
        self.cluster(cluster_name)?;
        let addon_name = required(request.addon_name, "addonName")?;
        let owner_arn = format!(
            "arn:aws:eks:{}:{}:addon/{cluster_name}/{addon_name}/{}",
            self.region,
            self.account_id,
            Uuid::new_v4()
        );
        let mut new = self.validate_create(CreateAssociationRequest {
            namespace: request.namespace,
            service_account: request.service_account,
            tags: None,
            settings: AssociationSettings {
                role_arn: request.role_arn,
                ..AssociationSettings::default()
            },
        })?;
        new.owner_arn = Some(owner_arn);
        self.check_can_add(cluster_name, &new.namespace, &new.service_account)?;
        self.insert_association(cluster_name, new)
    }

    pub fn describe_association(
        &self,
        cluster_name: &str,
        association_id: &str,
    ) -> Result<Association, ApiError> {
        let cluster = self.cluster(cluster_name)?;
        cluster.association(association_id).cloned()
    }

    pub fn update_association(
        &mut self,
        cluster_name: &str,
        association_id: &str,
        mut request: UpdateAssociationRequest,
        faults: &mut FaultQueue,
        role_in_iam: RoleInIam,
    ) -> Result<Association, ApiError> {
        let current = self
            .active_cluster(cluster_name)?
            .association(association_id)?;
        refuse_if_owned(current)?;

        if let Some(role_arn) = &request.role_arn {
            self.check_role_arn(role_arn)?;
        }
        let target_role_arn = request.target_role_arn.as_deref();
        if let Some(target) = target_role_arn.filter(|t| !t.is_empty()) {
            parse_role_arn("targetRoleArn", target)?;
        }
        let policy = match request.policy.as_deref() {
            None => current.policy.clone(),
            Some("") => None,
            Some(policy) => {
                check_policy(policy)?;
                Some(policy.to_owned())
            }
        };
        let disable_session_tags = request
            .disable_session_tags
            .unwrap_or(current.disable_session_tags);
        if policy.is_some() && !disable_session_tags {
            return Err(policy_needs_disabled_session_tags());
        }
        let (target_role_arn, external_id) = match target_role_arn {
            None => (current.target_role_arn.clone(), current.external_id.clone()),
            Some("") => (None, None),
            Some(target) if current.target_role_arn.as_deref() == Some(target) => {
                (current.target_role_arn.clone(), current.external_id.clone())
            }
            // A new target role gets a new external id.
            Some(target) => (Some(target.to_owned()), Some(Uuid::new_v4().to_string())),
        };

        let key = IdempotencyKey::take(
            Operation::UpdatePodIdentityAssociation,
            cluster_name,
            &mut request.client_request_token,
        );
        let fingerprint = Fingerprint::Update {
            association_id: association_id.to_owned(),
            request: request.clone(),
        };
        if let Some(replay) = self.replay(key.as_ref(), &fingerprint)? {
            return Ok(replay);
        }
        if let Some(role_arn) = &request.role_arn {
            if faults.take_role_not_found(Operation::UpdatePodIdentityAssociation.name(), role_arn)
            {
                return Err(role_not_found());
            }
            if role_in_iam == RoleInIam::Missing {
                return Err(role_not_found());
            }
        }

        let association = self
            .cluster_mut(cluster_name)?
            .association_mut(association_id)?;
        if let Some(role_arn) = request.role_arn {
            association.role_arn = role_arn;
        }
        association.disable_session_tags = disable_session_tags;
        association.policy = policy;
        association.target_role_arn = target_role_arn;
        association.external_id = external_id;
        association.modified_at = now();
        let association = association.clone();
        self.remember(key, fingerprint, &association);
        Ok(association)
    }

    pub fn delete_association(
        &mut self,
        cluster_name: &str,
        association_id: &str,
    ) -> Result<Association, ApiError> {
        self.active_cluster(cluster_name)?;
        let cluster = self.cluster_mut(cluster_name)?;
        let index = cluster
            .associations
            .iter()
            .position(|a| a.association_id == association_id)
            .ok_or_else(|| ApiError::association_not_found(cluster_name, association_id))?;
        refuse_if_owned(&cluster.associations[index])?;
        Ok(cluster.associations.remove(index))
    }

    pub fn list_associations(
        &mut self,
        cluster_name: &str,
        page: PageRequest<'_>,
        namespace: Option<&str>,
        service_account: Option<&str>,
    ) -> Result<Value, ApiError> {
        let page_size = page.size()?;
        let after_seq = self
            .resume(&page, |cursor| match cursor {
                Cursor::Associations { cluster, after_seq } if cluster == cluster_name => {
                    Some(*after_seq)
                }
                _ => None,
            })?
            .unwrap_or(0);

        let cluster = self.cluster(cluster_name)?;
        let mut matching = cluster.associations.iter().filter(|a| {
            a.seq > after_seq
                && namespace.is_none_or(|n| a.namespace == n)
                && service_account.is_none_or(|s| a.service_account == s)
        });
        let page: Vec<&Association> = matching.by_ref().take(page_size).collect();
        let more = matching.next().is_some();
        let summaries: Vec<AssociationSummary<'_>> =
            page.iter().map(|a| AssociationSummary::from(*a)).collect();
        let mut body = json!({ "associations": summaries });
        let last_seq = page.last().map(|a| a.seq);

        if let (true, Some(after_seq)) = (more, last_seq) {
            let token = self.issue_cursor(Cursor::Associations {
                cluster: cluster_name.to_owned(),
                after_seq,
            });
            body["nextToken"] = json!(token);
        }
        Ok(body)
    }

    /// Admin: every association of a cluster, in full.
    pub fn associations(&self, cluster_name: &str) -> Result<Vec<Association>, ApiError> {
        Ok(self.cluster(cluster_name)?.associations.clone())
    }

    /// The role must be an IAM role ARN in the cluster's account.
    pub(super) fn check_role_arn(&self, role_arn: &str) -> Result<(), ApiError> {
        let role = parse_role_arn("roleArn", role_arn)?;
        if role.account_id != self.account_id {
            return Err(ApiError::invalid_parameter(format!(
                "roleArn {role_arn} must be in the cluster's account {}; use targetRoleArn for a role in another account.",
                self.account_id
            )));
        }
        Ok(())
    }

    fn validate_create(
        &self,
        request: CreateAssociationRequest,
    ) -> Result<NewAssociation, ApiError> {
        let namespace = required(request.namespace, "namespace")?;
        let service_account = required(request.service_account, "serviceAccount")?;
        let settings = request.settings;
        let role_arn = required(settings.role_arn, "roleArn")?;
        self.check_role_arn(&role_arn)?;
        let target_role_arn = settings.target_role_arn.filter(|t| !t.is_empty());
        if let Some(target) = &target_role_arn {
            parse_role_arn("targetRoleArn", target)?;
        }
        let policy = settings.policy.filter(|p| !p.is_empty());
        if let Some(policy) = &policy {
            check_policy(policy)?;
        }
        let disable_session_tags = settings.disable_session_tags.unwrap_or(false);
        if policy.is_some() && !disable_session_tags {
            return Err(policy_needs_disabled_session_tags());
        }
        let tags = request.tags.unwrap_or_default();
        check_tags(&tags, ErrorKind::InvalidParameter)?;
        Ok(NewAssociation {
            namespace,
            service_account,
            role_arn,
            tags,
            owner_arn: None,
            disable_session_tags,
            target_role_arn,
            policy,
        })
    }

    /// One association per namespace/service account, at most 5,000 per cluster.
    pub(super) fn check_can_add(
        &self,
        cluster_name: &str,
        namespace: &str,
        service_account: &str,
    ) -> Result<(), ApiError> {
        let cluster = self.cluster(cluster_name)?;
        if let Some(existing) = cluster
            .associations
            .iter()
            .find(|a| a.namespace == namespace && a.service_account == service_account)
        {
            return Err(ApiError::new(
                ErrorKind::ResourceInUse,
                format!("Association already exists: {}", existing.association_id),
            )
            .with_association(&existing.association_id));
        }
        if cluster.associations.len() >= MAX_ASSOCIATIONS_PER_CLUSTER {
            return Err(ApiError::new(
                ErrorKind::ResourceLimitExceeded,
                format!(
                    "Cluster {cluster_name} already has the maximum of {MAX_ASSOCIATIONS_PER_CLUSTER} Pod Identity Associations."
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn insert_association(
        &mut self,
        cluster_name: &str,
        new: NewAssociation,
    ) -> Result<Association, ApiError> {
        self.next_association_seq += 1;
        let seq = self.next_association_seq;
        let (region, account_id) = (self.region.clone(), self.account_id.clone());
        let cluster = self.cluster_mut(cluster_name)?;
        let association_id = format!("a-{}", random_lowercase_alnum(17));
        let created_at = now();
        let association = Association {
            cluster_name: cluster_name.to_owned(),
            namespace: new.namespace,
            service_account: new.service_account,
            role_arn: new.role_arn,
            association_arn: format!(
                "arn:aws:eks:{region}:{account_id}:podidentityassociation/{cluster_name}/{association_id}"
            ),
            association_id,
            tags: new.tags,
            created_at,
            modified_at: created_at,
            owner_arn: new.owner_arn,
            disable_session_tags: new.disable_session_tags,
            external_id: new
                .target_role_arn
                .as_ref()
                .map(|_| Uuid::new_v4().to_string()),
            target_role_arn: new.target_role_arn,
            policy: new.policy,
            seq,
        };
        cluster.associations.push(association.clone());
        Ok(association)
    }
}

/// Add-on-owned associations change only through the add-on.
fn refuse_if_owned(association: &Association) -> Result<(), ApiError> {
    match &association.owner_arn {
        None => Ok(()),
        Some(owner) => Err(ApiError::invalid_request(format!(
            "Pod Identity Association {} is owned by the EKS add-on {owner}; it can only be changed through the add-on.",
            association.association_id
        ))
        .with_association(&association.association_id)),
    }
}

pub(super) fn role_not_found() -> ApiError {
    ApiError::invalid_parameter("Role provided in the request does not exist")
}

fn policy_needs_disabled_session_tags() -> ApiError {
    ApiError::invalid_parameter("policy can only be set when disableSessionTags is true.")
}

/// Association ids are `a-` and 17 lower-case letters and digits.
pub(super) fn random_lowercase_alnum(len: usize) -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        // 16 characters per uuid keep well inside its 122 random bits.
        let mut bits = Uuid::new_v4().as_u128();
        for _ in 0..16 {
            if out.len() == len {
                break;
            }
            out.push(char::from(ALPHABET[(bits % 36) as usize]));
            bits /= 36;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn association_ids_look_real() {
        let id = random_lowercase_alnum(17);
        assert_eq!(id.len(), 17);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    }
}
