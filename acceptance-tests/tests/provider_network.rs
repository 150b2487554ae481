//! How the provider reaches AWS: `custom_ca_bundle` (and `AWS_CA_BUNDLE`) for HTTPS endpoints
//! signed by a private certificate authority, and `http_proxy` / `no_proxy` (and the standard
//! variables), through the real terraform CLI.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use acceptance::harness::{flatten, hcl, Stack, Terraform, ACCOUNT_ID};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

// A configuration that makes terraform configure the provider and call EKS once.
use hcl::one_eks_call_with_provider as config_with;

fn stack_with_cluster() -> Stack {
    let stack = Stack::start();
    stack.create_cluster("shop-blue");
    stack
}

/// An STS on `https://127.0.0.1:<port>` with a certificate of a private certificate authority,
/// answering every request with a GetCallerIdentity result.
struct TlsSts {
    url: String,
    ca_pem: String,
    hits: Arc<AtomicUsize>,
}

impl TlsSts {
    fn start() -> TlsSts {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "podidentity test CA");
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let key = KeyPair::generate().expect("server key");
        let params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("server params");
        let cert = params
            .signed_by(&key, &ca, &ca_key)
            .expect("server certificate");
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("TLS configuration");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("https://{}", listener.local_addr().expect("address"));
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        let body = format!(
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT_ID}:user/ci</Arn><UserId>AIDATESTUSER</UserId><Account>{ACCOUNT_ID}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>tls</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
        );
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, counted, response) =
                    (config.clone(), counted.clone(), response.clone());
                std::thread::spawn(move || {
                    let Ok(conn) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let mut tls = rustls::StreamOwned::new(conn, stream);
                    if read_request(&mut tls).is_ok() {
                        counted.fetch_add(1, Ordering::SeqCst);
                        let _ = tls.write_all(response.as_bytes());
                        let _ = tls.flush();
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                    }
                });
            }
        });
        TlsSts {
            url,
            ca_pem: ca.pem(),
            hits,
        }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Read one request's head and body; the head's lines.
fn read_request(stream: &mut impl Read) -> std::io::Result<Vec<String>> {
    let mut reader = BufReader::new(stream);
    let mut head = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        head.push(line);
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(head)
}

#[test]
fn custom_ca_bundle_trusts_a_private_certificate_authority() {
    let stack = stack_with_cluster();
    let sts = TlsSts::start();
    let tf = Terraform::new(&stack);
    tf.write_file("ca.pem", &sts.ca_pem);
    let bundle = tf.dir().join("ca.pem");
    tf.write_config(&config_with(&format!(
        "  custom_ca_bundle = \"{}\"\n  endpoints {{\n    sts = \"{}\"\n  }}",
        bundle.display(),
        sts.url
    )));
    tf.apply();
    assert!(
        sts.hits() >= 1,
        "GetCallerIdentity went to the TLS endpoint"
    );
}

#[test]
fn aws_ca_bundle_is_read_from_the_environment() {
    let stack = stack_with_cluster();
    let sts = TlsSts::start();
    let mut tf = Terraform::new(&stack);
    tf.write_file("ca.pem", &sts.ca_pem);
    let bundle = tf.dir().join("ca.pem").display().to_string();
    tf.set_env("AWS_CA_BUNDLE", &bundle);
    tf.write_config(&config_with(&format!(
        "  endpoints {{\n    sts = \"{}\"\n  }}",
        sts.url
    )));
    tf.apply();
    assert!(sts.hits() >= 1);
}

#[test]
fn without_the_ca_bundle_the_certificate_is_refused() {
    let stack = stack_with_cluster();
    let sts = TlsSts::start();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(&format!(
        "  endpoints {{\n    sts = \"{}\"\n  }}",
        sts.url
    )));
    let out = flatten(&tf.plan_fails());
    assert!(
        out.contains("GetCallerIdentity") || out.contains("STS"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "the TLS certificate of {} is not trusted",
            sts.url
        )),
        "a TLS error naming the endpoint: {out}"
    );
    assert!(out.contains("custom_ca_bundle"), "and the fix: {out}");
    assert!(!out.contains("Debug"), "{out}");
    assert_eq!(sts.hits(), 0, "no request got through");
    assert!(stack.eks_requests().is_empty());
}

#[test]
fn a_missing_ca_bundle_names_custom_ca_bundle() {
    let stack = stack_with_cluster();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with("  custom_ca_bundle = \"/nonexistent/ca.pem\""));
    let out = flatten(&tf.plan_fails());
    assert!(
        out.contains("Cannot read the CA bundle /nonexistent/ca.pem"),
        "{out}"
    );
    assert!(out.contains("custom_ca_bundle"), "{out}");
}

/// A forward proxy on 127.0.0.1 (plain HTTP requests, and `CONNECT` tunnels for HTTPS) that
/// counts the requests and tunnels it forwards.
struct CountingProxy {
    url: String,
    forwarded: Arc<AtomicUsize>,
}

