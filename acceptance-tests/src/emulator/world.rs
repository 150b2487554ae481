//! The emulated EKS control plane: clusters, their pod identity associations, tags, idempotency
//! tokens and pagination cursors. Everything here runs under the emulator's lock and never
//! waits, so each operation is atomic.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::error::{ApiError, ErrorKind};
use super::faults::FaultQueue;
use super::routing::query_value;
use super::validation::{check_cluster_name, check_policy, check_tags, parse_role_arn};

/// Hard EKS quota, not adjustable.
pub const MAX_ASSOCIATIONS_PER_CLUSTER: usize = 5_000;
const DEFAULT_PAGE_SIZE: usize = 100;
const DEFAULT_KUBERNETES_VERSION: &str = "1.31";

pub type Tags = BTreeMap<String, String>;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub name: String,
    pub arn: String,
    pub created_at: f64,
    pub version: String,
    pub endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    pub status: &'static str,
    pub tags: Tags,
    pub platform_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources_vpc_config: Option<Value>,
    /// In creation order, which is also the listing order.
    #[serde(skip)]
    pub associations: Vec<Association>,
}

/// A pod identity association, serialized exactly as Describe returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    pub cluster_name: String,
    pub namespace: String,
    pub service_account: String,
    pub role_arn: String,
    pub association_arn: String,
    pub association_id: String,
    pub tags: Tags,
    pub created_at: f64,
    pub modified_at: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_arn: Option<String>,
    pub disable_session_tags: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Creation sequence number; pagination cursors point at it.
    #[serde(skip)]
    seq: u64,
}

/// What ListPodIdentityAssociations returns per association (no roleArn).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AssociationSummary<'a> {
    cluster_name: &'a str,
    namespace: &'a str,
    service_account: &'a str,
    association_arn: &'a str,
    association_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_arn: Option<&'a str>,
}

