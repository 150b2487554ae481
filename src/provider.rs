//! The provider: the resource and data source types it serves, its configuration schema, and
//! `configure`, which builds the AWS clients every resource shares.

mod config;

use std::collections::HashMap;

use async_trait::async_trait;
use tf_provider::schema::{NestedBlock, Schema};
use tf_provider::value::ValueEmpty;
use tf_provider::{Diagnostics, DynamicDataSource, DynamicFunction, DynamicResource, Provider};

use config::Phase;
pub use config::{
    AssumeRoleConfig, AssumeRoleWithWebIdentityConfig, DefaultTagsConfig, EndpointsConfig,
    IgnoreTagsConfig, ProviderConfig,
};

use crate::aws::{connect, Configured};
use crate::diagnostics::{report, report_all};
use crate::eks::agent::PodIdentityAgent;
use crate::eks::association::Association;
use crate::eks::association_data_source::{AssociationByServiceAccount, AssociationsOfCluster};
use crate::functions;
use crate::iam::role::PodIdentityRole;
use crate::iam::role_data_source::RoleByName;
use crate::resource::{DataSourceType, ResourceType};
use crate::schema::{
    block, boolean, number, optional, string, string_list, string_map, string_set, Attr,
};

/// Every resource type the provider serves.
pub const RESOURCES: &[ResourceType] = &[
    ResourceType::of::<Association>(),
    ResourceType::of::<PodIdentityRole>(),
    ResourceType::of::<PodIdentityAgent>(),
];

/// Every data source type the provider serves.
pub const DATA_SOURCES: &[DataSourceType] = &[
    DataSourceType::of::<AssociationByServiceAccount>(),
    DataSourceType::of::<AssociationsOfCluster>(),
    DataSourceType::of::<RoleByName>(),
];

/// The Terraform provider `podidentity`.
#[derive(Debug, Clone, Default)]
pub struct PodIdentityProvider {
    configured: Configured,
}

impl PodIdentityProvider {
    pub fn configured(&self) -> Configured {
        self.configured.clone()
    }

    /// Every resource, keyed by its type name without the `aws_` prefix.
    pub fn resources(&self) -> HashMap<String, Box<dyn DynamicResource>> {
        RESOURCES
            .iter()
            .map(|t| (t.name.to_string(), (t.serve)(self.configured())))
            .collect()
    }

    /// Every data source, keyed by its type name without the `aws_` prefix.
    pub fn data_sources(&self) -> HashMap<String, Box<dyn DynamicDataSource>> {
        DATA_SOURCES
            .iter()
            .map(|t| (t.name.to_string(), (t.serve)(self.configured())))
            .collect()
    }
}

/// The attributes of a block that assumes a role: `role_arn`, `session_name`, then `proof`
/// (what the role's trust policy asks for), then `duration`.
fn role_session_attributes(proof: Attr) -> [Attr; 4] {
    [
        optional(
            "role_arn",
            string(),
            "ARN of the role to assume. Required in this block.",
        ),
        optional(
            "session_name",
            string(),
            "Session name (2–64 of letters, digits and `_=,.@-`).",
        ),
        proof,
        optional(
            "duration",
            string(),
            "Session length such as `1h` (15m–12h; default 1h).",
        ),
    ]
}

fn provider_schema() -> Schema {
    let assume_role = block(
        "Assume an IAM role before making any call.",
        &role_session_attributes(optional(
            "external_id",
            string(),
            "External ID the role's trust policy requires.",
        )),
        vec![],
    );
    let web_identity = block(
        "Assume an IAM role with an OIDC token (`sts:AssumeRoleWithWebIdentity`) before making any call.",
        &role_session_attributes(optional(
            "web_identity_token_file",
            string(),
            "File holding the OIDC token, read again each time the credentials are renewed. Required in this block.",
        )),
        vec![],
    );
    let endpoints = block(
        "Custom service endpoints. The standard variables `AWS_ENDPOINT_URL_EKS`, `AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL_STS` and `AWS_ENDPOINT_URL` work too; values here win.",
        &[
            optional("eks", string(), "EKS endpoint URL."),
            optional("iam", string(), "IAM endpoint URL."),
            optional("sts", string(), "STS endpoint URL."),
        ],
        vec![],
    );
    let default_tags = block(
        "Tags added to every resource of this provider that supports tags.",
        &[optional(
            "tags",
            string_map(),
            "Tags to add to every taggable resource.",
        )],
        vec![],
    );
    let ignore_tags = block(
        "Tags the provider leaves alone: they are not read into `tags` or `tags_all`, so they never show as drift and are never removed.",
        &[
            optional("keys", string_set(), "Tag keys to ignore."),
            optional("key_prefixes", string_set(), "Tag key prefixes to ignore."),
        ],
        vec![],
    );
    Schema {
        version: 1,
        block: block(
            "EKS Pod Identity: associations and the shared IAM role trusted by `pods.eks.amazonaws.com`.",
            &[
                optional("region", string(), "AWS region. Else `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's region."),
                optional("skip_region_validation", boolean(), "Accept a `region` that is not in the provider's list of AWS regions (default false)."),
                optional("access_key", string(), "Access key ID. With `secret_key`, wins over every other source of credentials."),
                optional("secret_key", string(), "Secret access key, with `access_key`.").sensitive(),
                optional("token", string(), "Session token of temporary credentials, with `access_key` and `secret_key`.").sensitive(),
                optional("profile", string(), "Named profile from the shared configuration files."),
                optional("shared_config_files", string_list(), "Shared configuration files to read instead of `~/.aws/config`."),
                optional("shared_credentials_files", string_list(), "Shared credentials files to read instead of `~/.aws/credentials`."),
                optional("custom_ca_bundle", string(), "PEM file of certificate authorities to trust for HTTPS endpoints, besides the system's. Else `AWS_CA_BUNDLE`."),
                optional("http_proxy", string(), "Proxy for `http://` endpoints. Else `HTTP_PROXY` (or `http_proxy`)."),
                optional("https_proxy", string(), "Proxy for `https://` endpoints. Else `HTTPS_PROXY` (or `https_proxy`)."),
                optional("no_proxy", string(), "Comma-separated hosts, domains and IP addresses reached without a proxy. Else `NO_PROXY` (or `no_proxy`)."),
                optional("max_retries", number(), "Attempts the SDK retries throttled and 5xx requests (default 25)."),
                optional("retry_mode", string(), "How the SDK paces retries: `\"standard\"` (default) or `\"adaptive\"`, which also slows requests down after throttling."),
                optional("skip_credentials_validation", boolean(), "Skip `sts:GetCallerIdentity` at configure (default false)."),
                optional("allowed_account_ids", string_set(), "Only these accounts may be used. Conflicts with `forbidden_account_ids`."),
                optional("forbidden_account_ids", string_set(), "These accounts must not be used. Conflicts with `allowed_account_ids`."),
                optional("trust_check", string(), "What a plan does when an association's role would refuse the pods credentials: `\"error\"` (default) fails the plan, `\"warn\"` plans with a warning, `\"off\"` does not read the role."),
            ],
            vec![
                ("assume_role", NestedBlock::Optional(assume_role)),
                (
                    "assume_role_with_web_identity",
                    NestedBlock::Optional(web_identity),
                ),
                ("endpoints", NestedBlock::Optional(endpoints)),
                ("default_tags", NestedBlock::Optional(default_tags)),
                ("ignore_tags", NestedBlock::Optional(ignore_tags)),
            ],
        ),
    }
}