impl CountingProxy {
    fn start() -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let forwarded = Arc::new(AtomicUsize::new(0));
        let counted = forwarded.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counted = counted.clone();
                std::thread::spawn(move || {
                    let _ = forward(stream, &counted);
                });
            }
        });
        CountingProxy { url, forwarded }
    }

    fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

/// Forward the request of `client` (absolute-form, `GET http://host:port/path HTTP/1.1`) to its
/// origin, then close: the client opens a connection per request.
fn forward(client: TcpStream, counted: &AtomicUsize) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or_default().to_string(),
            parts.next().unwrap_or_default().to_string(),
        );
        if method == "CONNECT" {
            // Skip the rest of the head, then tunnel both ways.
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line)? == 0 || line == "\r\n" {
                    break;
                }
            }
            counted.fetch_add(1, Ordering::SeqCst);
            let origin = TcpStream::connect(&target)?;
            client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
            let (mut up_from, mut up_to) = (client.try_clone()?, origin.try_clone()?);
            let upstream = std::thread::spawn(move || {
                let _ = std::io::copy(&mut up_from, &mut up_to);
                let _ = up_to.shutdown(std::net::Shutdown::Write);
            });
            let (mut down_from, mut down_to) = (origin, client);
            let _ = std::io::copy(&mut down_from, &mut down_to);
            let _ = down_to.shutdown(std::net::Shutdown::Write);
            let _ = upstream.join();
            return Ok(());
        }
        let Some(rest) = target.strip_prefix("http://") else {
            client.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")?;
            return Ok(());
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let mut headers = String::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
                if name.eq_ignore_ascii_case("connection")
                    || name.eq_ignore_ascii_case("proxy-connection")
                {
                    continue;
                }
            }
            headers.push_str(&line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        counted.fetch_add(1, Ordering::SeqCst);
        let mut origin = TcpStream::connect(authority)?;
        origin.write_all(
            format!("{method} {path} HTTP/1.1\r\n{headers}Connection: close\r\n\r\n").as_bytes(),
        )?;
        origin.write_all(&body)?;
        let mut answer = Vec::new();
        origin.read_to_end(&mut answer)?;
        client.write_all(&answer)?;
        client.flush()?;
        // The origin closed its connection: close this one too, the client reconnects.
        Ok(())
    }
}

#[test]
fn http_proxy_routes_requests_through_the_proxy() {
    let stack = stack_with_cluster();
    let proxy = CountingProxy::start();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(&format!("  http_proxy = \"{}\"", proxy.url)));
    tf.apply();
    // GetCallerIdentity to moto and the EKS calls, each through the proxy.
    let eks_calls = stack.eks_requests().len();
    assert!(eks_calls >= 1);
    assert!(
        proxy.forwarded() > eks_calls,
        "STS and EKS went through the proxy: {} forwarded, {eks_calls} EKS calls",
        proxy.forwarded()
    );
}

#[test]
fn http_proxy_is_read_from_the_environment() {
    let stack = stack_with_cluster();
    let proxy = CountingProxy::start();
    let mut tf = Terraform::new(&stack);
    tf.set_env("HTTP_PROXY", &proxy.url);
    tf.write_config(&config_with(""));
    tf.apply();
    assert!(proxy.forwarded() >= 2, "{}", proxy.forwarded());
}

#[test]
fn no_proxy_bypasses_the_proxy() {
    let stack = stack_with_cluster();
    let proxy = CountingProxy::start();
    let tf = Terraform::new(&stack);
    tf.write_config(&config_with(&format!(
        "  http_proxy = \"{}\"\n  no_proxy   = \"127.0.0.1\"",
        proxy.url
    )));
    tf.apply();
    assert!(!stack.eks_requests().is_empty());
    assert_eq!(proxy.forwarded(), 0, "127.0.0.1 is reached directly");
}

#[test]
fn https_proxy_tunnels_https_requests() {
    let stack = stack_with_cluster();
    let sts = TlsSts::start();
    let proxy = CountingProxy::start();
    let tf = Terraform::new(&stack);
    tf.write_file("ca.pem", &sts.ca_pem);
    let bundle = tf.dir().join("ca.pem");
    tf.write_config(&config_with(&format!(
        "  custom_ca_bundle = \"{}\"\n  https_proxy      = \"{}\"\n  endpoints {{\n    sts = \"{}\"\n  }}",
        bundle.display(),
        proxy.url,
        sts.url
    )));
    tf.apply();
    assert!(sts.hits() >= 1);
    // Only the https:// endpoint (STS) goes through it; EKS's is http://.
    assert_eq!(
        proxy.forwarded(),
        sts.hits(),
        "each STS connection tunnelled through the proxy"
    );
}
