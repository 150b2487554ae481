//! The add-on operations through aws-sdk-eks: shapes, errors and tokens. Listing and tags are in
//! addon_listing.rs, status transitions with delays in addon_lifecycle.rs, owned associations in
//! addon_associations.rs.

mod common;

use aws_sdk_eks::operation::create_addon::CreateAddonError;
use aws_sdk_eks::types::{ResolveConflicts, UpdateParamType, UpdateStatus, UpdateType};
use serde_json::json;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addon_round_trip() {
    let (emulator, eks) = setup().await;

    // Seed 000: the answer to create-addon is CREATING, with empty health and tags.
    let created = create_addon(&eks, AGENT).await;
    assert_eq!(created.addon_name(), Some(AGENT));
    assert_eq!(created.cluster_name(), Some("c1"));
    assert_eq!(status_of(&created), "CREATING");
    assert_eq!(
        created.addon_version(),
        Some("v1.3.5-eksbuild.2"),
        "1.31 default"
    );
    assert!(created.health().expect("health").issues().is_empty());
    assert!(created.tags().expect("tags").is_empty());
    assert!(created.created_at().is_some() && created.modified_at().is_some());
    let arn = created.addon_arn().expect("arn");
    let prefix = format!("arn:aws:eks:eu-west-1:{ACCOUNT}:addon/c1/{AGENT}/");
    let uuid = arn.strip_prefix(&prefix).expect("add-on ARN");
    assert_eq!(uuid.len(), 36, "uuid in {arn}");
    assert_eq!(uuid.matches('-').count(), 4, "uuid in {arn}");

    // No delay: settled by the next request.
    let described = describe_addon(&eks, "c1", AGENT).await;
    assert_eq!(status_of(&described), "ACTIVE");
    assert_eq!(described.addon_arn(), Some(arn));

    let listed = eks
        .list_addons()
        .cluster_name("c1")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.addons(), [AGENT]);
    assert_eq!(listed.next_token(), None);

    // Seed 003's update-addon call.
    let update = update_addon_request(&eks, AGENT)
        .resolve_conflicts(ResolveConflicts::Preserve)
        .configuration_values(DISABLE_IPV6)
        .send()
        .await
        .expect("update")
        .update
        .expect("update in response");
    assert_eq!(update.status(), Some(&UpdateStatus::InProgress));
    assert_eq!(update.r#type(), Some(&UpdateType::AddonUpdate));
    let params: Vec<(UpdateParamType, &str)> = update
        .params()
        .iter()
        .map(|p| (p.r#type().expect("type").clone(), p.value().expect("value")))
        .collect();
    assert_eq!(
        params,
        [
            (UpdateParamType::ResolveConflicts, "PRESERVE"),
            (UpdateParamType::ConfigurationValues, DISABLE_IPV6),
        ]
    );
    let id = update.id().expect("update id");
    let described_update = describe_update(&eks, AGENT, id).await;
    assert_eq!(described_update.status(), Some(&UpdateStatus::Successful));
    let updated = describe_addon(&eks, "c1", AGENT).await;
    assert_eq!(status_of(&updated), "ACTIVE");
    assert_eq!(updated.configuration_values(), Some(DISABLE_IPV6));

    let deleted = eks
        .delete_addon()
        .cluster_name("c1")
        .addon_name(AGENT)
        .send()
        .await
        .expect("delete")
        .addon
        .expect("addon in response");
    assert_eq!(status_of(&deleted), "DELETING");
    expect_error_containing(
        eks.describe_addon()
            .cluster_name("c1")
            .addon_name(AGENT)
            .send()
            .await,
        "deleted add-on",
        RESOURCE_NOT_FOUND,
        "No addon: eks-pod-identity-agent found in cluster: c1",
    );
    let again = eks
        .delete_addon()
        .cluster_name("c1")
        .addon_name(AGENT)
        .send()
        .await;
    expect_error(again, "delete twice", RESOURCE_NOT_FOUND);
    assert!(emulator.admin.addons("c1").expect("admin").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_addon_checks_like_eks() {
    let (_emulator, eks) = setup().await;
    let err = expect_error_containing(
        create_addon_request(&eks, "no-such-addon").send().await,
        "unknown add-on",
        INVALID_PARAMETER,
        "Addon no-such-addon specified is not supported in 1.31 kubernetes version",
    );
    let CreateAddonError::InvalidParameterException(invalid) = err else {
        panic!("typed error: {err:?}");
    };
    assert_eq!(invalid.addon_name(), Some("no-such-addon"));
    expect_error_containing(
        create_addon_request(&eks, AGENT)
            .addon_version("v1.0.0-eksbuild.1")
            .send()
            .await,
        "version for 1.29 only on a 1.31 cluster",
        INVALID_PARAMETER,
        "Addon version specified is not supported",
    );
    expect_error(
        create_addon_request(&eks, AGENT)
            .addon_version("v9.9.9-eksbuild.1")
            .send()
            .await,
        "unknown version",
        INVALID_PARAMETER,
    );
    expect_error_containing(
        create_addon_request(&eks, AGENT)
            .configuration_values("{agent: nope")
            .send()
            .await,
        "configuration values that are not JSON",
        INVALID_PARAMETER,
        "ConfigurationValue provided in request is not supported",
    );
    expect_error_containing(
        create_addon_request(&eks, AGENT)
            .configuration_values(r#"{"agent":{"additionalArgs":{"-b":"169.254.170.23"},"ipv6":false},"nodeSelector":{"a":"b"}}"#)
            .send()
            .await,
        "configuration values the schema does not allow",
        INVALID_PARAMETER,
        "Json schema validation failed with error: [$.agent.ipv6: is not defined in the schema and the schema does not allow additional properties]",
    );
    expect_error_containing(
        create_addon_request(&eks, VPC_CNI)
            .configuration_values(r#"{"enableNetworkPolicy": true}"#)
            .send()
            .await,
        "a boolean where the schema wants a string",
        INVALID_PARAMETER,
        "$.enableNetworkPolicy: boolean found, string expected",
    );
    expect_error(
        create_addon_request(&eks, AGENT)
            .resolve_conflicts(ResolveConflicts::from("SOMETIMES"))
            .send()
            .await,
        "unknown resolveConflicts",
        INVALID_PARAMETER,
    );
    expect_error(
        create_addon_request(&eks, AGENT)
            .service_account_role_arn("not-a-role")
            .send()
            .await,
        "service account role that is no role ARN",
        INVALID_PARAMETER,
    );
    expect_error(
        create_addon_request(&eks, AGENT)
            .tags("aws:reserved", "x")
            .send()
            .await,
        "reserved tag prefix",
        INVALID_PARAMETER,
    );
    expect_error_containing(
        eks.create_addon()
            .cluster_name("nowhere")
            .addon_name(AGENT)
            .send()
            .await,
        "unknown cluster",
        RESOURCE_NOT_FOUND,
        &no_cluster_message("nowhere"),
    );

    // Nothing was created by the refused requests; the seed 003 configuration is valid.
    let created = create_addon_request(&eks, AGENT)
        .configuration_values(DISABLE_IPV6)
        .resolve_conflicts(ResolveConflicts::Overwrite)
        .send()
        .await
        .expect("create with seed 003 configuration")
        .addon
        .expect("addon");
    assert_eq!(created.configuration_values(), Some(DISABLE_IPV6));
    let err = expect_error_containing(
        create_addon_request(&eks, AGENT).send().await,
        "duplicate add-on",
        RESOURCE_IN_USE,
        "Addon already exists.",
    );
    let CreateAddonError::ResourceInUseException(in_use) = err else {
        panic!("typed error: {err:?}");
    };
    assert_eq!(in_use.addon_name(), Some(AGENT));
    assert_eq!(in_use.cluster_name(), Some("c1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_version_follows_the_cluster_kubernetes_version() {
    let emulator = start_emulator();
    let eks = client(emulator.url()).await;
    for (cluster, kubernetes_version, default) in [
        ("k129", "1.29", "v1.3.4-eksbuild.1"),
        ("k132", "1.32", "v1.3.7-eksbuild.2"),
        ("k133", "1.33", "v1.3.8-eksbuild.2"),
    ] {
        add_cluster_of_version(&emulator, cluster, kubernetes_version);
        assert_eq!(
            describe_cluster(&eks, cluster).await.version(),
            Some(kubernetes_version)
        );
        let created = eks
            .create_addon()
            .cluster_name(cluster)
            .addon_name(AGENT)
            .send()
            .await
            .expect("create")
            .addon
            .expect("addon");
        assert_eq!(
            created.addon_version(),
            Some(default),
            "on {kubernetes_version}"
        );
    }
    // v1.0.0-eksbuild.1 runs on 1.29 only.
    let old = eks
        .create_addon()
        .cluster_name("k129")
        .addon_name(VPC_CNI)
        .addon_version("v1.18.6-eksbuild.1")
        .send()
        .await
        .expect("older version on 1.29");
    assert_eq!(
        old.addon.expect("addon").addon_version(),
        Some("v1.18.6-eksbuild.1")
    );
    expect_error(
        eks.create_addon()
            .cluster_name("k133")
            .addon_name(VPC_CNI)
            .addon_version("v1.18.6-eksbuild.1")
            .send()
            .await,
        "a version 1.33 does not run",
        INVALID_PARAMETER,
    );
    expect_error_containing(
        eks.update_addon()
            .cluster_name("k129")
            .addon_name(AGENT)
            .addon_version("v1.3.8-eksbuild.2")
            .send()
            .await,
        "update to a version 1.29 does not run",
        INVALID_PARAMETER,
        "Addon version specified is not supported",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_addon_checks_and_changes() {
    let (_emulator, eks) = setup().await;
    expect_error_containing(
        update_addon_request(&eks, AGENT).send().await,
        "update of a missing add-on",
        RESOURCE_NOT_FOUND,
        "No addon: eks-pod-identity-agent found in cluster: c1",
    );
    create_addon(&eks, AGENT).await;
    expect_error(
        update_addon_request(&eks, AGENT)
            .configuration_values(r#"{"agent": {"additionalArgs": {"-b": 23}}}"#)
            .send()
            .await,
        "configuration values of the wrong type",
        INVALID_PARAMETER,
    );
    let update = update_addon_request(&eks, AGENT)
        .addon_version("v1.3.4-eksbuild.1")
        .configuration_values(DISABLE_IPV6)
        .service_account_role_arn("arn:aws:iam::123456789012:role/agent")
        .send()
        .await
        .expect("update")
        .update
        .expect("update");
    let kinds: Vec<&UpdateParamType> = update
        .params()
        .iter()
        .map(|p| p.r#type().expect("type"))
        .collect();
    assert_eq!(
        kinds,
        [
            &UpdateParamType::AddonVersion,
            &UpdateParamType::ServiceAccountRoleArn,
            &UpdateParamType::ConfigurationValues
        ]
    );
    let updated = describe_addon(&eks, "c1", AGENT).await;
    assert_eq!(updated.addon_version(), Some("v1.3.4-eksbuild.1"));
    assert_eq!(updated.configuration_values(), Some(DISABLE_IPV6));
    assert_eq!(
        updated.service_account_role_arn(),
        Some("arn:aws:iam::123456789012:role/agent")
    );

    // Absent members stay; empty strings remove.
    update_addon_request(&eks, AGENT)
        .addon_version("v1.3.5-eksbuild.2")
        .send()
        .await
        .expect("version only");
    let updated = describe_addon(&eks, "c1", AGENT).await;
    assert_eq!(updated.configuration_values(), Some(DISABLE_IPV6));
    update_addon_request(&eks, AGENT)
        .configuration_values("")
        .service_account_role_arn("")
        .send()
        .await
        .expect("clear");
    let cleared = describe_addon(&eks, "c1", AGENT).await;
    assert_eq!(cleared.configuration_values(), None);
    assert_eq!(cleared.service_account_role_arn(), None);
    assert_eq!(cleared.addon_version(), Some("v1.3.5-eksbuild.2"));

    expect_error_containing(
        eks.describe_update()
            .name("c1")
            .addon_name(AGENT)
            .update_id("00000000-0000-0000-0000-000000000000")
            .send()
            .await,
        "unknown update",
        RESOURCE_NOT_FOUND,
        "No update found for ID: 00000000-0000-0000-0000-000000000000",
    );
    let id = update.id().expect("id");
    expect_error(
        eks.describe_update().name("c1").update_id(id).send().await,
        "an add-on update without addonName",
        RESOURCE_NOT_FOUND,
    );
    assert_eq!(
        describe_update(&eks, AGENT, id).await.status(),
        Some(&UpdateStatus::Successful)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_request_tokens_make_create_and_update_idempotent() {
    let (_emulator, eks) = setup().await;
    let create = || {
        create_addon_request(&eks, AGENT)
            .client_request_token("create-1")
            .tags("team", "platform")
    };
    let first = create().send().await.expect("create").addon.expect("addon");
    let again = create()
        .send()
        .await
        .expect("replayed")
        .addon
        .expect("addon");
    assert_eq!(again.addon_arn(), first.addon_arn());
    assert_eq!(status_of(&again), "ACTIVE", "the add-on as it is now");
    expect_error(
        create().tags("team", "other").send().await,
        "same token, other request",
        INVALID_REQUEST,
    );
    // Without the token, the duplicate is refused.
    expect_error(
        create_addon_request(&eks, AGENT).send().await,
        "duplicate without token",
        RESOURCE_IN_USE,
    );

    let update = || {
        update_addon_request(&eks, AGENT)
            .configuration_values(DISABLE_IPV6)
            .client_request_token("update-1")
    };
    let first = update()
        .send()
        .await
        .expect("update")
        .update
        .expect("update");
    let again = update()
        .send()
        .await
        .expect("replayed")
        .update
        .expect("update");
    assert_eq!(again.id(), first.id());
    assert_eq!(again.status(), Some(&UpdateStatus::Successful));
    expect_error(
        update()
            .configuration_values(r#"{"agent":{}}"#)
            .send()
            .await,
        "same token, other configuration",
        INVALID_REQUEST,
    );
    let other = update_addon_request(&eks, AGENT)
        .configuration_values(DISABLE_IPV6)
        .client_request_token("update-2")
        .send()
        .await
        .expect("new token")
        .update
        .expect("update");
    assert_ne!(other.id(), first.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_sdk_would_not_send_is_refused() {
    let (emulator, eks) = setup().await;
    create_addon(&eks, AGENT).await;
    let no_name = signed_raw(
        &emulator,
        "POST",
        "/clusters/c1/addons",
        &json!({}).to_string(),
    );
    assert_error(
        &no_name,
        400,
        INVALID_PARAMETER,
        "CreateAddon without addonName",
    );
    let body = json!({"addonName": AGENT, "configurationValues": {"agent": {}}}).to_string();
    let not_a_string = signed_raw(&emulator, "POST", "/clusters/c1/addons", &body);
    assert_error(
        &not_a_string,
        400,
        SERIALIZATION,
        "configurationValues as an object",
    );
    let preserve = signed_raw(
        &emulator,
        "DELETE",
        &format!("/clusters/c1/addons/{AGENT}?preserve=maybe"),
        "",
    );
    assert_error(&preserve, 400, INVALID_PARAMETER, "preserve=maybe");
    let no_version = signed_raw(
        &emulator,
        "GET",
        &format!("/addons/configuration-schemas?addonName={AGENT}"),
        "",
    );
    assert_error(&no_version, 400, INVALID_PARAMETER, "no addonVersion");
    let describe = signed_raw(
        &emulator,
        "GET",
        &format!("/clusters/c1/addons/{AGENT}"),
        "",
    );
    assert_eq!(describe.status, 200, "{}", describe.body);
    let addon = &json_body(&describe)["addon"];
    assert_eq!(addon["status"], "ACTIVE");
    assert_eq!(addon["health"], json!({"issues": []}));
    assert_eq!(addon["tags"], json!({}));
}
