//! The emulated EKS control plane: clusters, their pod identity associations and add-ons, tags,
//! idempotency tokens, pagination cursors, and the service-account tokens and sessions of EKS Pod
//! Identity. Everything here runs under the emulator's lock and never waits, so each operation is
//! atomic; transitional states settle when their delay has passed ([`lifecycle`]).

mod addons;
mod associations;
mod cluster_config;
mod clusters;
mod idempotency;
mod lifecycle;
mod model;
mod service_accounts;
mod tags;

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use uuid::Uuid;

use crate::config::Delays;
use crate::error::ApiError;
pub use addons::{
    Addon, AddonFaultSpec, AddonIssue, AddonStatus, AddonVersionsFilter, CreateAddonRequest,
    RolesInIam, UpdateAddonRequest,
};
use addons::{AddonFault, AddonTokenKey, AddonTokenRecord};
pub use associations::RoleInIam;
use idempotency::{IdempotencyKey, IdempotencyRecord};
pub use model::{
    AddonAssociationRequest, AdminClusterRequest, Association, AssociationSettings, Cluster,
    CreateAssociationRequest, CreateClusterRequest, TagResourceRequest, Tags,
    UpdateAssociationRequest,
};
use service_accounts::PodIdentityState;
pub use service_accounts::{
    MintTokenRequest, PodIdentityGrant, PodIdentitySession, POD_IDENTITY_AUDIENCE,
};

const DEFAULT_PAGE_SIZE: usize = 100;

#[derive(Debug)]
pub struct World {
    account_id: String,
    region: String,
    clusters: BTreeMap<String, Cluster>,
    next_association_seq: u64,
    idempotency: HashMap<IdempotencyKey, IdempotencyRecord>,
    cursors: HashMap<String, Cursor>,
    pod_identity: PodIdentityState,
    delays: Delays,
    addon_tokens: HashMap<AddonTokenKey, AddonTokenRecord>,
    addon_faults: Vec<AddonFault>,
}

/// What an issued `nextToken` points at.
#[derive(Debug, Clone)]
enum Cursor {
    Associations { cluster: String, after_seq: u64 },
    Clusters { after: String },
    Addons { cluster: String, after: String },
    AddonVersions { after: String },
}

/// The paging parameters of a List request, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageRequest<'a> {
    pub max_results: Option<&'a str>,
    /// Absent or empty: the first page.
    pub next_token: Option<&'a str>,
}

impl PageRequest<'_> {
    /// `maxResults`: 1–100, default 100.
    fn size(&self) -> Result<usize, ApiError> {
        match self.max_results {
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
}

impl World {
    pub fn new(account_id: &str, region: &str, delays: Delays) -> Self {
        World {
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            clusters: BTreeMap::new(),
            next_association_seq: 0,
            idempotency: HashMap::new(),
            cursors: HashMap::new(),
            pod_identity: PodIdentityState::default(),
            delays,
            addon_tokens: HashMap::new(),
            addon_faults: Vec::new(),
        }
    }

    fn cluster(&self, name: &str) -> Result<&Cluster, ApiError> {
        self.clusters
            .get(name)
            .ok_or_else(|| ApiError::cluster_not_found(name))
    }

    /// A cluster that takes changes: `ACTIVE`. EKS refuses changes to a cluster in another state
    /// with InvalidRequestException ("The request is invalid given the state of the cluster");
    /// the wording is EKS's for CreateNodegroup (eksctl-io/eksctl#2244), the emulator uses it for
    /// associations and add-ons too.
    fn active_cluster(&self, name: &str) -> Result<&Cluster, ApiError> {
        let cluster = self.cluster(name)?;
        if cluster.status != "ACTIVE" {
            return Err(ApiError::invalid_request(format!(
                "Cluster '{name}' is not in ACTIVE status"
            ))
            .with_cluster(name));
        }
        Ok(cluster)
    }

    fn cluster_mut(&mut self, name: &str) -> Result<&mut Cluster, ApiError> {
        self.clusters
            .get_mut(name)
            .ok_or_else(|| ApiError::cluster_not_found(name))
    }

    fn issue_cursor(&mut self, cursor: Cursor) -> String {
        let token = Uuid::new_v4().simple().to_string();
        self.cursors.insert(token.clone(), cursor);
        token
    }

    /// Where a listing resumes: `None` for the first page (no `nextToken`), else what `pick`
    /// reads from the cursor behind the token. A token this world did not issue, or one issued
    /// by another listing (`pick` answers `None`), is refused as EKS refuses it.
    fn resume<T>(
        &self,
        page: &PageRequest<'_>,
        pick: impl FnOnce(&Cursor) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        let Some(token) = page.next_token else {
            return Ok(None);
        };
        let cursor = self.cursors.get(token).ok_or_else(invalid_next_token)?;
        pick(cursor).map(Some).ok_or_else(invalid_next_token)
    }
}

fn invalid_next_token() -> ApiError {
    ApiError::invalid_parameter("The nextToken provided is not valid.")
}

fn required(value: Option<String>, member: &str) -> Result<String, ApiError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::invalid_parameter(format!("{member} is required.")))
}

/// Epoch seconds with millisecond precision, as EKS timestamps travel on the wire.
fn now() -> f64 {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    millis as f64 / 1000.0
}
