//! DescribeAddonVersions and DescribeAddonConfiguration: what EKS offers, which version is the
//! default on each Kubernetes version, and the configuration schemas.

mod common;

use aws_sdk_eks::types::AddonInfo;
use serde_json::Value;

use common::*;

fn default_versions(info: &AddonInfo, kubernetes_version: &str) -> Vec<String> {
    info.addon_versions()
        .iter()
        .filter(|v| {
            v.compatibilities()
                .iter()
                .any(|c| c.cluster_version() == Some(kubernetes_version) && c.default_version())
        })
        .map(|v| v.addon_version().expect("version").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_default_agent_version_per_kubernetes_version() {
    let (_emulator, eks) = setup().await;
    for (kubernetes_version, default) in [
        ("1.29", "v1.3.4-eksbuild.1"),
        ("1.30", "v1.3.4-eksbuild.1"),
        ("1.31", "v1.3.5-eksbuild.2"),
        ("1.32", "v1.3.7-eksbuild.2"),
        ("1.33", "v1.3.8-eksbuild.2"),
    ] {
        let described = eks
            .describe_addon_versions()
            .kubernetes_version(kubernetes_version)
            .addon_name(AGENT)
            .send()
            .await
            .expect("describe addon versions");
        let [info] = described.addons() else {
            panic!(
                "one add-on for {kubernetes_version}: {:?}",
                described.addons()
            );
        };
        assert_eq!(info.addon_name(), Some(AGENT));
        assert_eq!(info.r#type(), Some("security"));
        assert_eq!(info.publisher(), Some("eks"));
        assert_eq!(info.owner(), Some("aws"));
        assert_eq!(info.default_namespace(), Some("kube-system"));
        assert_eq!(default_versions(info, kubernetes_version), [default]);
        for version in info.addon_versions() {
            // Filtered by Kubernetes version, each version shows only that compatibility.
            let clusters: Vec<_> = version
                .compatibilities()
                .iter()
                .map(|c| c.cluster_version().expect("cluster version"))
                .collect();
            assert_eq!(clusters, [kubernetes_version]);
            assert!(
                !version.requires_iam_permissions(),
                "the agent uses the node role"
            );
            assert_eq!(version.architecture(), ["amd64", "arm64"]);
        }
    }

    // Without a Kubernetes version: every version, each with all its compatibilities.
    let all = eks
        .describe_addon_versions()
        .addon_name(AGENT)
        .send()
        .await
        .expect("all versions");
    let versions: Vec<&str> = all.addons()[0]
        .addon_versions()
        .iter()
        .map(|v| v.addon_version().expect("version"))
        .collect();
    assert!(versions.starts_with(&["v1.3.8-eksbuild.2", "v1.3.7-eksbuild.2"]));
    assert!(versions.contains(&"v1.3.4-eksbuild.1") && versions.contains(&"v1.3.5-eksbuild.2"));
    let oldest = all.addons()[0].addon_versions().last().expect("oldest");
    assert_eq!(oldest.addon_version(), Some("v1.0.0-eksbuild.1"));
    assert_eq!(oldest.compatibilities().len(), 1);
    let newest = &all.addons()[0].addon_versions()[0];
    assert_eq!(newest.compatibilities().len(), 4);

    // A Kubernetes version no add-on runs on, and an add-on EKS does not offer: nothing.
    for (kubernetes_version, name) in [("1.20", AGENT), ("1.31", "no-such-addon")] {
        let none = eks
            .describe_addon_versions()
            .kubernetes_version(kubernetes_version)
            .addon_name(name)
            .send()
            .await
            .expect("nothing found is no error");
        assert!(none.addons().is_empty(), "{kubernetes_version} {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addon_versions_page_by_addon_and_filter() {
    let (_emulator, eks) = setup().await;
    let first = eks
        .describe_addon_versions()
        .kubernetes_version("1.31")
        .max_results(2)
        .send()
        .await
        .expect("first page");
    let names = |infos: &[AddonInfo]| -> Vec<String> {
        infos
            .iter()
            .map(|i| i.addon_name().expect("name").to_owned())
            .collect()
    };
    assert_eq!(names(first.addons()), [EBS_CSI, AGENT]);
    let token = first.next_token().expect("more add-ons");
    let second = eks
        .describe_addon_versions()
        .kubernetes_version("1.31")
        .max_results(2)
        .next_token(token)
        .send()
        .await
        .expect("second page");
    assert_eq!(names(second.addons()), [VPC_CNI]);
    assert_eq!(second.next_token(), None);

    let paged: Vec<AddonInfo> = eks
        .describe_addon_versions()
        .max_results(1)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .expect("paginate");
    assert_eq!(names(&paged), [EBS_CSI, AGENT, VPC_CNI]);

    let storage = eks
        .describe_addon_versions()
        .types("storage")
        .types("networking")
        .send()
        .await
        .expect("by type");
    assert_eq!(names(storage.addons()), [EBS_CSI, VPC_CNI]);
    let by_owner = eks
        .describe_addon_versions()
        .owners("aws-marketplace")
        .send()
        .await
        .expect("by owner");
    assert!(by_owner.addons().is_empty());
    let ebs_versions = eks
        .describe_addon_versions()
        .addon_name(EBS_CSI)
        .kubernetes_version("1.33")
        .send()
        .await
        .expect("ebs");
    let ebs = &ebs_versions.addons()[0];
    assert!(ebs.addon_versions()[0].requires_iam_permissions());
    assert_eq!(default_versions(ebs, "1.33"), ["v1.44.0-eksbuild.1"]);

    let bad_page = eks.describe_addon_versions().max_results(101).send().await;
    expect_error(bad_page, "maxResults 101", INVALID_PARAMETER);
    let forged = eks
        .describe_addon_versions()
        .next_token("forged")
        .send()
        .await;
    expect_error(forged, "forged token", INVALID_PARAMETER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_schemas_say_what_configuration_values_may_hold() {
    let (_emulator, eks) = setup().await;
    let agent = eks
        .describe_addon_configuration()
        .addon_name(AGENT)
        .addon_version("v1.3.4-eksbuild.1")
        .send()
        .await
        .expect("agent configuration");
    assert_eq!(agent.addon_name(), Some(AGENT));
    assert_eq!(agent.addon_version(), Some("v1.3.4-eksbuild.1"));
    assert!(agent.pod_identity_configuration().is_empty());
    let schema: Value =
        serde_json::from_str(agent.configuration_schema().expect("schema")).expect("JSON schema");
    assert_eq!(schema["$ref"], "#/definitions/EksPodIdentityAgent");
    let definitions = &schema["definitions"];
    assert_eq!(
        definitions["EksPodIdentityAgent"]["properties"]["agent"]["$ref"],
        "#/definitions/Agent"
    );
    assert_eq!(
        definitions["Agent"]["properties"]["additionalArgs"]["type"],
        "object"
    );
    assert_eq!(
        definitions["EksPodIdentityAgent"]["additionalProperties"],
        false
    );

    let ebs = eks
        .describe_addon_configuration()
        .addon_name(EBS_CSI)
        .addon_version("v1.41.0-eksbuild.1")
        .send()
        .await
        .expect("ebs configuration");
    let [pod_identity] = ebs.pod_identity_configuration() else {
        panic!(
            "one service account: {:?}",
            ebs.pod_identity_configuration()
        );
    };
    assert_eq!(pod_identity.service_account(), Some(EBS_CSI_SA));
    assert_eq!(
        pod_identity.recommended_managed_policies(),
        ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
    );

    let unknown_addon = eks
        .describe_addon_configuration()
        .addon_name("no-such-addon")
        .addon_version("v1.0.0-eksbuild.1")
        .send()
        .await;
    expect_error(unknown_addon, "unknown add-on", RESOURCE_NOT_FOUND);
    let unknown_version = eks
        .describe_addon_configuration()
        .addon_name(AGENT)
        .addon_version("v9.9.9-eksbuild.9")
        .send()
        .await;
    expect_error_containing(
        unknown_version,
        "unknown version",
        INVALID_PARAMETER,
        "Addon version specified is not supported",
    );
}
