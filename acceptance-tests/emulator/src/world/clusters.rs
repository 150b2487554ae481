//! Clusters: created through the API or the admin interface, listed in name order. With a
//! creating (deleting) delay, a cluster is `CREATING` (`DELETING`) until it has passed.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{json, Value};
use uuid::Uuid;

use super::cluster_config::{auto_mode_defaults, ClusterConfig};
use super::{now, required, Cluster, Cursor, PageRequest, World};
use crate::error::{ApiError, ErrorKind};
use crate::validation::{check_cluster_name, check_tags, parse_role_arn};
use crate::world::{AdminClusterRequest, CreateClusterRequest};

const DEFAULT_KUBERNETES_VERSION: &str = "1.31";
/// The Kubernetes versions CreateCluster accepts (those the add-on catalog covers).
pub const KUBERNETES_VERSIONS: [&str; 5] = ["1.29", "1.30", "1.31", "1.32", "1.33"];

impl World {
    pub fn create_cluster(&mut self, request: CreateClusterRequest) -> Result<Cluster, ApiError> {
        let name = required(request.name, "name")?;
        check_cluster_name(&name)?;
        if let Some(role_arn) = &request.role_arn {
            parse_role_arn("roleArn", role_arn)?;
        }
        let version = request
            .version
            .unwrap_or_else(|| DEFAULT_KUBERNETES_VERSION.to_owned());
        if !KUBERNETES_VERSIONS.contains(&version.as_str()) {
            // EKS's wording for a version it does not offer.
            return Err(ApiError::invalid_parameter(format!(
                "unsupported Kubernetes version {version}"
            )));
        }
        let config = ClusterConfig::new(
            request.kubernetes_network_config,
            request.compute_config,
            request.storage_config,
        )?;
        let tags = request.tags.unwrap_or_default();
        check_tags(&tags, ErrorKind::InvalidParameter)?;
        if self.clusters.contains_key(&name) {
            return Err(ApiError::new(
                ErrorKind::ResourceInUse,
                format!("Cluster already exists with name: {name}"),
            )
            .with_cluster(&name));
        }
        // AWS answers CreateCluster with CREATING; without a creating delay the emulator's
        // clusters are ACTIVE at once.
        let delay = self.delays.cluster_creating;
        let (status, settles_at) = if delay.is_zero() {
            ("ACTIVE", None)
        } else {
            ("CREATING", Some(Instant::now() + delay))
        };
        let cluster = Cluster {
            arn: format!(
                "arn:aws:eks:{}:{}:cluster/{name}",
                self.region, self.account_id
            ),
            created_at: now(),
            version,
            endpoint: format!(
                "https://{}.gr7.{}.eks.amazonaws.com",
                Uuid::new_v4().simple().to_string().to_ascii_uppercase(),
                self.region
            ),
            role_arn: request.role_arn,
            status,
            tags,
            platform_version: "eks.1".to_owned(),
            resources_vpc_config: request.resources_vpc_config,
            kubernetes_network_config: config.kubernetes_network_config,
            compute_config: config.compute_config,
            storage_config: config.storage_config,
            associations: Vec::new(),
            addons: BTreeMap::new(),
            settles_at,
            name: name.clone(),
        };
        self.clusters.insert(name, cluster.clone());
        Ok(cluster)
    }

    /// Admin: CreateCluster, with the `autoMode` shortcut.
    pub fn create_cluster_as_admin(
        &mut self,
        request: AdminClusterRequest,
    ) -> Result<Cluster, ApiError> {
        let mut cluster = request.cluster;
        if request.auto_mode {
            auto_mode_defaults(
                &self.account_id,
                &mut cluster.kubernetes_network_config,
                &mut cluster.compute_config,
                &mut cluster.storage_config,
            );
        }
        self.create_cluster(cluster)
    }

    pub fn describe_cluster(&self, name: &str) -> Result<Cluster, ApiError> {
        self.cluster(name).cloned()
    }

    pub fn list_clusters(&mut self, page: PageRequest<'_>) -> Result<Value, ApiError> {
        let page_size = page.size()?;
        let after = self.resume(&page, |cursor| match cursor {
            Cursor::Clusters { after } => Some(after.clone()),
            _ => None,
        })?;
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

    /// Starts deleting the cluster: `DELETING` until the deleting delay has passed, then gone with
    /// all its associations, add-ons, their tags and the idempotency tokens used on it. Without a
    /// delay it is gone at once (the answer still says `DELETING`, as EKS's does). Deleting a
    /// cluster already `DELETING` answers it as it is (the API reference is silent on this case).
    pub fn delete_cluster(&mut self, name: &str) -> Result<Cluster, ApiError> {
        let delay = self.delays.cluster_deleting;
        let cluster = self.cluster_mut(name)?;
        if cluster.status == "DELETING" {
            return Ok(cluster.clone());
        }
        cluster.status = "DELETING";
        if delay.is_zero() {
            let cluster = cluster.clone();
            self.remove_cluster(name);
            return Ok(cluster);
        }
        cluster.settles_at = Some(Instant::now() + delay);
        Ok(cluster.clone())
    }

    /// Admin: the cluster is gone now, whatever its state.
    pub fn remove_cluster_now(&mut self, name: &str) -> Result<(), ApiError> {
        self.cluster(name)?;
        self.remove_cluster(name);
        Ok(())
    }

    pub(super) fn remove_cluster(&mut self, name: &str) {
        self.clusters.remove(name);
        self.forget_tokens_of(name);
        self.cursors.retain(|_, cursor| match cursor {
            Cursor::Associations { cluster, .. } | Cursor::Addons { cluster, .. } => {
                cluster != name
            }
            _ => true,
        });
    }
}
