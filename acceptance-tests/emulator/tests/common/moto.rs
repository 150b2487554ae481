//! moto (IAM and STS) for the tests that need the emulator's IAM side: started once per test
//! binary from the project's virtualenv as the acceptance harness starts it
//! (acceptance-tests/moto/launch.py), shared by the tests of that binary (each uses its own
//! role names). moto serves while its standard input is open, so it ends with the test process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use aws_sdk_iam::config::http::HttpRequest;
use eks_emulator::client::sdk_config;
use eks_emulator::EmulatorConfig;

use super::{start_emulator_with, TestEmulator};

/// A running moto; never dropped (it lives in a static), it exits when the tests' process does.
struct Moto {
    url: String,
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The virtualenv `make venv` creates (or `PODIDENTITY_VENV`).
fn venv_python() -> PathBuf {
    let venv = std::env::var_os("PODIDENTITY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv"));
    venv.join("bin").join("python")
}

fn start_moto() -> Moto {
    let python = venv_python();
    assert!(
        python.exists(),
        "moto is not installed: {} does not exist. Run `make venv` in {} (it creates the \
         project's virtualenv with moto[server] from acceptance-tests/moto/requirements.txt), \
         or point PODIDENTITY_VENV at a virtualenv that has it.",
        python.display(),
        workspace_root().display()
    );
    let launcher = workspace_root().join("acceptance-tests/moto/launch.py");
    let mut child = Command::new(&python)
        .arg(&launcher)
        .args(["--port", "0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start moto with {}: {e}", python.display()));
    let stdin = child.stdin.take().expect("moto's stdin");
    let stdout = child.stdout.take().expect("moto's stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("reading moto's URL: {e}"));
    let url = line.trim().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "moto did not start (it printed {line:?}); is moto[server] installed in {}?",
        python.display()
    );
    Moto {
        url,
        _child: Mutex::new(child),
        _stdin: Mutex::new(stdin),
    }
}

/// moto's URL, starting it on first use.
pub fn moto_url() -> &'static str {
    &MOTO.get_or_init(start_moto).url
}

/// An emulator with moto as its IAM and STS.
pub fn start_emulator_with_iam() -> TestEmulator {
    let url = moto_url().to_owned();
    start_emulator_with(EmulatorConfig {
        iam_endpoint: Some(url.clone()),
        sts_endpoint: Some(url),
        ..EmulatorConfig::default()
    })
}

/// An IAM client for moto, in `account` (moto keeps one IAM per account, chosen by the
/// `x-moto-account-id` header).
pub async fn iam_in(account: &str) -> aws_sdk_iam::Client {
    let account = account.to_owned();
    let config = aws_sdk_iam::config::Builder::from(&sdk_config(moto_url()).await)
        .interceptor(MotoAccount(account))
        .build();
    aws_sdk_iam::Client::from_conf(config)
}

#[derive(Debug)]
struct MotoAccount(String);

impl aws_sdk_iam::config::Intercept for MotoAccount {
    fn name(&self) -> &'static str {
        "MotoAccount"
    }

    fn modify_before_signing(
        &self,
        context: &mut aws_sdk_iam::config::interceptors::BeforeTransmitInterceptorContextMut<'_>,
        _components: &aws_sdk_iam::config::RuntimeComponents,
        _cfg: &mut aws_sdk_iam::config::ConfigBag,
    ) -> Result<(), aws_sdk_iam::error::BoxError> {
        let request: &mut HttpRequest = context.request_mut();
        request
            .headers_mut()
            .insert("x-moto-account-id", self.0.clone());
        Ok(())
    }
}

/// Creates role `name` in `account` with this trust policy; its ARN.
pub async fn create_role(account: &str, name: &str, trust_policy: &serde_json::Value) -> String {
    let iam = iam_in(account).await;
    let created = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust_policy.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("create role {name} in {account}: {e:?}"));
    created.role.expect("role in the answer").arn().to_owned()
}

/// Gives role `name` of `account` the inline permission policy `policy`.
pub async fn put_role_policy(account: &str, name: &str, policy: &serde_json::Value) {
    let iam = iam_in(account).await;
    iam.put_role_policy()
        .role_name(name)
        .policy_name("permissions")
        .policy_document(policy.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("put role policy on {name}: {e:?}"));
}

/// A role name no other test of the binary uses.
pub fn unique_name(prefix: &str) -> String {
    let suffix = uuid_suffix();
    format!("{prefix}-{suffix}")
}

fn uuid_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{}-{n}", std::process::id())
}
