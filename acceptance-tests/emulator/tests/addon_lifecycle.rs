//! Add-on status transitions with delays, failed and degraded add-ons with their health issues,
//! and the delays' admin endpoint.

mod common;

use std::time::Duration;

use aws_sdk_eks::types::{AddonIssueCode, ErrorCode, UpdateStatus};
use serde_json::json;

use common::*;

const DELAY: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_hold_until_the_delay_has_passed() {
    let (emulator, eks) = setup().await;
    set_delays(&emulator, json!({"addonMs": DELAY.as_millis()}));

    let created = create_addon(&eks, AGENT).await;
    assert_eq!(status_of(&created), "CREATING");
    let still = describe_addon(&eks, "c1", AGENT).await;
    assert_eq!(status_of(&still), "CREATING", "right after the create");
    expect_error(
        update_addon_request(&eks, AGENT)
            .configuration_values(DISABLE_IPV6)
            .send()
            .await,
        "update while CREATING",
        RESOURCE_IN_USE,
    );
    let (active, waited) = wait_for_addon(&eks, AGENT, "ACTIVE").await;
    assert!(waited >= DELAY / 2, "ACTIVE after {waited:?}");
    assert!(active.modified_at() >= created.modified_at());

    let update = update_addon_request(&eks, AGENT)
        .configuration_values(DISABLE_IPV6)
        .send()
        .await
        .expect("update")
        .update
        .expect("update");
    let id = update.id().expect("id");
    assert_eq!(
        status_of(&describe_addon(&eks, "c1", AGENT).await),
        "UPDATING"
    );
    assert_eq!(
        describe_update(&eks, AGENT, id).await.status(),
        Some(&UpdateStatus::InProgress)
    );
    let (_, waited) = wait_for_addon(&eks, AGENT, "ACTIVE").await;
    assert!(waited >= DELAY / 2, "ACTIVE after {waited:?}");
    assert_eq!(
        describe_update(&eks, AGENT, id).await.status(),
        Some(&UpdateStatus::Successful)
    );

    let deleted = eks
        .delete_addon()
        .cluster_name("c1")
        .addon_name(AGENT)
        .send()
        .await
        .expect("delete")
        .addon
        .expect("addon");
    assert_eq!(status_of(&deleted), "DELETING");
    let listed = eks
        .list_addons()
        .cluster_name("c1")
        .send()
        .await
        .expect("list");
    assert_eq!(listed.addons(), [AGENT], "listed while DELETING");
    let again = eks
        .delete_addon()
        .cluster_name("c1")
        .addon_name(AGENT)
        .send()
        .await
        .expect("delete while DELETING");
    assert_eq!(status_of(&again.addon.expect("addon")), "DELETING");
    let waited = wait_for_addon_gone(&eks, AGENT).await;
    assert!(waited >= DELAY / 2, "gone after {waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_create_reports_its_health_issues() {
    let (emulator, eks) = setup().await;
    add_addon_fault(
        &emulator,
        json!({"status": "CREATE_FAILED", "addonName": AGENT}),
    );
    // The fault is for the agent only.
    create_addon(&eks, VPC_CNI).await;
    assert_eq!(
        status_of(&describe_addon(&eks, "c1", VPC_CNI).await),
        "ACTIVE"
    );

    let created = create_addon(&eks, AGENT).await;
    assert_eq!(status_of(&created), "CREATING");
    let (failed, _) = wait_for_addon(&eks, AGENT, "CREATE_FAILED").await;
    let [issue] = failed.health().expect("health").issues() else {
        panic!("one issue: {:?}", failed.health());
    };
    assert_eq!(issue.code(), Some(&AddonIssueCode::ConfigurationConflict));
    assert!(issue
        .message()
        .is_some_and(|m| m.starts_with("Conflicts found when trying to apply.")));

    // A failed add-on is deleted and created again; the fault was used up.
    eks.delete_addon()
        .cluster_name("c1")
        .addon_name(AGENT)
        .send()
        .await
        .expect("delete the failed add-on");
    wait_for_addon_gone(&eks, AGENT).await;
    add_addon_fault(
        &emulator,
        json!({"status": "CREATE_FAILED", "issues": [{
            "code": "AdmissionRequestDenied",
            "message": "admission webhook denied the request",
            "resourceIds": ["kube-system/eks-pod-identity-agent"]
        }]}),
    );
    create_addon(&eks, AGENT).await;
    let (failed, _) = wait_for_addon(&eks, AGENT, "CREATE_FAILED").await;
    let issue = &failed.health().expect("health").issues()[0];
    assert_eq!(issue.code(), Some(&AddonIssueCode::AdmissionRequestDenied));
    assert_eq!(issue.resource_ids(), ["kube-system/eks-pod-identity-agent"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn degraded_addons_report_their_health_issues() {
    let (emulator, eks) = setup().await;
    add_addon_fault(&emulator, json!({"status": "DEGRADED", "cluster": "c1"}));
    create_addon(&eks, AGENT).await;
    let (degraded, _) = wait_for_addon(&eks, AGENT, "DEGRADED").await;
    let [issue] = degraded.health().expect("health").issues() else {
        panic!("one issue: {:?}", degraded.health());
    };
    assert_eq!(
        issue.code(),
        Some(&AddonIssueCode::InsufficientNumberOfReplicas)
    );
    assert_eq!(
        issue.message(),
        Some("The add-on is unhealthy because it doesn't have the desired number of replicas.")
    );

    // Healed through the admin interface, then degraded again directly.
    let healed = emulator
        .admin
        .set_addon_health("c1", AGENT, "ACTIVE", None)
        .expect("heal");
    assert_eq!(healed["status"], "ACTIVE");
    let active = describe_addon(&eks, "c1", AGENT).await;
    assert!(active.health().expect("health").issues().is_empty());
    let issues =
        json!([{"code": "ClusterUnreachable", "message": "The cluster cannot be reached."}]);
    emulator
        .admin
        .set_addon_health("c1", AGENT, "DEGRADED", Some(&issues))
        .expect("degrade");
    let degraded = describe_addon(&eks, "c1", AGENT).await;
    assert_eq!(status_of(&degraded), "DEGRADED");
    assert_eq!(
        degraded.health().expect("health").issues()[0].code(),
        Some(&AddonIssueCode::ClusterUnreachable)
    );
    // A degraded add-on takes updates.
    update_addon_request(&eks, AGENT)
        .configuration_values(DISABLE_IPV6)
        .send()
        .await
        .expect("update a degraded add-on");
    wait_for_addon(&eks, AGENT, "ACTIVE").await;

    for refused in [
        json!({"status": "CREATING"}),
        json!({"status": "DEGRADED", "count": 0}),
        json!({"status": "DEGRADED", "when": "now"}),
    ] {
        admin_expect(
            &emulator,
            "POST",
            "/_emulator/addon-faults",
            Some(refused),
            400,
        );
    }
    let unknown = "/_emulator/clusters/c1/addons/vpc-cni/health";
    admin_expect(
        &emulator,
        "POST",
        unknown,
        Some(json!({"status": "ACTIVE"})),
        404,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_update_is_undone() {
    let (emulator, eks) = setup().await;
    create_addon_request(&eks, AGENT)
        .addon_version("v1.3.4-eksbuild.1")
        .send()
        .await
        .expect("create");
    wait_for_addon(&eks, AGENT, "ACTIVE").await;
    add_addon_fault(&emulator, json!({"status": "UPDATE_FAILED"}));
    let update = update_addon_request(&eks, AGENT)
        .addon_version("v1.3.5-eksbuild.2")
        .send()
        .await
        .expect("update")
        .update
        .expect("update");
    let (failed, _) = wait_for_addon(&eks, AGENT, "UPDATE_FAILED").await;
    assert_eq!(
        failed.addon_version(),
        Some("v1.3.4-eksbuild.1"),
        "rolled back"
    );
    let described = describe_update(&eks, AGENT, update.id().expect("id")).await;
    assert_eq!(described.status(), Some(&UpdateStatus::Failed));
    let [error] = described.errors() else {
        panic!("one error: {:?}", described.errors());
    };
    assert_eq!(error.error_code(), Some(&ErrorCode::ConfigurationConflict));

    // The next update goes through.
    update_addon_request(&eks, AGENT)
        .addon_version("v1.3.5-eksbuild.2")
        .send()
        .await
        .expect("update again");
    let (active, _) = wait_for_addon(&eks, AGENT, "ACTIVE").await;
    assert_eq!(active.addon_version(), Some("v1.3.5-eksbuild.2"));
    assert!(active.health().expect("health").issues().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delays_are_read_and_changed_through_the_admin_interface() {
    let (emulator, _eks) = setup().await;
    let zero = json!({
        "addonCreatingMs": 0, "addonUpdatingMs": 0, "addonDeletingMs": 0,
        "clusterCreatingMs": 0, "clusterDeletingMs": 0
    });
    assert_eq!(emulator.admin.delays().expect("delays"), zero);
    let changed = set_delays(&emulator, json!({"addonMs": 200, "addonDeletingMs": 50}));
    assert_eq!(
        changed,
        json!({
            "addonCreatingMs": 200, "addonUpdatingMs": 200, "addonDeletingMs": 50,
            "clusterCreatingMs": 0, "clusterDeletingMs": 0
        })
    );
    set_delays(&emulator, json!({"clusterMs": 10}));
    let delays = emulator.admin.delays().expect("delays");
    assert_eq!(delays["clusterDeletingMs"], 10);
    assert_eq!(delays["addonCreatingMs"], 200);
    admin_expect(
        &emulator,
        "POST",
        "/_emulator/delays",
        Some(json!({"soon": 1})),
        400,
    );
    admin_expect(&emulator, "POST", "/_emulator/reset", None, 204);
    assert_eq!(emulator.admin.delays().expect("delays"), zero);
}
