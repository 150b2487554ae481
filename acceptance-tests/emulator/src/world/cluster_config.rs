//! The cluster configuration EKS Auto Mode is made of: the compute capability
//! (`computeConfig`), block storage (`storageConfig.blockStorage`) and load balancing
//! (`kubernetesNetworkConfig.elasticLoadBalancing`), which EKS turns on and off together.

use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::validation::parse_role_arn;

/// The node pools EKS Auto Mode offers.
const NODE_POOLS: [&str; 2] = ["general-purpose", "system"];
/// The service CIDR EKS picks when CreateCluster names none.
const DEFAULT_SERVICE_IPV4_CIDR: &str = "172.20.0.0/16";

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ComputeConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_pools: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_role_arn: Option<String>,
}

/// `{"enabled": bool}`: BlockStorage, ElasticLoadBalancing.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Capability {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StorageConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_storage: Option<Capability>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesNetworkConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_ipv4_cidr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_family: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elastic_load_balancing: Option<Capability>,
}

/// What DescribeCluster shows of these settings.
#[derive(Debug, Clone, Default)]
pub struct ClusterConfig {
    pub kubernetes_network_config: KubernetesNetworkConfig,
    /// As requested; absent when CreateCluster sent none (the cluster predates, or does not use,
    /// Auto Mode).
    pub compute_config: Option<ComputeConfig>,
    pub storage_config: Option<StorageConfig>,
}

impl ClusterConfig {
    /// Checks the request's settings as CreateCluster does and fills in EKS's defaults.
    /// hashicorp/aws documents that Auto Mode also needs `bootstrapSelfManagedAddons: false`;
    /// the API reference does not say EKS refuses otherwise, and the emulator does not check it.
    pub fn new(
        network: Option<KubernetesNetworkConfig>,
        compute: Option<ComputeConfig>,
        storage: Option<StorageConfig>,
    ) -> Result<ClusterConfig, ApiError> {
        let compute_on = compute.as_ref().and_then(|c| c.enabled).unwrap_or(false);
        let storage_on = storage
            .as_ref()
            .and_then(|s| s.block_storage.as_ref())
            .and_then(|b| b.enabled)
            .unwrap_or(false);
        let balancing_on = network
            .as_ref()
            .and_then(|n| n.elastic_load_balancing.as_ref())
            .and_then(|e| e.enabled)
            .unwrap_or(false);
        if compute_on != storage_on || compute_on != balancing_on {
            // EKS's wording, as the AWS CLI shows it (kubernetes-sigs/cluster-api-provider-aws#5278).
            return Err(ApiError::invalid_parameter(
                "For EKS Auto Mode, please ensure that all required configs, including computeConfig, kubernetesNetworkConfig, and blockStorage are all either fully enabled or fully disabled.",
            ));
        }
        if let Some(compute) = &compute {
            check_compute(compute, compute_on)?;
        }
        let mut network = network.unwrap_or_default();
        match network.ip_family.as_deref() {
            None => network.ip_family = Some("ipv4".to_owned()),
            Some("ipv4" | "ipv6") => {}
            Some(other) => {
                return Err(ApiError::invalid_parameter(format!(
                    "ipFamily {other:?} is not valid; expected ipv4 or ipv6."
                )))
            }
        }
        if network.service_ipv4_cidr.is_none() {
            network.service_ipv4_cidr = Some(DEFAULT_SERVICE_IPV4_CIDR.to_owned());
        }
        // Shown for every cluster, enabled only with Auto Mode. The API reference does not say
        // whether clusters without Auto Mode show it; the emulator does, as `false`.
        network.elastic_load_balancing = Some(Capability {
            enabled: Some(balancing_on),
        });
        Ok(ClusterConfig {
            kubernetes_network_config: network,
            compute_config: compute,
            storage_config: storage,
        })
    }

    /// An Auto Mode cluster: its compute capability is on.
    #[cfg(test)]
    pub fn auto_mode(&self) -> bool {
        self.compute_config
            .as_ref()
            .and_then(|c| c.enabled)
            .unwrap_or(false)
    }
}

