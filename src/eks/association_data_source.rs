//! Data sources `aws_eks_pod_identity_association` (one association by service account) and
//! `aws_eks_pod_identity_associations` (all associations of a cluster, with their roles).

use std::collections::BTreeMap;

use async_trait::async_trait;
use futures::stream;
use serde::{Deserialize, Serialize};
use tf_provider::schema::AttributeType;
use tf_provider::value::Value;

use crate::aws::AwsContext;
use crate::eks::find::{describe_associations, find_association_by_id, list_associations};
use crate::error::Error;
use crate::resource::Lookup;
use crate::schema::{
    boolean, computed, optional, optional_computed, required, string, string_map, string_object_of,
    Attr,
};
use crate::validate;
use crate::value::{map_value, text, StringMap, ValueStr};

// ---------------------------------------------------------------------------------------------
// aws_eks_pod_identity_association

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociationLookup {
    pub id: Value<String>,
    pub cluster_name: Value<String>,
    pub namespace: Value<String>,
    pub service_account: Value<String>,
    pub association_id: Value<String>,
    pub association_arn: Value<String>,
    pub role_arn: Value<String>,
    pub target_role_arn: Value<String>,
    pub external_id: Value<String>,
    pub disable_session_tags: Value<bool>,
    pub policy: Value<String>,
    pub owner_arn: Value<String>,
    pub tags: Value<StringMap>,
    pub region: Value<String>,
}

/// `aws_eks_pod_identity_association` (data source).
#[derive(Debug, Clone, Copy)]
pub struct AssociationByServiceAccount;

/// The attributes that name a cluster and, optionally, a service account.
fn service_account_attributes(filters: bool) -> [Attr; 4] {
    let (namespace, service_account) = if filters {
        (
            optional(
                "namespace",
                string(),
                "Only associations of this namespace.",
            ),
            optional(
                "service_account",
                string(),
                "Only associations of service accounts with this name.",
            ),
        )
    } else {
        (
            required(
                "namespace",
                string(),
                "Kubernetes namespace of the service account.",
            ),
            required("service_account", string(), "Name of the service account."),
        )
    };
    [
        required("cluster_name", string(), "Name of the EKS cluster.")
            .check(validate::cluster_name),
        namespace.check(validate::dns1123_label),
        service_account.check(validate::dns1123_subdomain),
        optional_computed(
            "region",
            string(),
            "AWS region of the cluster. Defaults to the provider's `region`.",
        )
        .check(crate::aws::settings::region_name),
    ]
}

#[async_trait]
impl Lookup for AssociationByServiceAccount {
    type State = AssociationLookup;

    const NAME: &'static str = "eks_pod_identity_association";
    const DESCRIPTION: &'static str =
        "Looks up the pod identity association of one service account.";

    fn attributes() -> Vec<Attr> {
        let mut attributes = vec![computed("id", string(), "The association ID.")];
        attributes.extend(service_account_attributes(false));
        attributes.extend([
            computed("association_id", string(), "ID of the association."),
            computed("association_arn", string(), "ARN of the association."),
            computed("role_arn", string(), "ARN of the IAM role."),
            computed(
                "target_role_arn",
                string(),
                "ARN of the target role, if any.",
            ),
            computed(
                "external_id",
                string(),
                "External ID used with the target role, if any.",
            ),
            computed(
                "disable_session_tags",
                boolean(),
                "Whether session tags are disabled.",
            ),
            computed("policy", string(), "Session policy, if any."),
            computed(
                "owner_arn",
                string(),
                "ARN of the EKS add-on owning the association, if any.",
            ),
            computed("tags", string_map(), "Tags of the association."),
        ]);
        attributes
    }

    fn region(config: &Self::State) -> Option<&Value<String>> {
        Some(&config.region)
    }

    fn region_mut(config: &mut Self::State) -> Option<&mut Value<String>> {
        Some(&mut config.region)
    }

    async fn read(ctx: &AwsContext, config: AssociationLookup) -> Result<AssociationLookup, Error> {
        lookup(ctx, config).await
    }
}

async fn lookup(ctx: &AwsContext, config: AssociationLookup) -> Result<AssociationLookup, Error> {
    let cluster = config.cluster_name.as_str().to_string();
    let namespace = config.namespace.as_str().to_string();
    let service_account = config.service_account.as_str().to_string();
    let context = || {
        format!("Looking up the pod identity association of {namespace}/{service_account} in cluster {cluster}")
    };
    let not_found = |why: String| Error::refused("Pod identity association not found", why);
    let summaries = list_associations(ctx, &cluster, Some(&namespace), Some(&service_account))
        .await
        .map_err(|e| Error::aws(context(), e))?
        .ok_or_else(|| {
            not_found(format!(
                "Cluster {cluster} does not exist in region {}.",
                ctx.region
            ))
        })?;
    let id = summaries
        .first()
        .and_then(|s| s.association_id())
        .map(str::to_string)
        .ok_or_else(|| {
            not_found(format!(
                "Cluster {cluster} has no pod identity association for service account {namespace}/{service_account}."
            ))
        })?;
    let found = find_association_by_id(ctx, &cluster, &id)
        .await
        .map_err(|e| Error::aws(context(), e))?
        .ok_or_else(|| {
            not_found(format!(
                "Association {id} of cluster {cluster} disappeared while it was read."
            ))
        })?;
    let api_tags: BTreeMap<String, String> = found
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    Ok(AssociationLookup {
        id: Value::Value(id.clone()),
        association_id: Value::Value(id),
        association_arn: text(found.association_arn()),
        role_arn: text(found.role_arn()),
        target_role_arn: text(found.target_role_arn()),
        external_id: text(found.external_id()),
        disable_session_tags: Value::Value(found.disable_session_tags().unwrap_or(false)),
        policy: text(found.policy()),
        owner_arn: text(found.owner_arn()),
        tags: map_value(&api_tags),
        ..config
    })
}

