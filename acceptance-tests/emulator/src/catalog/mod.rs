//! The EKS add-ons the emulator knows: their versions, which Kubernetes versions each runs on and
//! which one is the default there (DescribeAddonVersions), their configuration schemas
//! (DescribeAddonConfiguration) and the service accounts they can give pod identity associations.
//! Fixed data: no state, no lock.

mod data;
mod schemas;

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::json_schema;

pub struct AddonDefinition {
    pub name: &'static str,
    /// DescribeAddonVersions' `type`.
    pub kind: &'static str,
    pub publisher: &'static str,
    pub owner: &'static str,
    /// Where the add-on's workloads and pod identity associations live, unless CreateAddon's
    /// `namespaceConfig` says otherwise.
    pub default_namespace: &'static str,
    pub architectures: &'static [&'static str],
    pub compute_types: &'static [&'static str],
    pub requires_iam_permissions: bool,
    /// The service accounts that can get pod identity associations through the add-on; empty:
    /// the add-on does not support pod identity.
    pub pod_identity: &'static [PodIdentityConfiguration],
    pub schema: &'static str,
    /// Newest first, as DescribeAddonVersions lists them.
    pub versions: &'static [AddonVersion],
}

pub struct PodIdentityConfiguration {
    pub service_account: &'static str,
    pub recommended_managed_policies: &'static [&'static str],
}

pub struct AddonVersion {
    pub version: &'static str,
    pub cluster_versions: &'static [&'static str],
    /// The Kubernetes versions on which this is the version CreateAddon installs when none is
    /// asked for (`compatibilities[].defaultVersion`).
    pub default_for: &'static [&'static str],
}

impl AddonVersion {
    pub fn runs_on(&self, kubernetes_version: &str) -> bool {
        self.cluster_versions.contains(&kubernetes_version)
    }
}

/// An add-on by name.
pub fn addon(name: &str) -> Option<&'static AddonDefinition> {
    data::ADDONS.iter().find(|addon| addon.name == name)
}

/// Every add-on, in name order (the order DescribeAddonVersions pages through).
pub fn addons() -> &'static [AddonDefinition] {
    data::ADDONS
}