/// The Auto Mode settings the admin shortcut `"autoMode": true` stands for: both node pools and a
/// node role in the cluster's account.
pub fn auto_mode_defaults(
    account_id: &str,
    network: &mut Option<KubernetesNetworkConfig>,
    compute: &mut Option<ComputeConfig>,
    storage: &mut Option<StorageConfig>,
) {
    let on = || {
        Some(Capability {
            enabled: Some(true),
        })
    };
    compute.get_or_insert_with(|| ComputeConfig {
        enabled: Some(true),
        node_pools: Some(NODE_POOLS.iter().map(|p| (*p).to_owned()).collect()),
        node_role_arn: Some(format!(
            "arn:aws:iam::{account_id}:role/AmazonEKSAutoNodeRole"
        )),
    });
    storage.get_or_insert_with(|| StorageConfig {
        block_storage: on(),
    });
    let network = network.get_or_insert_with(KubernetesNetworkConfig::default);
    if network.elastic_load_balancing.is_none() {
        network.elastic_load_balancing = on();
    }
}

/// Node pools and their role only with the compute capability on (aws/aws-cdk#33373: "the
/// request must not include values for the nodeRoleArn or nodePools fields" when it is off);
/// pools only those EKS offers, and they need the node role. The wording is the emulator's.
fn check_compute(compute: &ComputeConfig, enabled: bool) -> Result<(), ApiError> {
    let pools = compute.node_pools.as_deref().unwrap_or_default();
    if !enabled {
        if !pools.is_empty() || compute.node_role_arn.is_some() {
            return Err(ApiError::invalid_parameter(
                "nodePools and nodeRoleArn can only be set when computeConfig.enabled is true.",
            ));
        }
        return Ok(());
    }
    if let Some(pool) = pools.iter().find(|p| !NODE_POOLS.contains(&p.as_str())) {
        return Err(ApiError::invalid_parameter(format!(
            "Node pool {pool:?} is not supported; EKS Auto Mode offers general-purpose and system."
        )));
    }
    match &compute.node_role_arn {
        Some(role) => {
            parse_role_arn("computeConfig.nodeRoleArn", role)?;
        }
        None if !pools.is_empty() => {
            return Err(ApiError::invalid_parameter(
                "computeConfig.nodeRoleArn is required when computeConfig.nodePools is set.",
            ))
        }
        None => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> Option<Capability> {
        Some(Capability {
            enabled: Some(true),
        })
    }

    #[test]
    fn auto_mode_capabilities_go_together() {
        let compute = ComputeConfig {
            enabled: Some(true),
            ..ComputeConfig::default()
        };
        let storage = StorageConfig {
            block_storage: on(),
        };
        let balancing = KubernetesNetworkConfig {
            elastic_load_balancing: on(),
            ..KubernetesNetworkConfig::default()
        };
        let partial = ClusterConfig::new(None, Some(compute.clone()), Some(storage.clone()));
        assert!(partial.is_err());
        let all = ClusterConfig::new(Some(balancing), Some(compute), Some(storage)).expect("all");
        assert!(all.auto_mode());
        let none = ClusterConfig::new(None, None, None).expect("none");
        assert!(!none.auto_mode());
        assert_eq!(
            none.kubernetes_network_config.ip_family.as_deref(),
            Some("ipv4")
        );
    }

    #[test]
    fn node_pools_need_the_compute_capability_and_a_role() {
        let (mut network, mut compute, mut storage) = (None, None, None);
        auto_mode_defaults("123456789012", &mut network, &mut compute, &mut storage);
        let mut without_role = compute.clone().expect("compute");
        without_role.node_role_arn = None;
        assert!(check_compute(&without_role, true).is_err());
        assert!(check_compute(&without_role, false).is_err());
        let config = ClusterConfig::new(network, compute, storage).expect("defaults are valid");
        assert!(config.auto_mode());
    }
}
