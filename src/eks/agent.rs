//! `aws_eks_pod_identity_agent`: the `eks-pod-identity-agent` EKS add-on of one cluster, the
//! daemon that hands pods the credentials of their pod identity association. Create and update
//! wait until the add-on is ACTIVE; a failed add-on is reported with its health issues and kept
//! in the state; delete waits until it is gone. On an EKS Auto Mode cluster the agent is built
//! in, and the plan says so.

mod config_values;
pub mod presence;
pub mod wait;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_eks::types::{Addon, AddonStatus, ResolveConflicts};
use serde::{Deserialize, Serialize};
use tf_provider::schema::{Block, NestedBlock};
use tf_provider::value::{serde_as_vec, Value};

use crate::aws::errors::from_sdk;
use crate::aws::AwsContext;
use crate::eks::association::apply_tag_changes;
use crate::error::Error;
use crate::policy_json;
use crate::resource::{region, Applied, ManagedResource, Warning};
use crate::schema::{
    block, boolean, computed, optional, optional_computed, required, string, string_map, Attr,
};
use crate::tags;
use crate::validate::{self, attr, Problems};
use crate::value::{known_map, known_str, text, StringMap, ValueStr};
use wait::{find_agent, find_cluster, settle, Settled, ADDON_NAME, DEFAULT_TIMEOUT};

pub use config_values::IPV4_BIND_ADDRESS;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentState {
    pub id: Value<String>,
    pub cluster_name: Value<String>,
    pub addon_version: Value<String>,
    pub disable_ipv6: Value<bool>,
    pub configuration_values: Value<String>,
    pub resolve_conflicts_on_create: Value<String>,
    pub resolve_conflicts_on_update: Value<String>,
    pub arn: Value<String>,
    pub status: Value<String>,
    pub tags: Value<StringMap>,
    pub tags_all: Value<StringMap>,
    pub region: Value<String>,
    #[serde(default, with = "serde_as_vec")]
    pub timeouts: Value<Timeouts>,
}

/// The `timeouts` block: how long create, update and delete wait for the add-on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    pub create: Value<String>,
    pub update: Value<String>,
    pub delete: Value<String>,
}

/// `aws_eks_pod_identity_agent`.
#[derive(Debug, Clone, Copy)]
pub struct PodIdentityAgent;

const RESOLVE_ON_CREATE: [&str; 2] = ["NONE", "OVERWRITE"];
const RESOLVE_ON_UPDATE: [&str; 3] = ["NONE", "OVERWRITE", "PRESERVE"];

fn one_of(allowed: &'static [&'static str]) -> impl Fn(&str) -> Result<(), String> {
    move |s: &str| {
        if allowed.contains(&s) {
            Ok(())
        } else {
            Err(format!("{s:?} is not one of {}.", allowed.join(", ")))
        }
    }
}

fn resolve_on_create(s: &str) -> Result<(), String> {
    one_of(&RESOLVE_ON_CREATE)(s)
}

fn resolve_on_update(s: &str) -> Result<(), String> {
    one_of(&RESOLVE_ON_UPDATE)(s)
}

/// An add-on version as EKS names them: `v1.3.4-eksbuild.1`.
fn addon_version(s: &str) -> Result<(), String> {
    let ok = s.strip_prefix('v').is_some_and(|rest| {
        let (semver, build) = rest.split_once("-eksbuild.").unwrap_or((rest, "0"));
        semver.split('.').count() == 3
            && semver
                .split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            && !build.is_empty()
            && build.bytes().all(|b| b.is_ascii_digit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not an add-on version: EKS names them like \"v1.3.4-eksbuild.1\" (aws eks describe-addon-versions --addon-name {ADDON_NAME} lists them)."
        ))
    }
}

/// A duration such as `20m`, `1h30m` or `45s`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration: write it like \"20m\", \"1h30m\" or \"90s\".");
    let mut total = 0u64;
    let mut number = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total += n * match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

