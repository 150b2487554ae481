//! Tags of clusters, associations and add-ons, addressed by ARN.

use super::{TagResourceRequest, Tags, World};
use crate::error::{ApiError, ErrorKind};
use crate::validation::check_tags;

impl World {
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

    /// Tags of the cluster, association or add-on with this ARN.
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
            // addon/<cluster>/<name>/<uuid>: the uuid tells an add-on from an earlier one of
            // the same name.
            "addon" => path
                .next()
                .and_then(|name| cluster.addons.get_mut(name))
                .filter(|addon| addon.addon_arn == arn)
                .map(|addon| &mut addon.tags)
                .ok_or_else(not_found),
            _ => Err(not_found()),
        }
    }
}
