mod common;

use aws_sdk_eks::types::PodIdentityAssociationSummary;
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_paginates_in_creation_order_and_filters() {
    let (emulator, eks) = setup().await;
    let mut ids = Vec::new();
    for (namespace, service_account) in [
        ("blue", "api"),
        ("green", "api"),
        ("blue", "worker"),
        ("green", "worker"),
        ("blue", "cron"),
        ("common", "api"),
        ("blue", "web"),
    ] {
        ids.push(new_association_id(&eks, namespace, service_account).await);
    }
    let association_ids = |summaries: &[PodIdentityAssociationSummary]| -> Vec<String> {
        summaries
            .iter()
            .map(|s| s.association_id().expect("id").to_owned())
            .collect()
    };

    let mut pages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = list_request(&eks)
            .max_results(3)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("list page");
        pages.push(association_ids(page.associations()));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    assert_eq!(pages.concat(), ids, "stable creation order");

    let all = list_all(list_request(&eks).max_results(2)).await;
    assert_eq!(association_ids(&all), ids);

    let blue = list_request(&eks)
        .namespace("blue")
        .send()
        .await
        .expect("filter namespace");
    let blue_accounts: Vec<&str> = blue
        .associations()
        .iter()
        .map(|s| s.service_account().expect("sa"))
        .collect();
    assert_eq!(blue_accounts, ["api", "worker", "cron", "web"]);
    assert_eq!(blue.next_token(), None);

    let api_green = list_request(&eks)
        .namespace("green")
        .service_account("api")
        .send()
        .await
        .expect("filter both");
    assert_eq!(association_ids(api_green.associations()), [ids[1].clone()]);

    let filtered = list_all(list_request(&eks).service_account("api").max_results(1)).await;
    let namespaces: Vec<&str> = filtered
        .iter()
        .map(|s| s.namespace().expect("ns"))
        .collect();
    assert_eq!(namespaces, ["blue", "green", "common"]);

    // Summaries carry exactly these members on the wire (no roleArn).
    let path = "/clusters/c1/pod-identity-associations";
    let raw = signed_raw(&emulator, "GET", &format!("{path}?maxResults=1"), "");
    assert_eq!(raw.status, 200);
    let body = json_body(&raw);
    let summary = body["associations"][0].as_object().expect("summary");
    let mut keys: Vec<&str> = summary.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "associationArn",
            "associationId",
            "clusterName",
            "namespace",
            "serviceAccount"
        ]
    );
    assert!(body["nextToken"].is_string());
    let last = signed_raw(&emulator, "GET", path, "");
    assert!(
        json_body(&last).get("nextToken").is_none(),
        "no nextToken on the last page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_rejects_bad_page_sizes_and_tokens() {
    let (emulator, eks) = setup().await;
    add_cluster(&emulator, "c2");
    for i in 0..3 {
        create(&eks, "ns", &format!("sa{i}")).await;
    }
    for max in [0, 101, -1] {
        expect_error(
            list_request(&eks).max_results(max).send().await,
            &format!("maxResults {max}"),
            INVALID_PARAMETER,
        );
    }
    let ok = list_request(&eks)
        .max_results(100)
        .send()
        .await
        .expect("maxResults 100");
    assert_eq!(ok.associations().len(), 3);

    expect_error(
        list_request(&eks).next_token("never-issued").send().await,
        "forged token",
        INVALID_PARAMETER,
    );

    let token = list_request(&eks)
        .max_results(1)
        .send()
        .await
        .expect("first page")
        .next_token
        .expect("token");
    expect_error(
        list_request(&eks)
            .cluster_name("c2")
            .next_token(token)
            .send()
            .await,
        "token of another cluster",
        INVALID_PARAMETER,
    );

    expect_error(
        list_request(&eks).cluster_name("nope").send().await,
        "unknown cluster",
        RESOURCE_NOT_FOUND,
    );
}