fn timeout(state: &AgentState, pick: fn(&Timeouts) -> &Value<String>) -> Duration {
    match &state.timeouts {
        Value::Value(t) => known_str(pick(t))
            .and_then(|s| parse_duration(s).ok())
            .unwrap_or(DEFAULT_TIMEOUT),
        _ => DEFAULT_TIMEOUT,
    }
}

#[async_trait]
impl ManagedResource for PodIdentityAgent {
    type State = AgentState;

    const NAME: &'static str = "eks_pod_identity_agent";
    const DESCRIPTION: &'static str = "Installs the EKS Pod Identity Agent (the `eks-pod-identity-agent` EKS add-on) on a cluster: without it, or a self-managed agent, pods get no credentials from their pod identity associations.";

    fn attributes() -> Vec<Attr> {
        vec![
            computed("id", string(), "The cluster name.").use_state_for_unknown(),
            required("cluster_name", string(), "Name of the EKS cluster. Changing it replaces the add-on.")
                .replace()
                .check(validate::cluster_name),
            optional_computed("addon_version", string(), "Version of the add-on, such as `v1.3.4-eksbuild.1`. Unset: the version DescribeAddonVersions marks for the cluster's Kubernetes version, chosen at create and kept. Changing it updates the add-on in place.")
                .use_state_for_unknown()
                .check(addon_version),
            optional_computed("disable_ipv6", boolean(), "Make the agent listen on IPv4 only (`169.254.170.23`), for nodes without IPv6. Defaults to `false`. Updated in place.")
                .default(false),
            optional("configuration_values", string(), "Configuration values of the add-on (JSON), as `aws eks describe-addon-configuration` describes them; `disable_ipv6` is added to them. Equivalent JSON gives no diff. Updated in place.")
                .check(validate::json_object),
            optional_computed("resolve_conflicts_on_create", string(), "What EKS does with fields the add-on would overwrite at create: `NONE` or `OVERWRITE`. Defaults to `OVERWRITE`.")
                .default("OVERWRITE")
                .check(resolve_on_create),
            optional_computed("resolve_conflicts_on_update", string(), "What EKS does with fields changed outside the add-on at update: `NONE`, `OVERWRITE` or `PRESERVE`. Defaults to `OVERWRITE`.")
                .default("OVERWRITE")
                .check(resolve_on_update),
            computed("arn", string(), "ARN of the add-on.").use_state_for_unknown(),
            computed("status", string(), "Status of the add-on, `ACTIVE` once installed."),
            optional("tags", string_map(), "Tags of the add-on. Merged over the provider's `default_tags`.").check_tags(),
            computed("tags_all", string_map(), "All tags of the add-on, including the provider's `default_tags`."),
            region::attribute("add-on"),
        ]
    }

    fn region(state: &Self::State) -> Option<&Value<String>> {
        Some(&state.region)
    }

    fn region_mut(state: &mut Self::State) -> Option<&mut Value<String>> {
        Some(&mut state.region)
    }

