//! EKS add-ons as the wire shows them (`Addon`, `Update`), the requests that create and change
//! them, and what the emulator keeps about a change still in progress.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::world::Tags;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AddonStatus {
    Creating,
    Active,
    CreateFailed,
    Updating,
    Deleting,
    DeleteFailed,
    Degraded,
    UpdateFailed,
}

impl AddonStatus {
    /// A change is under way: the add-on takes no other change until it settles.
    pub fn in_transition(self) -> bool {
        matches!(
            self,
            AddonStatus::Creating | AddonStatus::Updating | AddonStatus::Deleting
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AddonStatus::Creating => "CREATING",
            AddonStatus::Active => "ACTIVE",
            AddonStatus::CreateFailed => "CREATE_FAILED",
            AddonStatus::Updating => "UPDATING",
            AddonStatus::Deleting => "DELETING",
            AddonStatus::DeleteFailed => "DELETE_FAILED",
            AddonStatus::Degraded => "DEGRADED",
            AddonStatus::UpdateFailed => "UPDATE_FAILED",
        }
    }
}

/// One of `health.issues`: `code` is an `AddonIssueCode` (e.g. `InsufficientNumberOfReplicas`,
/// `ConfigurationConflict`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddonIssue {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AddonHealth {
    pub issues: Vec<AddonIssue>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// An add-on, serialized exactly as DescribeAddon returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Addon {
    pub addon_name: String,
    pub cluster_name: String,
    pub status: AddonStatus,
    pub addon_version: String,
    pub health: AddonHealth,
    pub addon_arn: String,
    pub created_at: f64,
    pub modified_at: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account_role_arn: Option<String>,
    pub tags: Tags,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration_values: Option<String>,
    /// The ARNs of the pod identity associations the add-on owns.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pod_identity_associations: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace_config: Option<NamespaceConfig>,
    /// Where its workloads and owned associations live.
    #[serde(skip)]
    pub(in crate::world) namespace: String,
    #[serde(skip)]
    pub(in crate::world) pending: Option<Pending>,
    /// Its updates, oldest first (DescribeUpdate with `addonName`).
    #[serde(skip)]
    pub(in crate::world) updates: Vec<AddonUpdate>,
}

/// A change under way and when it settles.
#[derive(Debug, Clone)]
pub(in crate::world) struct Pending {
    pub at: Instant,
    pub change: Change,
}

#[derive(Debug, Clone)]
pub(in crate::world) enum Change {
    /// Settles `ACTIVE`, or as the add-on fault taken at creation says.
    Create { outcome: Option<Outcome> },
    /// Settles `ACTIVE` with the update `Successful`; a failing outcome restores `previous`.
    Update {
        update_id: String,
        outcome: Option<Outcome>,
        previous: Settings,
    },
    /// Settles by going away, with its owned associations unless `preserve`.
    Delete { preserve: bool },
}

/// How a change ends when an add-on fault says it does not end `ACTIVE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: AddonStatus,
    pub issues: Vec<AddonIssue>,
}

/// What an update changes and a failed update puts back (the owned associations stay as the
/// update left them).
#[derive(Debug, Clone)]
pub(in crate::world) struct Settings {
    pub addon_version: String,
    pub configuration_values: Option<String>,
    pub service_account_role_arn: Option<String>,
}

/// An add-on update, serialized as UpdateAddon and DescribeUpdate return it (`Update`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddonUpdate {
    pub id: String,
    /// `InProgress`, `Successful` or `Failed`.
    pub status: &'static str,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub params: Vec<UpdateParam>,
    pub created_at: f64,
    pub errors: Vec<ErrorDetail>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateParam {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: String,
}

/// A failed update's reason (`errorCode` is an `ErrorCode`, which shares its add-on values
/// with `AddonIssueCode`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    pub error_code: String,
    pub error_message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_ids: Vec<String>,
}

/// `{serviceAccount, roleArn}` of CreateAddon and UpdateAddon.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AddonPodIdentityAssociation {
    pub service_account: Option<String>,
    pub role_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CreateAddonRequest {
    pub addon_name: Option<String>,
    pub addon_version: Option<String>,
    pub service_account_role_arn: Option<String>,
    pub resolve_conflicts: Option<String>,
    pub client_request_token: Option<String>,
    pub tags: Option<Tags>,
    pub configuration_values: Option<String>,
    pub pod_identity_associations: Option<Vec<AddonPodIdentityAssociation>>,
    pub namespace_config: Option<NamespaceConfig>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UpdateAddonRequest {
    pub addon_version: Option<String>,
    pub service_account_role_arn: Option<String>,
    pub resolve_conflicts: Option<String>,
    pub client_request_token: Option<String>,
    pub configuration_values: Option<String>,
    /// Absent: the owned associations stay; empty: they are deleted.
    pub pod_identity_associations: Option<Vec<AddonPodIdentityAssociation>>,
}

impl CreateAddonRequest {
    /// Every role the request names, for the IAM check made before the world is locked.
    pub fn roles(&self) -> Vec<String> {
        association_roles(self.pod_identity_associations.as_deref())
    }
}

impl UpdateAddonRequest {
    pub fn roles(&self) -> Vec<String> {
        association_roles(self.pod_identity_associations.as_deref())
    }
}

fn association_roles(associations: Option<&[AddonPodIdentityAssociation]>) -> Vec<String> {
    associations
        .unwrap_or_default()
        .iter()
        .filter_map(|a| a.role_arn.clone())
        .collect()
}