impl AddonDefinition {
    pub fn version(&self, version: &str) -> Option<&'static AddonVersion> {
        self.versions.iter().find(|v| v.version == version)
    }

    /// The version CreateAddon installs on a cluster of this Kubernetes version when none is
    /// given.
    pub fn default_version(&self, kubernetes_version: &str) -> Option<&'static AddonVersion> {
        self.versions
            .iter()
            .find(|v| v.default_for.contains(&kubernetes_version))
    }

    /// The version a Create or Update asks for (or the default), which must run on the cluster.
    /// Errors as EKS words them (public reports of CreateAddon/UpdateAddon errors, e.g.
    /// hashicorp/terraform-provider-aws#32238 and marcincuber/eks#10; the API reference lists
    /// only the exception types).
    pub fn resolve_version(
        &self,
        requested: Option<&str>,
        kubernetes_version: &str,
    ) -> Result<&'static AddonVersion, ApiError> {
        match requested {
            None => self
                .default_version(kubernetes_version)
                .ok_or_else(|| not_supported_on(self.name, kubernetes_version)),
            Some(requested) => self
                .version(requested)
                .filter(|v| v.runs_on(kubernetes_version))
                .ok_or_else(|| {
                    ApiError::invalid_parameter("Addon version specified is not supported")
                        .with_addon(self.name)
                }),
        }
    }

    /// Checks `configurationValues` against the add-on's schema. EKS takes JSON (eksctl converts
    /// YAML before calling the API, eksctl-io/eksctl#6264). The wording of a schema violation is
    /// EKS's as public reports show it; that of unparseable JSON is the emulator's own (no public
    /// example found).
    pub fn check_configuration_values(&self, values: &str) -> Result<(), ApiError> {
        let refuse = |detail: String| {
            ApiError::invalid_parameter(format!(
                "ConfigurationValue provided in request is not supported: {detail}"
            ))
            .with_addon(self.name)
        };
        let instance: Value = serde_json::from_str(values)
            .map_err(|err| refuse(format!("Json is not valid: {err}")))?;
        let errors = json_schema::validate(&self.schema(), &instance);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(refuse(format!(
                "Json schema validation failed with error: [{}]",
                errors.join(", ")
            )))
        }
    }

    pub fn schema(&self) -> Value {
        // The schemas are constants checked by this module's tests.
        serde_json::from_str(self.schema).unwrap_or(Value::Null)
    }

    /// The service account's pod identity configuration, if the add-on supports pod identity
    /// for it. Wording of both refusals from public reports of EKS errors
    /// (terraform-aws-modules/terraform-aws-eks#3520, aws/containers-roadmap#2712).
    pub fn check_pod_identity_service_account(
        &self,
        version: &AddonVersion,
        service_account: &str,
    ) -> Result<(), ApiError> {
        if self.pod_identity.is_empty() {
            return Err(ApiError::invalid_parameter(format!(
                "Pod Identity feature is not supported for addon version: {}",
                version.version
            ))
            .with_addon(self.name));
        }
        if !self
            .pod_identity
            .iter()
            .any(|c| c.service_account == service_account)
        {
            return Err(ApiError::invalid_parameter(format!(
                "Service account {service_account} in pod identity configuration is not supported for addon {}",
                self.name
            ))
            .with_addon(self.name));
        }
        Ok(())
    }

    /// The add-on as DescribeAddonVersions shows it (`AddonInfo`), with only the versions that
    /// run on `kubernetes_version` and only that version's compatibility when it is given; `None`
    /// when no version is left.
    pub fn info(&self, kubernetes_version: Option<&str>) -> Option<Value> {
        let versions: Vec<Value> = self
            .versions
            .iter()
            .filter(|v| kubernetes_version.is_none_or(|k8s| v.runs_on(k8s)))
            .map(|v| self.version_info(v, kubernetes_version))
            .collect();
        if versions.is_empty() {
            return None;
        }
        Some(json!({
            "addonName": self.name,
            "type": self.kind,
            "addonVersions": versions,
            "publisher": self.publisher,
            "owner": self.owner,
            "defaultNamespace": self.default_namespace,
        }))
    }

    fn version_info(&self, version: &AddonVersion, kubernetes_version: Option<&str>) -> Value {
        let compatibilities: Vec<Value> = version
            .cluster_versions
            .iter()
            .filter(|k8s| kubernetes_version.is_none_or(|wanted| wanted == **k8s))
            .map(|k8s| {
                json!({
                    "clusterVersion": k8s,
                    "platformVersions": ["*"],
                    "defaultVersion": version.default_for.contains(k8s),
                })
            })
            .collect();
        json!({
            "addonVersion": version.version,
            "architecture": self.architectures,
            "computeTypes": self.compute_types,
            "compatibilities": compatibilities,
            "requiresConfiguration": false,
            "requiresIamPermissions": self.requires_iam_permissions,
        })
    }

    /// DescribeAddonConfiguration's answer for one of the add-on's versions.
    pub fn configuration(&self, version: &AddonVersion) -> Value {
        let mut body = json!({
            "addonName": self.name,
            "addonVersion": version.version,
            "configurationSchema": self.schema().to_string(),
        });
        if !self.pod_identity.is_empty() {
            let configurations: Vec<Value> = self
                .pod_identity
                .iter()
                .map(|c| {
                    json!({
                        "serviceAccount": c.service_account,
                        "recommendedManagedPolicies": c.recommended_managed_policies,
                    })
                })
                .collect();
            body["podIdentityConfiguration"] = json!(configurations);
        }
        body
    }
}

/// An add-on EKS does not offer, or none of whose versions runs on the cluster.
pub fn not_supported_on(addon_name: &str, kubernetes_version: &str) -> ApiError {
    ApiError::invalid_parameter(format!(
        "Addon {addon_name} specified is not supported in {kubernetes_version} kubernetes version"
    ))
    .with_addon(addon_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_json_objects() {
        for addon in addons() {
            assert!(addon.schema().is_object(), "schema of {}", addon.name);
        }
    }

    #[test]
    fn one_default_per_kubernetes_version() {
        for addon in addons() {
            for k8s in ["1.29", "1.30", "1.31", "1.32", "1.33"] {
                let defaults = addon
                    .versions
                    .iter()
                    .filter(|v| v.default_for.contains(&k8s))
                    .count();
                assert_eq!(defaults, 1, "{} on {k8s}", addon.name);
                let default = addon.default_version(k8s).expect("default");
                assert!(default.runs_on(k8s), "{} default on {k8s}", addon.name);
            }
        }
        let names: Vec<&str> = addons().iter().map(|a| a.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "name order");
    }

    #[test]
    fn seed_003_configuration_is_valid_for_the_agent() {
        let agent = addon("eks-pod-identity-agent").expect("agent");
        agent
            .check_configuration_values(r#"{"agent":{"additionalArgs":{"-b":"169.254.170.23"}}}"#)
            .expect("seed 003");
        let refused = agent
            .check_configuration_values(r#"{"agent":{"ipv6":false}}"#)
            .expect_err("unknown key");
        assert!(refused.message.contains("$.agent.ipv6: is not defined"));
        assert!(agent.check_configuration_values("not json").is_err());
    }
}