// ---------------------------------------------------------------------------------------------
// aws_eks_pod_identity_associations

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociationEntry {
    pub association_id: Value<String>,
    pub association_arn: Value<String>,
    pub namespace: Value<String>,
    pub service_account: Value<String>,
    pub role_arn: Value<String>,
    pub target_role_arn: Value<String>,
    pub owner_arn: Value<String>,
    pub addon_name: Value<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssociationList {
    pub id: Value<String>,
    pub cluster_name: Value<String>,
    pub namespace: Value<String>,
    pub service_account: Value<String>,
    pub owned_by_addon: Value<bool>,
    pub associations: Value<Vec<AssociationEntry>>,
    pub region: Value<String>,
}

/// The add-on named in an add-on's ARN (`arn:aws:eks:REGION:ACCOUNT:addon/CLUSTER/NAME/ID`), the
/// owner EKS gives the associations an add-on creates.
pub fn addon_name_of(owner_arn: &str) -> Option<&str> {
    let (_, resource) = owner_arn.split_once(":addon/")?;
    let mut parts = resource.split('/');
    let _cluster = parts.next()?;
    parts.next().filter(|name| !name.is_empty())
}

/// `aws_eks_pod_identity_associations` (data source).
#[derive(Debug, Clone, Copy)]
pub struct AssociationsOfCluster;

#[async_trait]
impl Lookup for AssociationsOfCluster {
    type State = AssociationList;

    const NAME: &'static str = "eks_pod_identity_associations";
    const DESCRIPTION: &'static str = "Lists the pod identity associations of a cluster with their roles, for example to check that blue and green clusters grant the same roles.";

    fn attributes() -> Vec<Attr> {
        let mut attributes = vec![computed("id", string(), "The cluster name.")];
        attributes.extend(service_account_attributes(true));
        attributes.push(optional(
            "owned_by_addon",
            boolean(),
            "`true`: only associations an EKS add-on owns (and manages); `false`: only the others. Unset: all.",
        ));
        attributes.push(computed(
            "associations",
            AttributeType::List(Box::new(string_object_of::<AssociationEntry>())),
            "The associations, ordered by namespace and service account: `association_id`, `association_arn`, `namespace`, `service_account`, `role_arn`, `target_role_arn`, `owner_arn`, `addon_name`.",
        ));
        attributes
    }

    fn region(config: &Self::State) -> Option<&Value<String>> {
        Some(&config.region)
    }

    fn region_mut(config: &mut Self::State) -> Option<&mut Value<String>> {
        Some(&mut config.region)
    }

    async fn read(ctx: &AwsContext, config: AssociationList) -> Result<AssociationList, Error> {
        list_with_roles(ctx, config).await
    }
}

async fn list_with_roles(
    ctx: &AwsContext,
    config: AssociationList,
) -> Result<AssociationList, Error> {
    let cluster = config.cluster_name.as_str().to_string();
    let context = || format!("Listing the pod identity associations of cluster {cluster}");
    let summaries = list_associations(
        ctx,
        &cluster,
        config.namespace.as_ref_option().map(String::as_str),
        config.service_account.as_ref_option().map(String::as_str),
    )
    .await
    .map_err(|e| Error::aws(context(), e))?
    .ok_or_else(|| {
        Error::refused(
            "Cluster not found",
            format!("Cluster {cluster} does not exist in region {}.", ctx.region),
        )
    })?;
    // Summaries carry the owner, not the role: filter on the owner first, then describe each,
    // many at a time and in whatever order they answer (a throttled call waits out its backoff
    // without holding up the others); the list is sorted below.
    let wanted = config.owned_by_addon.as_ref_option().copied();
    let summaries = summaries.into_iter().filter(|summary| {
        let owned = summary.owner_arn().is_some_and(|o| !o.is_empty());
        wanted.is_none_or(|want| want == owned)
    });
    let ids = summaries.filter_map(|s| {
        s.association_id()
            .map(|id| Ok((cluster.clone(), id.to_string())))
    });
    let mut entries = describe_associations(ctx, stream::iter(ids), |_, a| {
        Some(AssociationEntry {
            association_id: text(a.association_id()),
            association_arn: text(a.association_arn()),
            namespace: text(a.namespace()),
            service_account: text(a.service_account()),
            role_arn: text(a.role_arn()),
            target_role_arn: text(a.target_role_arn()),
            owner_arn: text(a.owner_arn()),
            addon_name: text(a.owner_arn().and_then(addon_name_of)),
        })
    })
    .await
    .map_err(|e| Error::aws(context(), e))?;
    // An association deleted between List and Describe is simply not listed; one that two
    // pages both returned is listed once.
    entries.sort_by(|a, b| {
        (
            a.namespace.as_str(),
            a.service_account.as_str(),
            a.association_id.as_str(),
        )
            .cmp(&(
                b.namespace.as_str(),
                b.service_account.as_str(),
                b.association_id.as_str(),
            ))
    });
    entries.dedup_by(|a, b| a.association_id == b.association_id);
    Ok(AssociationList {
        id: Value::Value(cluster.clone()),
        associations: Value::Value(entries),
        ..config
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_add_on_is_read_from_its_arn() {
        assert_eq!(
            addon_name_of(
                "arn:aws:eks:eu-west-1:123456789012:addon/shop-blue/aws-ebs-csi-driver/7ec9-11"
            ),
            Some("aws-ebs-csi-driver")
        );
        assert_eq!(
            addon_name_of("arn:aws:eks:eu-west-1:123456789012:cluster/shop-blue"),
            None
        );
        assert_eq!(addon_name_of(""), None);
    }
}
