//! The fault proxy in front of the emulator, whose signature check proves that requests pass
//! the proxy unchanged. Its Query-protocol use in front of moto is tested in the harness crate.

mod common;

use eks_emulator::client::{ClientError, RawEks, ACCESS_KEY_ID};
use eks_emulator::proxy::ProxiedRequest;
use eks_emulator::FaultProxy;
use serde_json::json;

use common::*;

fn proxy_for(emulator: &TestEmulator) -> FaultProxy {
    FaultProxy::start(emulator.url()).expect("proxy starts")
}

fn answered(status: u16) -> ProxiedRequest {
    ProxiedRequest {
        service: Some("eks".into()),
        action: None,
        status: Some(status),
        dropped: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_requests_pass_through_unchanged() {
    let (emulator, _) = setup().await;
    let proxy = proxy_for(&emulator);
    assert_eq!(proxy.upstream(), emulator.url());
    // Signed for the proxy's host: the emulator's check passes only with every signed part
    // (host, path, query, headers, body) as the client sent it.
    let eks = client(proxy.url()).await;

    let created = create(&eks, "ns", "sa").await;
    let arn = created.association_arn().expect("arn");
    eks.tag_resource()
        .resource_arn(arn)
        .tags("team", "carts")
        .send()
        .await
        .expect("tag (percent-encoded ARN in the path)");
    let listed = list_all(list_request(&eks).namespace("ns").max_results(1)).await;
    assert_eq!(listed.len(), 1);
    let wrong_cluster = eks.describe_cluster().name("nope").send().await;
    expect_error(wrong_cluster, "errors pass too", RESOURCE_NOT_FOUND);

    let log = requests_log(&emulator);
    assert_eq!(statuses(&log), [200, 200, 200, 404]);
    assert!(
        log.iter().all(|r| r["access_key_id"] == ACCESS_KEY_ID),
        "{log:?}"
    );
    assert_eq!(
        proxy.requests(),
        [answered(200), answered(200), answered(200), answered(404)]
    );
    assert!(proxy.dropped().is_empty());

    // The control: the same kind of request, signed for the proxy's host but sent to the
    // emulator directly (so with the emulator's host), is refused.
    let url = format!("{}/clusters", proxy.url());
    let signature = test_signature("GET", &url, &[]);
    let headers: Vec<(&str, &str)> = signature
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let direct = raw_request(&emulator, "GET", "/clusters", &headers);
    assert_error(&direct, 403, INVALID_SIGNATURE, "signed for another host");
}

/// A raw create through the proxy that names its action in the query string, as Query
/// requests may.
fn create_through(raw: &RawEks, service_account: &str) -> Result<u16, ClientError> {
    let body = json!({"namespace": "ns", "serviceAccount": service_account, "roleArn": ROLE});
    let path = "/clusters/c1/pod-identity-associations?Action=CreatePodIdentityAssociation";
    raw.signed("POST", path, &body.to_string())
        .map(|response| response.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_answers_are_executed_and_never_sent() {
    let (emulator, _) = setup().await;
    let proxy = proxy_for(&emulator);
    let raw = RawEks::new(proxy.url());

    proxy.drop_next("CreatePodIdentityAssociation", 2);
    proxy.drop_next("Other", 0);
    for service_account in ["a", "b"] {
        let lost = create_through(&raw, service_account);
        assert!(
            matches!(lost, Err(ClientError::Http { .. })),
            "the connection closes unanswered: {lost:?}"
        );
    }
    assert_eq!(create_through(&raw, "c").expect("answered"), 200);
    assert_eq!(admin_associations(&emulator, "c1").len(), 3, "all executed");
    assert_eq!(statuses(&requests_log(&emulator)), [200, 200, 200]);

    let dropped = proxy.dropped();
    assert_eq!(dropped.len(), 2, "{dropped:?}");
    for request in &dropped {
        assert_eq!(
            request.action.as_deref(),
            Some("CreatePodIdentityAssociation")
        );
        assert_eq!(request.status, Some(200), "the emulator's answer");
    }

    proxy.clear_requests();
    proxy.drop_every("CreatePodIdentityAssociation");
    for service_account in ["d", "e", "f"] {
        assert!(create_through(&raw, service_account).is_err());
    }
    proxy.clear_drops();
    assert_eq!(create_through(&raw, "g").expect("answered"), 200);
    let dropped: Vec<bool> = proxy.requests().iter().map(|r| r.dropped).collect();
    assert_eq!(dropped, [true, true, true, false]);
    assert_eq!(admin_associations(&emulator, "c1").len(), 7);
}

#[test]
fn an_unreachable_upstream_is_a_bad_gateway() {
    let free_port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let proxy = FaultProxy::start(&format!("http://127.0.0.1:{free_port}")).expect("starts");
    proxy.drop_every("ListRoles");
    let response = RawEks::new(proxy.url())
        .send("POST", "/", &[], "Action=ListRoles&Version=2010-05-08")
        .expect("the proxy answers");
    assert_eq!(response.status, 502, "{}", response.body);
    assert!(
        response.body.contains("did not answer"),
        "{}",
        response.body
    );
    let unanswered = ProxiedRequest {
        service: None,
        action: Some("ListRoles".into()),
        status: None,
        dropped: false,
    };
    assert_eq!(proxy.requests(), [unanswered]);
}