    fn blocks() -> Vec<(&'static str, NestedBlock)> {
        let duration = |name: &'static str, what: &str| {
            optional(
                name,
                string(),
                &format!(
                    "How long to wait for the add-on to {what}, such as `30m`. Unset: 20 minutes."
                ),
            )
        };
        let timeouts: Block = block(
            "How long create, update and delete wait for the add-on.",
            &[
                duration("create", "become ACTIVE after it is created"),
                duration("update", "become ACTIVE after an update"),
                duration("delete", "be gone after it is deleted"),
            ],
            vec![],
        );
        vec![("timeouts", NestedBlock::Optional(timeouts))]
    }

    fn validate(config: &AgentState, _defaults: &BTreeMap<String, String>) -> Problems {
        let mut p = Problems::default();
        if let (Value::Value(true), Some(values)) = (
            &config.disable_ipv6,
            known_str(&config.configuration_values),
        ) {
            if config_values::sets_bind_address(values) {
                p.push(Error::invalid(
                    attr("configuration_values"),
                    "configuration_values conflicts with disable_ipv6",
                    format!("configuration_values sets agent.additionalArgs.\"-b\", which disable_ipv6 = true sets to {IPV4_BIND_ADDRESS}: remove one of them."),
                ));
            }
        }
        if let Value::Value(t) = &config.timeouts {
            for (name, value) in [
                ("create", &t.create),
                ("update", &t.update),
                ("delete", &t.delete),
            ] {
                if let Some(text) = known_str(value) {
                    p.check(
                        attr("timeouts").index(0).attribute(name),
                        &format!("timeouts.{name}"),
                        parse_duration(text).map(|_| ()),
                    );
                }
            }
        }
        p
    }

    fn plan(
        prior: Option<&AgentState>,
        mut planned: AgentState,
        _config: &AgentState,
        defaults: &BTreeMap<String, String>,
    ) -> Result<AgentState, Error> {
        planned.tags_all = tags::plan_tags_all(&planned.tags, defaults);
        planned.id = planned.cluster_name.clone();
        match prior {
            None => planned.status = Value::Unknown,
            Some(prior) => {
                planned.configuration_values = policy_json::keep_equivalent(
                    &prior.configuration_values,
                    planned.configuration_values,
                );
                let changes = planned.addon_version != prior.addon_version
                    || planned.disable_ipv6 != prior.disable_ipv6
                    || planned.configuration_values != prior.configuration_values;
                planned.status = if changes {
                    Value::Unknown
                } else {
                    prior.status.clone()
                };
            }
        }
        Ok(planned)
    }

    /// The agent is built into EKS Auto Mode: refuse the plan rather than let EKS refuse the
    /// add-on at apply. A cluster that does not exist yet (created by the same apply) is not
    /// judged.
    async fn check_plan(
        ctx: &AwsContext,
        prior: Option<&AgentState>,
        planned: &AgentState,
        _replacing: bool,
    ) -> Result<Vec<Warning>, Error> {
        let Some(cluster) = known_str(&planned.cluster_name) else {
            return Ok(vec![]);
        };
        if prior.is_some_and(|p| p.cluster_name == planned.cluster_name) {
            return Ok(vec![]);
        }
        let found = find_cluster(ctx, cluster).await.map_err(|e| {
            Error::aws(
                format!("Reading cluster {cluster} to plan its Pod Identity Agent"),
                e,
            )
        })?;
        if found.as_ref().is_some_and(wait::is_auto_mode) {
            return Err(Error::Invalid {
                path: attr("cluster_name"),
                summary: format!("Cluster {cluster} runs EKS Auto Mode, which has the Pod Identity Agent built in"),
                detail: format!("EKS Auto Mode runs the agent on its nodes itself, and refuses the {ADDON_NAME} add-on. Remove this aws_eks_pod_identity_agent: pod identity associations of cluster {cluster} already work."),
            });
        }
        Ok(vec![])
    }

    async fn read(ctx: &AwsContext, state: &AgentState) -> Result<Option<AgentState>, Error> {
        let cluster = state.cluster_name.as_str();
        find_agent(ctx, cluster)
            .await
            .map(|found| found.map(|addon| state_from_api(&addon, state, &ctx.default_tags)))
            .map_err(|e| {
                Error::aws(
                    format!("Reading the Pod Identity Agent of cluster {cluster}"),
                    e,
                )
            })
    }

    fn gone(state: &AgentState) -> (String, String) {
        (
            "Pod Identity Agent not found".into(),
            format!(
                "The {ADDON_NAME} add-on of cluster {} no longer exists (it, or its cluster, was deleted outside Terraform). Applying this run removes it from the state (a plan alone changes nothing); while it is still in the configuration, the plan installs it again.",
                state.cluster_name.as_str()
            ),
        )
    }

    fn target(state: &AgentState) -> String {
        format!("{} ({ADDON_NAME})", state.cluster_name.as_str())
    }

    async fn create(ctx: &AwsContext, planned: &AgentState) -> Applied<Option<AgentState>> {
        let cluster = planned.cluster_name.as_str().to_string();
        let context = || format!("Installing the Pod Identity Agent on cluster {cluster}");
        let version = match known_str(&planned.addon_version) {
            Some(v) => Some(v.to_string()),
            None => match default_version_of(ctx, &cluster).await {
                Ok(v) => v,
                Err(err) => return Applied::new(None, Err(err)),
            },
        };
        let tags: std::collections::HashMap<String, String> = known_map(&planned.tags_all)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let request = ctx
            .eks
            .create_addon()
            .cluster_name(&cluster)
            .addon_name(ADDON_NAME)
            .set_addon_version(version)
            .set_configuration_values(config_values::merged(
                known_str(&planned.configuration_values),
                matches!(planned.disable_ipv6, Value::Value(true)),
            ))
            .resolve_conflicts(ResolveConflicts::from(
                planned.resolve_conflicts_on_create.as_str(),
            ))
            .client_request_token(uuid::Uuid::new_v4().to_string())
            .set_tags((!tags.is_empty()).then_some(tags));
        if let Err(e) = request.send().await {
            let err = from_sdk("CreateAddon", e);
            // The answer may be lost while EKS created it: look before reporting.
            if err.is_ambiguous() {
                if let Ok(Some(addon)) = find_agent(ctx, &cluster).await {
                    return settled_create(ctx, planned, addon).await;
                }
            }
            let err = if err.is_code("ResourceInUseException") {
                Error::refused(
                    format!("Cluster {cluster} already has the Pod Identity Agent add-on"),
                    format!("{err}\n\nImport it to manage it here:\n\nimport {{\n  provider = podidentity\n  to       = aws_eks_pod_identity_agent.<name>\n  id       = \"{cluster}\"\n}}"),
                )
            } else {
                Error::aws(context(), err)
            };
            return Applied::new(None, Err(err));
        }
        match find_agent(ctx, &cluster).await {
            Ok(Some(addon)) => settled_create(ctx, planned, addon).await,
            Ok(None) => Applied::new(None, Err(Error::internal(format!("EKS accepted the {ADDON_NAME} add-on of cluster {cluster} but does not show it")))),
            Err(e) => Applied::new(None, Err(Error::aws(context(), e))),
        }
    }

    async fn update(
        ctx: &AwsContext,
        prior: &AgentState,
        planned: &AgentState,
    ) -> Applied<AgentState> {
        let cluster = planned.cluster_name.as_str().to_string();
        let context = || format!("Updating the Pod Identity Agent of cluster {cluster}");
        let mut state = prior.clone();
        let addon_changes = planned.addon_version != prior.addon_version
            || planned.disable_ipv6 != prior.disable_ipv6
            || planned.configuration_values != prior.configuration_values;
        if addon_changes {
            let values = config_values::merged(
                known_str(&planned.configuration_values),
                matches!(planned.disable_ipv6, Value::Value(true)),
            )
            // Nothing left to configure: an empty object clears what was set.
            .unwrap_or_else(|| "{}".to_string());
            let sent = ctx
                .eks
                .update_addon()
                .cluster_name(&cluster)
                .addon_name(ADDON_NAME)
                .set_addon_version(known_str(&planned.addon_version).map(str::to_string))
                .configuration_values(values)
                .resolve_conflicts(ResolveConflicts::from(
                    planned.resolve_conflicts_on_update.as_str(),
                ))
                .client_request_token(uuid::Uuid::new_v4().to_string())
                .send()
                .await;
            if let Err(e) = sent {
                return Applied::new(
                    state,
                    Err(Error::aws(context(), from_sdk("UpdateAddon", e))),
                );
            }
            let settled = settle(
                ctx,
                &cluster,
                &[AddonStatus::Updating, AddonStatus::Creating],
                timeout(planned, |t| &t.update),
                "finish its update",
            )
            .await;
            match settled {
                Ok(Settled::Status(addon)) => {
                    state = state_from_api(&addon, planned, &ctx.default_tags);
                    if let Some(err) = failed(&addon, &cluster, "updated") {
                        return Applied::new(state, Err(err));
                    }
                }
                Ok(Settled::Gone) => {
                    return Applied::new(state, Err(Error::refused(format!("The Pod Identity Agent of cluster {cluster} disappeared during its update"), "The add-on was deleted outside Terraform while it was updated.")));
                }
                Err(err) => return Applied::new(state, Err(err)),
            }
        }
        let old = known_map(&prior.tags_all).unwrap_or_default();
        let new = known_map(&planned.tags_all).unwrap_or_default();
        let changes = tags::diff(&old, &new);
        if !changes.is_empty() {
            if let Err(e) = apply_tag_changes(ctx, prior.arn.as_str(), &changes).await {
                return Applied::new(state, Err(Error::aws(context(), e)));
            }
        }
        state.tags = planned.tags.clone();
        state.tags_all = planned.tags_all.clone();
        state.resolve_conflicts_on_create = planned.resolve_conflicts_on_create.clone();
        state.resolve_conflicts_on_update = planned.resolve_conflicts_on_update.clone();
        state.timeouts = planned.timeouts.clone();
        Applied::new(state, Ok(()))
    }

    async fn delete(ctx: &AwsContext, state: &AgentState) -> Result<(), Error> {
        let cluster = state.cluster_name.as_str();
        let context = || format!("Deleting the Pod Identity Agent of cluster {cluster}");
        let deleted = ctx
            .eks
            .delete_addon()
            .cluster_name(cluster)
            .addon_name(ADDON_NAME)
            .send()
            .await
            .map_err(|e| from_sdk("DeleteAddon", e));
        match deleted {
            Ok(_) => {}
            Err(err) if err.is_not_found() => return Ok(()),
            Err(err) => return Err(Error::aws(context(), err)),
        }
        match settle(
            ctx,
            cluster,
            &[AddonStatus::Deleting],
            timeout(state, |t| &t.delete),
            "be deleted",
        )
        .await?
        {
            Settled::Gone => Ok(()),
            Settled::Status(addon) => Err(Error::refused(
                format!("The Pod Identity Agent of cluster {cluster} was not deleted"),
                format!(
                    "The add-on is {}. {}",
                    addon
                        .status()
                        .map_or("in an unknown status", AddonStatus::as_str),
                    wait::health_issues(&addon)
                ),
            )),
        }
    }

    async fn import(ctx: &AwsContext, id: &str) -> Result<AgentState, Error> {
        validate::cluster_name(id).map_err(|reason| {
            Error::invalid(
                tf_provider::AttributePath::root(),
                "Invalid import ID",
                format!("{reason} Import the Pod Identity Agent by the name of its cluster."),
            )
        })?;
        let seed = AgentState {
            cluster_name: Value::Value(id.to_string()),
            resolve_conflicts_on_create: Value::Value("OVERWRITE".into()),
            resolve_conflicts_on_update: Value::Value("OVERWRITE".into()),
            ..AgentState::default()
        };
        match find_agent(ctx, id).await {
            Ok(Some(addon)) => Ok(state_from_api(&addon, &seed, &ctx.default_tags)),
            Ok(None) => Err(Error::refused(
                "Cannot import a Pod Identity Agent that does not exist",
                format!("Cluster {id} has no {ADDON_NAME} add-on (or the cluster does not exist in region {}).", ctx.region),
            )),
            Err(e) => Err(Error::aws(format!("Importing the Pod Identity Agent of cluster {id}"), e)),
        }
    }
}

