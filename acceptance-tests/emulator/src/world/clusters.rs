//! Clusters: created through the API or the admin interface, listed in name order.

use serde_json::{json, Value};
use uuid::Uuid;

use super::{invalid_next_token, now, required, Cluster, Cursor, PageRequest, World};
use crate::error::{ApiError, ErrorKind};
use crate::validation::{check_cluster_name, check_tags, parse_role_arn};
use crate::world::CreateClusterRequest;

const DEFAULT_KUBERNETES_VERSION: &str = "1.31";

impl World {
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

    pub fn list_clusters(&mut self, page: PageRequest<'_>) -> Result<Value, ApiError> {
        let page_size = page.size()?;
        let after = match page.next_token {
            None => None,
            Some(token) => match self.cursor(token)? {
                Cursor::Clusters { after } => Some(after.clone()),
                Cursor::Associations { .. } => return Err(invalid_next_token()),
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
        self.forget_tokens_of(name);
        self.cursors.retain(
            |_, cursor| !matches!(cursor, Cursor::Associations { cluster, .. } if cluster == name),
        );
        cluster.status = "DELETING";
        Ok(cluster)
    }
}
