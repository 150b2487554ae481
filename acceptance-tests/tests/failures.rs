//! What a person sees when AWS cannot be reached or answers with something else, through the
//! real terraform CLI: a refused connection fails at once and names the endpoint, a page that is
//! not an AWS answer says so, an endpoint that never answers times out, and a failing
//! `credential_process` never has its output copied into the error.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use acceptance::harness::{hcl, Stack, Terraform};
use serde_json::json;

const CLUSTER: &str = "shop-blue";

/// A configuration that configures the provider with `provider_body` and reads EKS at plan.
fn config_with(provider_body: &str) -> String {
    format!(
        "{}{}",
        hcl::provider().lines(provider_body),
        hcl::associations_data_source("all", CLUSTER)
    )
}

fn stack_with_cluster() -> Stack {
    let stack = Stack::start();
    stack.create_cluster(CLUSTER);
    stack
}

/// An HTTP server on 127.0.0.1 that gives every request the same answer: what a misconfigured
/// endpoint or a proxy in front of AWS might send.
struct FixedAnswer {
    url: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FixedAnswer {
    fn start(status: u16, content_type: &'static str, body: &'static str) -> FixedAnswer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    answer(stream, status, content_type, body);
                }
            }
        });
        FixedAnswer {
            url,
            stop,
            thread: Some(thread),
        }
    }
}

/// Reads one request (head and body) and writes the answer.
fn answer(stream: TcpStream, status: u16, content_type: &str, body: &str) {
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut request_body = vec![0; length];
    let _ = reader.read_exact(&mut request_body);
    let mut stream = reader.into_inner();
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Fixed\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

impl Drop for FixedAnswer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop up so that it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_refused_connection_fails_at_once_naming_the_endpoint() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    // Nothing listens on the discard port.
    tf.write_config(&config_with(
        "  endpoints {\n    eks = \"http://127.0.0.1:9\"\n  }",
    ));
    let out = tf.plan_fails();
    assert!(
        out.contains("http://127.0.0.1:9 refused the connection"),
        "{out}"
    );
    assert!(out.contains("nothing accepts connections there"), "{out}");
}

/// The failed plan's output when the EKS endpoint is `page`.
fn plan_against(page: &FixedAnswer, provider_body: &str) -> String {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(&format!(
        "{provider_body}\n  endpoints {{\n    eks = \"{}\"\n  }}",
        page.url
    )));
    tf.plan_fails()
}

#[test]
fn an_html_page_is_named_as_not_an_aws_answer() {
    let page = FixedAnswer::start(
        200,
        "text/html",
        "<html><body>Welcome to nginx!</body></html>",
    );
    let out = plan_against(&page, "");
    let expected = format!(
        "{} answered HTTP 200 with an HTML page, which is not an AWS API answer",
        page.url
    );
    assert!(out.contains(&expected), "{out}");
    assert!(!out.contains("Unknown (HTTP"), "{out}");
}

#[test]
fn a_proxy_error_page_is_named_after_the_retries() {
    let page = FixedAnswer::start(503, "text/plain", "Service Temporarily Unavailable");
    let out = plan_against(&page, "  max_retries = 1");
    let expected = format!(
        "{} answered HTTP 503 with a body that is neither JSON nor XML (text/plain), which is not an AWS API answer",
        page.url
    );
    assert!(out.contains(&expected), "{out}");
}

#[test]
fn an_endpoint_that_never_answers_times_out() {
    let stack = stack_with_cluster();
    stack.inject_fault(json!({"kind": "black_hole", "forever": true}));
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with("  max_retries = 1"));
    let started = Instant::now();
    let out = tf.plan_fails();
    let took = started.elapsed();
    assert!(out.contains("timed out"), "{out}");
    assert!(out.contains("ListPodIdentityAssociations"), "{out}");
    // Two attempts of at most 30 s each, and the SDK's wait between them.
    assert!(
        took < Duration::from_secs(180),
        "plan took {took:?}: it must fail in under 3 minutes"
    );
}

#[test]
fn a_failing_credential_process_never_shows_its_output() {
    let stack = stack_with_cluster();
    let mut tf = Terraform::new(&stack);
    tf.unset_env("AWS_ACCESS_KEY_ID")
        .unset_env("AWS_SECRET_ACCESS_KEY");
    tf.write_file(
        "home/.aws/config",
        "[profile ci]\ncredential_process = sh -c 'echo \"token=hunter2-must-not-leak\" >&2; exit 3'\n",
    );
    tf.write_config(&config_with("  profile = \"ci\""));
    let out = tf.plan_fails();
    assert!(!out.contains("hunter2-must-not-leak"), "{out}");
    assert!(
        out.contains("credential_process output is not shown"),
        "{out}"
    );
}
