//! The add-ons the emulator offers, with versions, Kubernetes compatibilities and defaults
//! modelled on what DescribeAddonVersions reports in a commercial region (names, types,
//! publishers, namespaces, service accounts and managed policies as AWS documents them; the
//! version lists are a plausible subset, not a copy of any one day's answer).

use super::{AddonDefinition, AddonVersion, PodIdentityConfiguration};

const ARCHITECTURES: &[&str] = &["amd64", "arm64"];

pub(super) static ADDONS: &[AddonDefinition] = &[
    AddonDefinition {
        name: "aws-ebs-csi-driver",
        kind: "storage",
        publisher: "eks",
        owner: "aws",
        default_namespace: "kube-system",
        architectures: ARCHITECTURES,
        compute_types: &["ec2"],
        requires_iam_permissions: true,
        pod_identity: &[PodIdentityConfiguration {
            service_account: "ebs-csi-controller-sa",
            recommended_managed_policies: &[
                "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
            ],
        }],
        schema: super::schemas::EBS_CSI_DRIVER,
        versions: &[
            AddonVersion {
                version: "v1.44.0-eksbuild.1",
                cluster_versions: &["1.30", "1.31", "1.32", "1.33"],
                default_for: &["1.33"],
            },
            AddonVersion {
                version: "v1.41.0-eksbuild.1",
                cluster_versions: &["1.29", "1.30", "1.31", "1.32", "1.33"],
                default_for: &["1.31", "1.32"],
            },
            AddonVersion {
                version: "v1.38.1-eksbuild.2",
                cluster_versions: &["1.29", "1.30", "1.31", "1.32"],
                default_for: &["1.29", "1.30"],
            },
            AddonVersion {
                version: "v1.35.0-eksbuild.2",
                cluster_versions: &["1.29", "1.30", "1.31"],
                default_for: &[],
            },
        ],
    },
    AddonDefinition {
        name: "eks-pod-identity-agent",
        kind: "security",
        publisher: "eks",
        owner: "aws",
        default_namespace: "kube-system",
        architectures: ARCHITECTURES,
        // Auto Mode clusters run the agent themselves.
        compute_types: &["ec2", "hybrid"],
        // The agent uses the node role (seed 003: "You must provide the EKS Pod Identity Agent
        // with permissions in the node role").
        requires_iam_permissions: false,
        pod_identity: &[],
        schema: super::schemas::POD_IDENTITY_AGENT,
        versions: &[
            AddonVersion {
                version: "v1.3.8-eksbuild.2",
                cluster_versions: &["1.30", "1.31", "1.32", "1.33"],
                default_for: &["1.33"],
            },
            AddonVersion {
                version: "v1.3.7-eksbuild.2",
                cluster_versions: &["1.29", "1.30", "1.31", "1.32", "1.33"],
                default_for: &["1.32"],
            },
            AddonVersion {
                version: "v1.3.5-eksbuild.2",
                cluster_versions: &["1.29", "1.30", "1.31", "1.32"],
                default_for: &["1.31"],
            },
            AddonVersion {
                version: "v1.3.4-eksbuild.1",
                cluster_versions: &["1.29", "1.30", "1.31", "1.32"],
                default_for: &["1.29", "1.30"],
            },
            AddonVersion {
                version: "v1.3.2-eksbuild.2",
                cluster_versions: &["1.29", "1.30", "1.31"],
                default_for: &[],
            },
            AddonVersion {
                version: "v1.2.0-eksbuild.1",
                cluster_versions: &["1.29", "1.30"],
                default_for: &[],
            },
            AddonVersion {
                version: "v1.0.0-eksbuild.1",
                cluster_versions: &["1.29"],
                default_for: &[],
            },
        ],
    },
    AddonDefinition {
        name: "vpc-cni",
        kind: "networking",
        publisher: "eks",
        owner: "aws",
        default_namespace: "kube-system",
        architectures: ARCHITECTURES,
        compute_types: &["ec2"],
        requires_iam_permissions: true,
        pod_identity: &[PodIdentityConfiguration {
            service_account: "aws-node",
            recommended_managed_policies: &["arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"],
        }],
        schema: super::schemas::VPC_CNI,
        versions: &[
            AddonVersion {
                version: "v1.19.5-eksbuild.1",
                cluster_versions: &["1.29", "1.30", "1.31", "1.32", "1.33"],
                default_for: &["1.33"],
            },
            AddonVersion {
                version: "v1.19.2-eksbuild.1",
                cluster_versions: &["1.29", "1.30", "1.31", "1.32"],
                default_for: &["1.29", "1.30", "1.31", "1.32"],
            },
            AddonVersion {
                version: "v1.18.6-eksbuild.1",
                cluster_versions: &["1.29", "1.30", "1.31"],
                default_for: &[],
            },
        ],
    },
];
