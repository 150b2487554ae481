//! terraform-provider-podidentity: EKS Pod Identity associations and the shared IAM role trusted
//! by `pods.eks.amazonaws.com`, for configurations split into a common state and per-cluster
//! (blue/green) states.

pub mod aws;
pub mod diagnostics;
pub mod eks;
pub mod error;
pub mod functions;
pub mod iam;
pub mod lifecycle;
pub mod logging;
pub mod policy_grammar;
pub mod policy_json;
pub mod provider;
pub mod resource;
pub mod rules;
pub mod schema;
pub mod server_tls;
pub mod tags;
pub mod trust;
pub mod validate;
pub mod value;

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

/// Serve the provider over the plugin protocol until Terraform stops it.
pub async fn serve() -> anyhow::Result<()> {
    tf_provider::serve(TYPE_PREFIX, PodIdentityProvider::default()).await
}