impl<'a> From<&'a Association> for AssociationSummary<'a> {
    fn from(a: &'a Association) -> Self {
        AssociationSummary {
            cluster_name: &a.cluster_name,
            namespace: &a.namespace,
            service_account: &a.service_account,
            association_arn: &a.association_arn,
            association_id: &a.association_id,
            owner_arn: a.owner_arn.as_deref(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateClusterRequest {
    pub name: Option<String>,
    pub role_arn: Option<String>,
    pub version: Option<String>,
    pub resources_vpc_config: Option<Value>,
    pub tags: Option<Tags>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CreateAssociationRequest {
    pub namespace: Option<String>,
    pub service_account: Option<String>,
    pub role_arn: Option<String>,
    pub client_request_token: Option<String>,
    pub tags: Option<Tags>,
    pub disable_session_tags: Option<bool>,
    pub target_role_arn: Option<String>,
    pub policy: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAssociationRequest {
    pub role_arn: Option<String>,
    pub client_request_token: Option<String>,
    pub disable_session_tags: Option<bool>,
    pub target_role_arn: Option<String>,
    pub policy: Option<String>,
}

/// Admin request: an association owned by an EKS add-on.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddonAssociationRequest {
    pub namespace: Option<String>,
    pub service_account: Option<String>,
    pub role_arn: Option<String>,
    pub addon_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct TagResourceRequest {
    pub tags: Option<Tags>,
}

/// Idempotency tokens are scoped to operation and cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct IdempotencyKey {
    operation: &'static str,
    cluster: String,
    token: String,
}

impl IdempotencyKey {
    /// Takes the client request token out of a request (so that it is no part of the request's
    /// fingerprint); the key it is kept under, if it was given and not empty.
    fn take(operation: &'static str, cluster: &str, token: &mut Option<String>) -> Option<Self> {
        let token = token.take().filter(|t| !t.is_empty())?;
        Some(IdempotencyKey {
            operation,
            cluster: cluster.to_owned(),
            token,
        })
    }
}

/// The request a token was first used with (token itself removed).
#[derive(Debug, Clone, PartialEq)]
enum Fingerprint {
    Create(CreateAssociationRequest),
    Update {
        association_id: String,
        request: UpdateAssociationRequest,
    },
}

#[derive(Debug, Clone)]
struct IdempotencyRecord {
    fingerprint: Fingerprint,
    association: Association,
}

/// What an issued `nextToken` points at.
#[derive(Debug, Clone)]
enum Cursor {
    Associations { cluster: String, after_seq: u64 },
    Clusters { after: String },
}

/// The fields of a new association, after validation.
struct NewAssociation {
    namespace: String,
    service_account: String,
    role_arn: String,
    tags: Tags,
    owner_arn: Option<String>,
    disable_session_tags: bool,
    target_role_arn: Option<String>,
    policy: Option<String>,
}

#[derive(Debug)]
pub struct World {
    account_id: String,
    region: String,
    clusters: BTreeMap<String, Cluster>,
    next_association_seq: u64,
    idempotency: HashMap<IdempotencyKey, IdempotencyRecord>,
    cursors: HashMap<String, Cursor>,
}

impl World {
    pub fn new(account_id: &str, region: &str) -> Self {
        World {
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            clusters: BTreeMap::new(),
            next_association_seq: 0,
            idempotency: HashMap::new(),
            cursors: HashMap::new(),
        }
    }

    // ----- clusters -------------------------------------------------------------------------

    pub fn create_cluster(&mut self, request: CreateClusterRequest) -> Result<Cluster, ApiError> {
        let name = required(request.name, "name")?;
        check_cluster_name(&name)?;
        if let Some(role_arn) = &request.role_arn {
            parse_role_arn("roleArn", role_arn)?;
        }
        let tags = request.tags.unwrap_or_default();
        check_tags(&tags, ErrorKind::InvalidParameter)?;
        if self.clusters.contains_key(&name) {
            return Err(ApiError::new(
                ErrorKind::ResourceInUse,
                format!("Cluster already exists with name: {name}"),
            )
            .with_cluster(&name));
        }
        let cluster = Cluster {
            arn: format!(
                "arn:aws:eks:{}:{}:cluster/{name}",
                self.region, self.account_id
            ),
            created_at: now(),
            version: request
                .version
                .unwrap_or_else(|| DEFAULT_KUBERNETES_VERSION.to_owned()),
            endpoint: format!(
                "https://{}.gr7.{}.eks.amazonaws.com",
                Uuid::new_v4().simple().to_string().to_ascii_uppercase(),
                self.region
            ),
            role_arn: request.role_arn,
            status: "ACTIVE",
            tags,
            platform_version: "eks.1".to_owned(),
            resources_vpc_config: request.resources_vpc_config,
            associations: Vec::new(),
            name: name.clone(),
        };
        self.clusters.insert(name, cluster.clone());
        Ok(cluster)
    }

    pub fn describe_cluster(&self, name: &str) -> Result<Cluster, ApiError> {
        self.cluster(name).cloned()
    }

    pub fn list_clusters(&mut self, query: &[(String, String)]) -> Result<Value, ApiError> {
        let page_size = page_size(query)?;
        let after = match next_token(query) {
            None => None,
            Some(token) => match self.cursors.get(token) {
                Some(Cursor::Clusters { after }) => Some(after.clone()),
                _ => return Err(invalid_next_token()),
            },
        };
        let mut names = self
            .clusters
            .keys()
            .filter(|name| after.as_ref().is_none_or(|after| *name > after));
        let page: Vec<String> = names.by_ref().take(page_size).cloned().collect();
        let more = names.next().is_some();
        let mut body = json!({ "clusters": page });
        if let (true, Some(last)) = (more, page.last()) {
            let token = self.issue_cursor(Cursor::Clusters {
                after: last.clone(),
            });
            body["nextToken"] = json!(token);
        }
        Ok(body)
    }

    /// Removes the cluster with all its associations, their tags and the idempotency tokens used
    /// on it.
    pub fn delete_cluster(&mut self, name: &str) -> Result<Cluster, ApiError> {
        let mut cluster = self
            .clusters
            .remove(name)
            .ok_or_else(|| ApiError::cluster_not_found(name))?;
        self.idempotency.retain(|key, _| key.cluster != name);
        self.cursors.retain(
            |_, cursor| !matches!(cursor, Cursor::Associations { cluster, .. } if cluster == name),
        );
        cluster.status = "DELETING";
        Ok(cluster)
    }

    // ----- associations ---------------------------------------------------------------------

    pub fn create_association(
        &mut self,
        cluster_name: &str,
        mut request: CreateAssociationRequest,
        faults: &mut FaultQueue,
    ) -> Result<Association, ApiError> {
        self.cluster(cluster_name)?;
        let key = IdempotencyKey::take(
            "CreatePodIdentityAssociation",
            cluster_name,
            &mut request.client_request_token,
        );
        let new = self.validate_create(request.clone())?;

        let fingerprint = Fingerprint::Create(request);
        if let Some(replay) = self.replay(key.as_ref(), &fingerprint)? {
            return Ok(replay);
        }

        self.check_can_add(cluster_name, &new.namespace, &new.service_account)?;
        if faults.take_role_not_found("CreatePodIdentityAssociation", &new.role_arn) {
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
            role_arn: request.role_arn,
            ..CreateAssociationRequest::default()
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
        find_association(cluster, association_id).cloned()
    }

    pub fn update_association(
        &mut self,
        cluster_name: &str,
        association_id: &str,
        mut request: UpdateAssociationRequest,
        faults: &mut FaultQueue,
    ) -> Result<Association, ApiError> {
        let current = find_association(self.cluster(cluster_name)?, association_id)?;
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
            "UpdatePodIdentityAssociation",
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
            if faults.take_role_not_found("UpdatePodIdentityAssociation", role_arn) {
                return Err(role_not_found());
            }
        }

        let association = find_association_mut(self.cluster_mut(cluster_name)?, association_id)?;
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
        query: &[(String, String)],
    ) -> Result<Value, ApiError> {
        let page_size = page_size(query)?;
        let after_seq = match next_token(query) {
            None => 0,
            Some(token) => match self.cursors.get(token) {
                Some(Cursor::Associations { cluster, after_seq }) if cluster == cluster_name => {
                    *after_seq
                }
                _ => return Err(invalid_next_token()),
            },
        };
        let namespace = query_value(query, "namespace").filter(|v| !v.is_empty());
        let service_account = query_value(query, "serviceAccount").filter(|v| !v.is_empty());

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

    // ----- tags -----------------------------------------------------------------------------

    pub fn tag_resource(&mut self, arn: &str, request: TagResourceRequest) -> Result<(), ApiError> {
        let new_tags = request
            .tags
            .filter(|tags| !tags.is_empty())
            .ok_or_else(|| ApiError::new(ErrorKind::BadRequest, "tags must not be empty."))?;
        let tags = self.tags_mut(arn)?;
        let mut merged = tags.clone();
        merged.extend(new_tags);
        check_tags(&merged, ErrorKind::BadRequest)?;
        *tags = merged;
        Ok(())
    }

    pub fn untag_resource(&mut self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        if keys.is_empty() {
            return Err(ApiError::new(
                ErrorKind::BadRequest,
                "tagKeys must name at least one tag.",
            ));
        }
        let tags = self.tags_mut(arn)?;
        for key in keys {
            tags.remove(key);
        }
        Ok(())
    }

    pub fn list_tags(&mut self, arn: &str) -> Result<Tags, ApiError> {
        self.tags_mut(arn).map(|tags| tags.clone())
    }

    /// Tags of the cluster or association with this ARN.
    fn tags_mut(&mut self, arn: &str) -> Result<&mut Tags, ApiError> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let resource = match parts.as_slice() {
            ["arn", _, "eks", _, _, resource] => *resource,
            _ => {
                return Err(ApiError::new(
                    ErrorKind::BadRequest,
                    format!("{arn} is not a valid EKS resource ARN."),
                ))
            }
        };
        let not_found =
            || ApiError::new(ErrorKind::NotFound, format!("Resource not found: {arn}."));
        let mut path = resource.split('/');
        let (Some(kind), Some(cluster_name)) = (path.next(), path.next()) else {
            return Err(not_found());
        };
        let cluster = self.clusters.get_mut(cluster_name).ok_or_else(not_found)?;
        match kind {
            "cluster" if cluster.arn == arn => Ok(&mut cluster.tags),
            "podidentityassociation" => cluster
                .associations
                .iter_mut()
                .find(|a| a.association_arn == arn)
                .map(|a| &mut a.tags)
                .ok_or_else(not_found),
            _ => Err(not_found()),
        }
    }

    // ----- helpers --------------------------------------------------------------------------

    fn cluster(&self, name: &str) -> Result<&Cluster, ApiError> {
        self.clusters
            .get(name)
            .ok_or_else(|| ApiError::cluster_not_found(name))
    }

    fn cluster_mut(&mut self, name: &str) -> Result<&mut Cluster, ApiError> {
        self.clusters
            .get_mut(name)
            .ok_or_else(|| ApiError::cluster_not_found(name))
    }

    /// The role must be an IAM role ARN in the cluster's account.
    fn check_role_arn(&self, role_arn: &str) -> Result<(), ApiError> {
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
        let role_arn = required(request.role_arn, "roleArn")?;
        self.check_role_arn(&role_arn)?;
        let target_role_arn = request.target_role_arn.filter(|t| !t.is_empty());
        if let Some(target) = &target_role_arn {
            parse_role_arn("targetRoleArn", target)?;
        }
        let policy = request.policy.filter(|p| !p.is_empty());
        if let Some(policy) = &policy {
            check_policy(policy)?;
        }
        let disable_session_tags = request.disable_session_tags.unwrap_or(false);
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
    fn check_can_add(
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

    fn insert_association(
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

    /// A repeated token: the association it produced (as it stands now, or as it was if it has
    /// since been deleted), or an error if the parameters differ.
    fn replay(
        &self,
        key: Option<&IdempotencyKey>,
        fingerprint: &Fingerprint,
    ) -> Result<Option<Association>, ApiError> {
        let Some(record) = key.and_then(|key| self.idempotency.get(key)) else {
            return Ok(None);
        };
        if record.fingerprint != *fingerprint {
            return Err(ApiError::invalid_request(format!(
                "Client request token {} was already used with different request parameters.",
                key.map(|k| k.token.as_str()).unwrap_or_default()
            )));
        }
        let snapshot = &record.association;
        let current = self
            .clusters
            .get(&snapshot.cluster_name)
            .and_then(|c| find_association(c, &snapshot.association_id).ok());
        Ok(Some(current.unwrap_or(snapshot).clone()))
    }

    /// Records what the request under `key` produced, for its replays.
    fn remember(
        &mut self,
        key: Option<IdempotencyKey>,
        fingerprint: Fingerprint,
        association: &Association,
    ) {
        if let Some(key) = key {
            let record = IdempotencyRecord {
                fingerprint,
                association: association.clone(),
            };
            self.idempotency.insert(key, record);
        }
    }

    fn issue_cursor(&mut self, cursor: Cursor) -> String {
        let token = Uuid::new_v4().simple().to_string();
        self.cursors.insert(token.clone(), cursor);
        token
    }
}

fn find_association<'a>(
    cluster: &'a Cluster,
    association_id: &str,
) -> Result<&'a Association, ApiError> {
    cluster
        .associations
        .iter()
        .find(|a| a.association_id == association_id)
        .ok_or_else(|| ApiError::association_not_found(&cluster.name, association_id))
}

fn find_association_mut<'a>(
    cluster: &'a mut Cluster,
    association_id: &str,
) -> Result<&'a mut Association, ApiError> {
    let cluster_name = cluster.name.clone();
    cluster
        .associations
        .iter_mut()
        .find(|a| a.association_id == association_id)
        .ok_or_else(|| ApiError::association_not_found(&cluster_name, association_id))
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

fn required(value: Option<String>, member: &str) -> Result<String, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid_parameter(format!("{member} is required.")))
}

fn role_not_found() -> ApiError {
    ApiError::invalid_parameter("Role provided in the request does not exist")
}

fn policy_needs_disabled_session_tags() -> ApiError {
    ApiError::invalid_parameter("policy can only be set when disableSessionTags is true.")
}

fn invalid_next_token() -> ApiError {
    ApiError::invalid_parameter("The nextToken provided is not valid.")
}

fn next_token(query: &[(String, String)]) -> Option<&str> {
    query_value(query, "nextToken").filter(|t| !t.is_empty())
}

/// `maxResults`: 1–100, default 100.
fn page_size(query: &[(String, String)]) -> Result<usize, ApiError> {
    match query_value(query, "maxResults") {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                ApiError::invalid_parameter(format!(
                    "maxResults must be an integer between 1 and 100, got {raw:?}."
                ))
            }),
    }
}

/// Epoch seconds with millisecond precision, as EKS timestamps travel on the wire.
fn now() -> f64 {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    millis as f64 / 1000.0
}

fn random_lowercase_alnum(len: usize) -> String {
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