/// The default version of the agent for `cluster`'s Kubernetes version.
async fn default_version_of(ctx: &AwsContext, cluster: &str) -> Result<Option<String>, Error> {
    let context =
        || format!("Finding the default Pod Identity Agent version for cluster {cluster}");
    let found = find_cluster(ctx, cluster)
        .await
        .map_err(|e| Error::aws(context(), e))?
        .ok_or_else(|| {
            Error::refused(
                format!("Cluster {cluster} not found"),
                format!("Cluster {cluster} does not exist in region {}.", ctx.region),
            )
        })?;
    let Some(kubernetes) = found.version() else {
        return Ok(None);
    };
    wait::default_version(ctx, kubernetes)
        .await
        .map_err(|e| Error::aws(context(), e))
}

/// After CreateAddon: wait for ACTIVE and record the add-on, whatever its end.
async fn settled_create(
    ctx: &AwsContext,
    planned: &AgentState,
    addon: Addon,
) -> Applied<Option<AgentState>> {
    let cluster = planned.cluster_name.as_str().to_string();
    let first = state_from_api(&addon, planned, &ctx.default_tags);
    match settle(
        ctx,
        &cluster,
        &[AddonStatus::Creating],
        timeout(planned, |t| &t.create),
        "become ACTIVE",
    )
    .await
    {
        Ok(Settled::Status(addon)) => {
            let state = state_from_api(&addon, planned, &ctx.default_tags);
            let result = failed(&addon, &cluster, "installed").map_or(Ok(()), Err);
            Applied::new(Some(state), result)
        }
        Ok(Settled::Gone) => Applied::new(
            None,
            Err(Error::refused(
                format!(
                    "The Pod Identity Agent of cluster {cluster} disappeared while it was created"
                ),
                "The add-on was deleted outside Terraform before it became ACTIVE.",
            )),
        ),
        // Kept in the state: it exists, and the next apply looks at it again.
        Err(err) => Applied::new(Some(first), Err(err)),
    }
}

