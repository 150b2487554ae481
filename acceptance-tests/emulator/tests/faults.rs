mod common;

use std::fmt::Debug;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eks::types::PodIdentityAssociation;
use eks_emulator::client::ACCESS_KEY_ID;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_fault() {
    let (emulator, eks) = setup().await;
    let throttle_creates = |count: u32| json!({"kind": "throttle", "operation": "CreatePodIdentityAssociation", "count": count});
    add_fault(&emulator, throttle_creates(2));

    // Other operations are not affected.
    eks.list_clusters()
        .send()
        .await
        .expect("list clusters is not throttled");

    expect_error_containing(
        create_request(&eks, "ns", "sa").send().await,
        "throttled create",
        THROTTLING,
        "Rate exceeded",
    );
    assert!(
        admin_associations(&emulator, "c1").is_empty(),
        "not executed"
    );

    let retrying = retrying_client(emulator.url()).await;
    clear_requests_log(&emulator);
    add_fault(&emulator, throttle_creates(1));
    // One count left from the first fault plus one from the second: two throttles, then success.
    create_request(&retrying, "ns", "sa")
        .send()
        .await
        .expect("retries get through");
    assert_eq!(statuses(&requests_log(&emulator)), [429, 429, 200]);
    assert_eq!(admin_associations(&emulator, "c1").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_fault() {
    let (emulator, eks) = setup().await;
    let id = new_association_id(&eks, "ns", "sa").await;
    add_fault(&emulator, json!({"kind": "server_error", "count": 2}));

    expect_error(
        update_request(&eks, &id).role_arn(OTHER_ROLE).send().await,
        "server error",
        SERVER,
    );
    assert_eq!(
        describe_with_retries(&emulator, &id).await.role_arn(),
        Some(ROLE),
        "not executed"
    );

    add_fault(
        &emulator,
        json!({"kind": "server_error", "operation": "UpdatePodIdentityAssociation", "count": 2}),
    );
    let retrying = retrying_client(emulator.url()).await;
    let updated = expect_association(
        update_request(&retrying, &id)
            .role_arn(OTHER_ROLE)
            .send()
            .await,
        "retries get through",
    );
    assert_eq!(updated.role_arn(), Some(OTHER_ROLE));
    let log = requests_log(&emulator);
    let updates = log
        .iter()
        .filter(|r| r["operation"] == "UpdatePodIdentityAssociation");
    assert_eq!(statuses(updates), [500, 500, 500, 200]);
}

/// Describe through a retrying client (the server_error fault has a count left over for it).
async fn describe_with_retries(emulator: &TestEmulator, id: &str) -> PodIdentityAssociation {
    describe(&retrying_client(emulator.url()).await, id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_after_commit_fault() {
    let (emulator, eks) = setup().await;
    let drop_create =
        || json!({"kind": "drop_after_commit", "operation": "CreatePodIdentityAssociation"});
    add_fault(&emulator, drop_create());

    let err = create_request(&eks, "ns", "sa")
        .send()
        .await
        .expect_err("the connection is dropped");
    match &err {
        SdkError::DispatchFailure(failure) => {
            // hyper: "connection closed before message completed"
            assert!(
                format!("{failure:?}").contains("IncompleteMessage"),
                "connection closed without a response: {failure:?}"
            )
        }
        other => panic!("expected a dispatch failure, got {other:?}"),
    }
    let committed = admin_associations(&emulator, "c1");
    assert_eq!(committed.len(), 1, "committed exactly once");
    assert_eq!(committed[0]["serviceAccount"], "sa");

    // With retries the SDK resends the same client request token and gets the committed association.
    add_fault(&emulator, drop_create());
    let retrying = retrying_client(emulator.url()).await;
    let created = expect_association(
        create_request(&retrying, "ns", "retried").send().await,
        "retry after a dropped response",
    );
    let retried: Vec<Value> = admin_associations(&emulator, "c1")
        .into_iter()
        .filter(|a| a["serviceAccount"] == "retried")
        .collect();
    assert_eq!(retried.len(), 1, "still exactly one");
    assert_eq!(
        retried[0]["associationId"],
        created.association_id().expect("id")
    );
    let creates = requests_log(&emulator)
        .iter()
        .filter(|r| r["operation"] == "CreatePodIdentityAssociation")
        .count();
    assert_eq!(
        creates, 3,
        "one dropped attempt + one dropped and one replayed retry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_not_found_fault() {
    let (emulator, eks) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "role_not_found", "role_arn": OTHER_ROLE, "count": 2}),
    );

    // Other roles are not affected (and do not consume the fault).
    create(&eks, "ns", "unaffected").await;

    let attempt = || create_request(&eks, "ns", "new-role").role_arn(OTHER_ROLE);
    for n in 1..=2 {
        let what = format!("attempt {n}: role not propagated yet");
        let err = expect_error(attempt().send().await, &what, INVALID_PARAMETER);
        assert_eq!(err.message(), Some(ROLE_NOT_FOUND), "{what}");
    }
    assert_eq!(
        admin_associations(&emulator, "c1").len(),
        1,
        "failures commit nothing"
    );
    attempt().send().await.expect("the role exists now");

    // Update that sets the role is affected too.
    let id = new_association_id(&eks, "ns", "switch").await;
    add_fault(&emulator, json!({"kind": "role_not_found"}));
    let update = || update_request(&eks, &id).role_arn(OTHER_ROLE);
    let err = expect_error(
        update().send().await,
        "update to a new role",
        INVALID_PARAMETER,
    );
    assert_eq!(err.message(), Some(ROLE_NOT_FOUND));
    assert_eq!(describe(&eks, &id).await.role_arn(), Some(ROLE));
    update().send().await.expect("second update succeeds");
    assert_eq!(describe(&eks, &id).await.role_arn(), Some(OTHER_ROLE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_fault() {
    let (emulator, eks) = setup().await;
    let delay = Duration::from_millis(600);
    let timed = || async {
        let start = Instant::now();
        describe_cluster(&eks, "c1").await;
        start.elapsed()
    };

    add_fault(
        &emulator,
        json!({"kind": "latency", "latency_ms": 600, "operation": "DescribeCluster", "count": 1}),
    );
    let slowed = timed().await;
    assert!(slowed >= delay, "delayed: {slowed:?}");
    let normal = timed().await;
    assert!(normal < delay, "only one request delayed: {normal:?}");

    add_fault(&emulator, json!({"kind": "latency", "latency_ms": 600}));
    for _ in 0..2 {
        let slowed = timed().await;
        assert!(slowed >= delay, "every request delayed: {slowed:?}");
    }
    admin_expect(&emulator, "DELETE", "/_emulator/faults", None, 204);
    let normal = timed().await;
    assert!(normal < delay, "cleared: {normal:?}");
}

/// A client without retries whose every attempt gives up after `attempt_timeout`.
async fn impatient_client(url: &str, attempt_timeout: Duration) -> aws_sdk_eks::Client {
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(attempt_timeout)
        .build();
    client_with(url, |loader| loader.timeout_config(timeouts)).await
}

/// The error of a call that the SDK gave up on because it timed out.
#[track_caller]
fn expect_timeout<T: Debug, E: Debug, R: Debug>(result: Result<T, SdkError<E, R>>, what: &str) {
    match result {
        Err(SdkError::TimeoutError(_)) => {}
        other => panic!("{what}: expected a timeout, got {other:?}"),
    }
}

/// The logged requests of `operation`.
fn logged(emulator: &TestEmulator, operation: &str) -> Vec<Value> {
    requests_log(emulator)
        .into_iter()
        .filter(|r| r["operation"] == operation)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forever_fault_never_runs_out() {
    let (emulator, eks) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "server_error", "operation": "DescribeCluster", "forever": true}),
    );
    for n in 1..=5 {
        expect_error(
            eks.describe_cluster().name("c1").send().await,
            &format!("call {n}"),
            SERVER,
        );
    }
    eks.list_clusters()
        .send()
        .await
        .expect("other operations pass");
    admin_expect(&emulator, "DELETE", "/_emulator/faults", None, 204);
    describe_cluster(&eks, "c1").await;

    let both = json!({"kind": "throttle", "forever": true, "count": 2});
    assert_fault_refused(&emulator, both, "forever");
}

/// The admin interface refuses `spec` with a message that names `word`.
#[track_caller]
fn assert_fault_refused(emulator: &TestEmulator, spec: Value, word: &str) {
    let refused = admin_expect(emulator, "POST", "/_emulator/faults", Some(spec), 400);
    assert!(refused.to_string().contains(word), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fraction_applies_to_exactly_that_share_of_the_calls() {
    let (emulator, eks) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "throttle", "operation": "ListClusters", "fraction": 0.75, "forever": true}),
    );
    let mut throttled = vec![];
    for _ in 0..8 {
        let result = eks.list_clusters().send().await;
        throttled.push(result.is_err_and(|e| e.code() == Some(THROTTLING)));
    }
    assert_eq!(throttled, [false, true, true, true].repeat(2));
    assert_eq!(
        statuses(&logged(&emulator, "ListClusters")),
        [200, 429, 429, 429].repeat(2)
    );
    eks.describe_cluster()
        .name("c1")
        .send()
        .await
        .expect("other operations do not count");

    for bad in [0.0, 1.5, -1.0] {
        let spec = json!({"kind": "throttle", "fraction": bad});
        assert_fault_refused(&emulator, spec, "fraction");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_a_fraction_lets_through_meets_the_next_fault() {
    let (emulator, eks) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "throttle", "fraction": 0.5, "forever": true}),
    );
    add_fault(
        &emulator,
        json!({"kind": "server_error", "operation": "ListClusters", "count": 1}),
    );
    let mut codes = vec![];
    for _ in 0..4 {
        let result = eks.list_clusters().send().await;
        codes.push(result.err().and_then(|e| e.code().map(str::to_owned)));
    }
    let code = |c: &str| Some(c.to_owned());
    assert_eq!(
        codes,
        [code(SERVER), code(THROTTLING), None, code(THROTTLING)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_the_answers_lost_every_create_still_made_once() {
    let (emulator, _) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "drop_after_commit", "operation": "CreatePodIdentityAssociation", "fraction": 0.5, "forever": true}),
    );
    let retrying = retrying_client(emulator.url()).await;
    for service_account in ["a", "b", "c", "d"] {
        create(&retrying, "ns", service_account).await;
    }
    let stored = admin_associations(&emulator, "c1");
    assert_eq!(stored.len(), 4, "one each: {stored:?}");
    // The first create passes; each later one loses its first answer and gets the replay.
    let creates = logged(&emulator, "CreatePodIdentityAssociation");
    assert_eq!(statuses(&creates), [200; 7]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_after_commit_forever_drops_the_replays_too() {
    let (emulator, _) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "drop_after_commit", "operation": "CreatePodIdentityAssociation", "forever": true}),
    );
    let retrying = retrying_client(emulator.url()).await;
    let result = create_request(&retrying, "ns", "sa").send().await;
    assert!(
        matches!(result, Err(SdkError::DispatchFailure(_))),
        "never answered: {result:?}"
    );
    let stored = admin_associations(&emulator, "c1");
    assert_eq!(stored.len(), 1, "exactly one association: {stored:?}");
    let creates = logged(&emulator, "CreatePodIdentityAssociation");
    assert_eq!(
        statuses(&creates),
        [200; 4],
        "every attempt (the first, then replays of the same token) executed, none answered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn black_hole_never_answers_and_executes_nothing() {
    let (emulator, eks) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "black_hole", "operation": "CreatePodIdentityAssociation"}),
    );
    let impatient = impatient_client(emulator.url(), Duration::from_secs(2)).await;
    let pending = tokio::spawn(async move { create_request(&impatient, "ns", "sa").send().await });

    // Meanwhile the emulator serves other requests.
    tokio::time::sleep(Duration::from_millis(300)).await;
    eks.list_clusters().send().await.expect("not blocked");
    assert!(!pending.is_finished(), "no answer yet");
    assert!(
        logged(&emulator, "CreatePodIdentityAssociation").is_empty(),
        "logged only once the client goes away"
    );

    expect_timeout(pending.await.expect("task"), "black-holed create");
    assert!(
        admin_associations(&emulator, "c1").is_empty(),
        "not executed"
    );
    let record = wait_for_log(&emulator, "CreatePodIdentityAssociation").await;
    assert_eq!(record["status"], 0, "{record}");
    assert_eq!(record["error_type"], Value::Null, "{record}");
    assert_eq!(record["access_key_id"], ACCESS_KEY_ID, "{record}");

    // Used up: the next create goes through.
    create(&eks, "ns", "sa").await;
}

