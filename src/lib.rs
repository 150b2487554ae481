//! terraform-provider-podidentity: EKS Pod Identity associations and the shared IAM role trusted
//! by `pods.eks.amazonaws.com`, for configurations split into a common state and per-cluster
//! (blue/green) states.

pub mod aws;
pub mod diagnostics;
pub mod eks;
pub mod error;
pub mod iam;
pub mod logging;
pub mod policy_json;
pub mod provider;
pub mod resource;
pub mod schema;
pub mod tags;
pub mod validate;

use std::collections::HashMap;

use tf_provider::{DynamicDataSource, DynamicResource};

pub use provider::PodIdentityProvider;

/// Resource and data source type names are `aws_<name>`, so configurations that move from
/// hashicorp/aws keep their addresses and only add `provider = podidentity`.
pub const TYPE_PREFIX: &str = "aws";

/// What a person sees when running the binary directly.
pub const USAGE: &str = concat!(
    "terraform-provider-podidentity ",
    env!("CARGO_PKG_VERSION"),
    "\n\n",
    "This is a Terraform provider plugin: Terraform starts it, people do not.\n",
    "It manages EKS Pod Identity associations (aws_eks_pod_identity_association) and the\n",
    "shared IAM role trusted by pods.eks.amazonaws.com (aws_eks_pod_identity_role).\n\n",
    "To use it, declare it in your configuration:\n\n",
    "  terraform {\n",
    "    required_providers {\n",
    "      podidentity = { source = \"podidentity/podidentity\" }\n",
    "    }\n",
    "  }\n\n",
    "and make Terraform find this binary: `make install` copies it into the local plugin\n",
    "directory (~/.terraform.d/plugins), or point a dev_overrides entry of your CLI\n",
    "configuration at the directory that holds it. Then run `terraform init` and `terraform plan`.\n\n",
    "  --version   print the version and exit\n",
);

/// Every resource type, keyed by its name without the `aws_` prefix.
pub fn resources(configured: aws::Configured) -> HashMap<String, Box<dyn DynamicResource>> {
    let mut all: HashMap<String, Box<dyn DynamicResource>> = HashMap::new();
    all.insert(
        "eks_pod_identity_association".into(),
        Box::new(eks::association::AssociationResource::new(
            configured.clone(),
        )),
    );
    all.insert(
        "eks_pod_identity_role".into(),
        Box::new(iam::role::RoleResource::new(configured)),
    );
    all
}

/// Every data source type, keyed by its name without the `aws_` prefix.
pub fn data_sources(configured: aws::Configured) -> HashMap<String, Box<dyn DynamicDataSource>> {
    let mut all: HashMap<String, Box<dyn DynamicDataSource>> = HashMap::new();
    all.insert(
        "eks_pod_identity_association".into(),
        Box::new(eks::association_data::AssociationDataSource::new(
            configured.clone(),
        )),
    );
    all.insert(
        "eks_pod_identity_associations".into(),
        Box::new(eks::association_data::AssociationsDataSource::new(
            configured.clone(),
        )),
    );
    all.insert(
        "eks_pod_identity_role".into(),
        Box::new(iam::role_data::RoleDataSource::new(configured)),
    );
    all
}

/// Serve the provider over the plugin protocol until Terraform stops it.
pub async fn serve() -> anyhow::Result<()> {
    tf_provider::serve(TYPE_PREFIX, PodIdentityProvider::default()).await
}
