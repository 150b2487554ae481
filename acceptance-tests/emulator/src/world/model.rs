//! The emulated resources as the wire shows them, and the request bodies that create and change
//! them.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::addons::Addon;
use super::cluster_config::{ComputeConfig, KubernetesNetworkConfig, StorageConfig};
use crate::error::ApiError;

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
    pub kubernetes_network_config: KubernetesNetworkConfig,
    /// EKS Auto Mode's compute capability, as requested (absent: never configured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compute_config: Option<ComputeConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_config: Option<StorageConfig>,
    /// In creation order, which is also the listing order.
    #[serde(skip)]
    pub associations: Vec<Association>,
    /// By name.
    #[serde(skip)]
    pub addons: BTreeMap<String, Addon>,
    /// When a `CREATING` or `DELETING` cluster settles.
    #[serde(skip)]
    pub(super) settles_at: Option<Instant>,
}

impl Cluster {
    /// One of the cluster's associations.
    pub fn association(&self, association_id: &str) -> Result<&Association, ApiError> {
        self.associations
            .iter()
            .find(|a| a.association_id == association_id)
            .ok_or_else(|| ApiError::association_not_found(&self.name, association_id))
    }

    pub fn association_mut(&mut self, association_id: &str) -> Result<&mut Association, ApiError> {
        let name = &self.name;
        self.associations
            .iter_mut()
            .find(|a| a.association_id == association_id)
            .ok_or_else(|| ApiError::association_not_found(name, association_id))
    }
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
    pub(super) seq: u64,
}

/// What ListPodIdentityAssociations returns per association (no roleArn).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssociationSummary<'a> {
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
    pub kubernetes_network_config: Option<KubernetesNetworkConfig>,
    pub compute_config: Option<ComputeConfig>,
    pub storage_config: Option<StorageConfig>,
    // Other members (bootstrapSelfManagedAddons, logging, accessConfig, ...) are accepted and
    // ignored: the emulator installs no add-ons by itself and has no control plane to configure.
}

/// Admin request: a cluster as CreateCluster would create it, and `"autoMode": true` for the
/// Auto Mode settings EKS's console picks (the three capabilities on, both node pools, a node
/// role in the account).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminClusterRequest {
    #[serde(flatten)]
    pub cluster: CreateClusterRequest,
    #[serde(default)]
    pub auto_mode: bool,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CreateAssociationRequest {
    pub namespace: Option<String>,
    pub service_account: Option<String>,
    pub tags: Option<Tags>,
    #[serde(flatten)]
    pub settings: AssociationSettings,
}

/// UpdatePodIdentityAssociation's input: the members it shares with Create.
pub type UpdateAssociationRequest = AssociationSettings;

/// The members CreatePodIdentityAssociation and UpdatePodIdentityAssociation share.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AssociationSettings {
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