/// The first logged request of `operation`, once it is logged (a black-holed request is logged
/// when the emulator notices that its client closed the connection).
async fn wait_for_log(emulator: &TestEmulator, operation: &str) -> Value {
    for _ in 0..100 {
        if let Some(record) = logged(emulator, operation).into_iter().next() {
            return record;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{operation} was not logged: {:?}", requests_log(emulator));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn black_holed_attempt_is_retried() {
    let (emulator, _) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "black_hole", "operation": "ListClusters"}),
    );
    let timeouts = TimeoutConfig::builder()
        .operation_attempt_timeout(Duration::from_secs(1))
        .build();
    let retry = RetryConfig::standard()
        .with_max_attempts(2)
        .with_initial_backoff(Duration::from_millis(5));
    let patient = client_with(emulator.url(), |loader| {
        loader.timeout_config(timeouts).retry_config(retry)
    })
    .await;
    let listed = patient
        .list_clusters()
        .send()
        .await
        .expect("second attempt");
    assert_eq!(listed.clusters(), ["c1"]);
    wait_for_log(&emulator, "ListClusters").await;
    assert_eq!(statuses(&logged(&emulator, "ListClusters")), [0, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickle_sends_the_body_one_byte_per_interval() {
    let (emulator, eks) = setup().await;
    let body_len = signed_raw(&emulator, "GET", "/clusters", "").body.len();
    add_fault(
        &emulator,
        json!({"kind": "trickle", "operation": "ListClusters", "interval_ms": 40, "count": 2}),
    );

    // Status and headers at once, then the body byte by byte.
    let (headers_at, body_at, body) = timed_get(&emulator, "/clusters").await;
    assert_eq!(body.len(), body_len);
    assert!(String::from_utf8_lossy(&body).contains("c1"));
    let trickled = body_at - headers_at;
    assert!(
        trickled >= Duration::from_millis(40) * (body_len as u32 - 1),
        "{body_len} bytes in {trickled:?} after the headers"
    );

    // The SDK waits for the whole body and reads the right answer.
    let listed = eks.list_clusters().send().await.expect("trickled list");
    assert_eq!(listed.clusters(), ["c1"]);
    assert_eq!(
        statuses(&logged(&emulator, "ListClusters")),
        [200, 200, 200]
    );
}

/// A signed GET of `path` on a connection of its own, read by hand: the time until the end of
/// the headers, the time until the end of the body, and the body.
async fn timed_get(emulator: &TestEmulator, path: &str) -> (Duration, Duration, Vec<u8>) {
    let url = format!("{}{path}", emulator.url());
    let host = emulator.url().trim_start_matches("http://");
    let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    let signature = test_signature("GET", &url, &headers);
    let mut request = format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n");
    for (name, value) in headers.iter().chain(&signature) {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");

    let mut stream = TcpStream::connect(host).await.expect("connects");
    let start = Instant::now();
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut received = vec![];
    let mut chunk = [0u8; 1024];
    let mut headers_at = None;
    loop {
        let read = stream.read(&mut chunk).await.expect("reads");
        if read == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..read]);
        if headers_at.is_none() && received.windows(4).any(|w| w == b"\r\n\r\n") {
            headers_at = Some(start.elapsed());
        }
    }
    let body_at = start.elapsed();
    let text = String::from_utf8_lossy(&received);
    let (head, _) = text.split_once("\r\n\r\n").expect("a complete head");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let head_len = head.len() + 4;
    (
        headers_at.expect("headers"),
        body_at,
        received[head_len..].to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickle_executes_before_it_sends_and_outlasts_an_impatient_client() {
    let (emulator, _) = setup().await;
    add_fault(
        &emulator,
        json!({"kind": "trickle", "operation": "CreatePodIdentityAssociation"}),
    );
    let impatient = impatient_client(emulator.url(), Duration::from_millis(1500)).await;
    expect_timeout(
        create_request(&impatient, "ns", "sa").send().await,
        "one byte a second",
    );
    assert_eq!(admin_associations(&emulator, "c1").len(), 1, "executed");
    let creates = logged(&emulator, "CreatePodIdentityAssociation");
    assert_eq!(statuses(&creates), [200], "the status was sent");

    let misplaced = json!({"kind": "throttle", "interval_ms": 10});
    assert_fault_refused(&emulator, misplaced, "interval_ms");
}