#[async_trait]
impl Provider for PodIdentityProvider {
    type Config<'a> = ProviderConfig;
    type MetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(provider_schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::Config<'a>) -> Option<()> {
        if let Err(errs) = config.settings(Phase::Validate) {
            report_all(diags, &errs);
        }
        Some(())
    }

    async fn configure<'a>(
        &self,
        diags: &mut Diagnostics,
        _terraform_version: String,
        config: Self::Config<'a>,
    ) -> Option<()> {
        let settings = match config.settings(Phase::Configure) {
            Ok(settings) => settings,
            Err(errs) => {
                report_all(diags, &errs);
                return Some(());
            }
        };
        match connect::connect(&settings).await {
            Ok(ctx) => self.configured.set(ctx),
            Err(err) => report(diags, &err),
        }
        Some(())
    }

    fn get_resources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some(self.resources())
    }

    fn get_data_sources(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(self.data_sources())
    }

    fn get_functions(
        &self,
        _diags: &mut Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicFunction>>> {
        Some(functions::all())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::schema::field_names;

    #[test]
    fn the_configuration_structs_match_the_schema() {
        let names = |keys: Vec<&String>| keys.into_iter().cloned().collect::<BTreeSet<String>>();
        let fields = |f: Vec<&'static str>| f.into_iter().map(String::from).collect();
        let schema = provider_schema();
        let mut top = names(schema.block.attributes.keys().collect());
        top.extend(names(schema.block.blocks.keys().collect()));
        assert_eq!(top, fields(field_names::<ProviderConfig>()));
        for (block, expected) in [
            ("assume_role", field_names::<AssumeRoleConfig>()),
            (
                "assume_role_with_web_identity",
                field_names::<AssumeRoleWithWebIdentityConfig>(),
            ),
            ("endpoints", field_names::<EndpointsConfig>()),
            ("default_tags", field_names::<DefaultTagsConfig>()),
            ("ignore_tags", field_names::<IgnoreTagsConfig>()),
        ] {
            let Some(NestedBlock::Optional(nested)) = schema.block.blocks.get(block) else {
                panic!("{block} is not an optional block");
            };
            assert_eq!(
                names(nested.attributes.keys().collect()),
                fields(expected),
                "{block}"
            );
        }
    }

    /// A state field without a schema attribute (or the reverse) would read as an error at the
    /// first request; a renamed one on only one side is caught here.
    #[test]
    fn every_state_has_exactly_the_attributes_of_its_schema() {
        let kinds = RESOURCES
            .iter()
            .map(|t| (t.name, t.attributes, t.state_fields, t.blocks))
            .chain(
                DATA_SOURCES
                    .iter()
                    .map(|t| (t.name, t.attributes, t.state_fields, t.blocks)),
            );
        for (name, attributes, fields, blocks) in kinds {
            let attributes: BTreeSet<&str> = attributes()
                .iter()
                .map(|a| a.name)
                .chain(blocks())
                .collect();
            let fields: BTreeSet<&str> = fields().into_iter().collect();
            assert!(!fields.is_empty(), "{name}: no state fields found");
            assert_eq!(
                attributes.difference(&fields).collect::<Vec<_>>(),
                Vec::<&&str>::new(),
                "{name}: schema attributes without a state field"
            );
            assert_eq!(
                fields.difference(&attributes).collect::<Vec<_>>(),
                Vec::<&&str>::new(),
                "{name}: state fields without a schema attribute"
            );
        }
    }

    #[test]
    fn type_names_are_unique() {
        let resources: BTreeSet<&str> = RESOURCES.iter().map(|t| t.name).collect();
        assert_eq!(resources.len(), RESOURCES.len());
        let data_sources: BTreeSet<&str> = DATA_SOURCES.iter().map(|t| t.name).collect();
        assert_eq!(data_sources.len(), DATA_SOURCES.len());
    }
}