/// The error for an add-on that settled in a status other than ACTIVE.
fn failed(addon: &Addon, cluster: &str, what: &str) -> Option<Error> {
    let status = addon.status()?;
    if *status == AddonStatus::Active {
        return None;
    }
    Some(Error::refused(
        format!("The Pod Identity Agent of cluster {cluster} was {what} but is {}", status.as_str()),
        format!(
            "{}\n\nThe add-on is kept in the state (a failed create marks it tainted, so the next apply replaces it). Until the agent is ACTIVE, pods of cluster {cluster} may get no credentials from their pod identity associations.",
            wait::health_issues(addon)
        ),
    ))
}

/// The state of `addon`, with what the API does not return taken from `base`.
fn state_from_api(
    addon: &Addon,
    base: &AgentState,
    defaults: &BTreeMap<String, String>,
) -> AgentState {
    let (rest, disable_ipv6) = config_values::split(addon.configuration_values());
    let api_tags: BTreeMap<String, String> = addon
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let (tags, tags_all) = tags::split_for_state(&api_tags, &base.tags, &base.tags_all, defaults);
    AgentState {
        id: text(addon.cluster_name()),
        cluster_name: text(addon.cluster_name()),
        addon_version: text(addon.addon_version()),
        disable_ipv6: Value::Value(disable_ipv6),
        configuration_values: policy_json::keep_equivalent(
            &base.configuration_values,
            text(rest.as_deref()),
        ),
        arn: text(addon.addon_arn()),
        status: text(addon.status().map(AddonStatus::as_str)),
        tags,
        tags_all,
        ..base.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_versions() {
        assert_eq!(parse_duration("20m"), Ok(Duration::from_secs(1200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
        for bad in ["", "20", "m", "1d", "0s", "-5m"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(addon_version("v1.3.4-eksbuild.1").is_ok());
        for bad in ["1.3.4", "v1.3", "latest", "v1.3.4-eksbuild."] {
            assert!(addon_version(bad).is_err(), "{bad}");
        }
    }
}
