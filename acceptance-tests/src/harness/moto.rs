//! moto (IAM and STS) as a child process on a free loopback port.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use eks_emulator::client::{RawEks, EMULATOR_APP_NAME};
use eks_emulator::proxy::query_action;

use super::workspace_root;

/// How to start moto.
#[derive(Debug, Clone, Default)]
pub struct MotoOptions {
    /// Enforce IAM authentication (moto's INITIAL_NO_AUTH_ACTION_COUNT=0): every request must be
    /// signed with an access key that exists in moto, so made-up credentials are rejected.
    pub enforce_auth: bool,
}

/// A running moto server. Killed when dropped; also exits by itself when the test process dies,
/// because it serves only while its standard input is open.
pub struct MotoServer {
    url: String,
    child: Child,
    _stdin: ChildStdin,
    recording: PathBuf,
    _dir: tempfile::TempDir,
}

/// One IAM or STS request moto received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MotoRequest {
    /// The signing service from the SigV4 credential scope: `iam` or `sts`.
    pub service: String,
    /// The Query-protocol action, e.g. `CreateRole`.
    pub action: String,
}

impl MotoRequest {
    /// IAM calls that change something (everything but Get*/List*).
    pub fn is_iam_write(&self) -> bool {
        self.service == "iam" && !self.action.starts_with("Get") && !self.action.starts_with("List")
    }
}

/// The project-local virtualenv that holds moto (`make venv` creates it).
pub fn venv_python() -> Result<PathBuf> {
    let venv = std::env::var_os("PODIDENTITY_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv"));
    let python = venv.join("bin").join("python");
    if !python.exists() {
        bail!(
            "moto is not installed: {} does not exist. Run `make venv` (or `make test`, which \
             creates the project's virtualenv with moto[server] from acceptance-tests/moto/requirements.txt).",
            python.display()
        );
    }
    Ok(python)
}

impl MotoServer {
    pub fn start(options: &MotoOptions) -> Result<MotoServer> {
        let python = venv_python()?;
        let launcher = workspace_root().join("acceptance-tests/moto/launch.py");
        let dir = tempfile::tempdir()?;
        let recording = dir.path().join("moto-recording.jsonl");
        let mut cmd = Command::new(&python);
        cmd.arg(&launcher)
            .arg("--port")
            .arg("0")
            .env("MOTO_ENABLE_RECORDING", "1")
            // AWS managed policies (arn:aws:iam::aws:policy/...) exist in a real account.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("MOTO_RECORDER_FILEPATH", &recording)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if options.enforce_auth {
            cmd.env("INITIAL_NO_AUTH_ACTION_COUNT", "0");
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting moto with {}", python.display()))?;
        let stdin = child.stdin.take().ok_or_else(|| anyhow!("moto stdin"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("moto stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let url = line.trim().to_string();
        if !url.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            bail!("moto did not start (printed {line:?}); is moto[server] installed in the venv?");
        }
        Ok(MotoServer {
            url,
            child,
            _stdin: stdin,
            recording,
            _dir: dir,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every IAM/STS request recorded since the start or the last [`Self::clear_requests`],
    /// except the EKS emulator's own (its role checks and pod credentials): what the clients of
    /// the stack asked.
    pub fn requests(&self) -> Result<Vec<MotoRequest>> {
        read_recording(&self.recording)
    }

    pub fn clear_requests(&self) -> Result<()> {
        std::fs::write(&self.recording, b"")?;
        Ok(())
    }

    /// From now on, like [`MotoOptions::enforce_auth`] from the start: every request must be
    /// signed, with a valid signature, by an access key that exists in moto and may do what it
    /// asks. Create the users, keys and policies the test signs with first.
    pub fn enforce_auth_from_now(&self) -> Result<()> {
        let response = RawEks::new(&self.url).send("POST", "/moto-api/reset-auth", &[], "0")?;
        if response.status != 200 {
            bail!(
                "moto refused to enforce authentication ({}): {}",
                response.status,
                response.body
            );
        }
        Ok(())
    }

    /// The actions of `service` (`iam`, `sts`) recorded so far, in order.
    pub fn actions(&self, service: &str) -> Result<Vec<String>> {
        Ok(self
            .requests()?
            .into_iter()
            .filter(|r| r.service == service)
            .map(|r| r.action)
            .collect())
    }

    /// The parameters of each recorded request of `action` (e.g. `AssumeRole`), in order: what
    /// the client asked for, such as `RoleSessionName`.
    pub fn request_params(&self, action: &str) -> Result<Vec<BTreeMap<String, String>>> {
        let text = match std::fs::read_to_string(&self.recording) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(e.into()),
        };
        let mut found = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let entry: serde_json::Value = serde_json::from_str(line)?;
            let params = form_params(&recorded_body(&entry)?);
            if params.get("Action").map(String::as_str) == Some(action) {
                found.push(params);
            }
        }
        Ok(found)
    }

    /// IAM requests that change something, recorded so far.
    pub fn iam_writes(&self) -> Result<Vec<MotoRequest>> {
        Ok(self
            .requests()?
            .into_iter()
            .filter(MotoRequest::is_iam_write)
            .collect())
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_recording(path: &Path) -> Result<Vec<MotoRequest>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(e.into()),
    };
    let mut requests = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(request) = parse_recorded(line)? {
            requests.push(request);
        }
    }
    Ok(requests)
}

/// The request of one recorded line; `None` for the EKS emulator's own requests (their user
/// agent carries its app name).
fn parse_recorded(line: &str) -> Result<Option<MotoRequest>> {
    let entry: serde_json::Value = serde_json::from_str(line)?;
    let headers = entry["headers"].as_object().cloned().unwrap_or_default();
    let app = format!("app/{EMULATOR_APP_NAME}");
    let from_emulator = headers.iter().any(|(name, value)| {
        name.to_ascii_lowercase().ends_with("user-agent")
            && value.as_str().is_some_and(|v| v.contains(&app))
    });
    if from_emulator {
        return Ok(None);
    }
    let auth = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.as_str())
        .unwrap_or("");
    // Credential=AKID/20240101/us-east-1/iam/aws4_request
    let service = auth
        .split("Credential=")
        .nth(1)
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string();
    let body = recorded_body(&entry)?;
    let url = entry["url"].as_str().unwrap_or("");
    let query = url.split_once('?').map(|(_, q)| q);
    let action = query_action(body.as_bytes(), query).unwrap_or_else(|| "Unknown".to_string());
    Ok(Some(MotoRequest { service, action }))
}

/// The body of one recorded request, decoded when moto stored it in base64.
fn recorded_body(entry: &serde_json::Value) -> Result<String> {
    let body = entry["body"].as_str().unwrap_or("");
    Ok(if entry["body_encoded"].as_bool() == Some(true) {
        let bytes = base64::engine::general_purpose::STANDARD.decode(body)?;
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        body.to_string()
    })
}

/// The parameters of a form-encoded (Query protocol) body.
fn form_params(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(key), form_decode(value))
        })
        .collect()
}

fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_lines_give_service_and_action() {
        let body = base64::engine::general_purpose::STANDARD
            .encode("Action=CreateRole&Version=2010-05-08&RoleName=x");
        let line = serde_json::json!({
            "headers": {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00"},
            "method": "POST", "url": "http://127.0.0.1:1/", "body": body, "body_encoded": true
        })
        .to_string();
        let req = parse_recorded(&line).unwrap().expect("a client's request");
        assert_eq!(req.service, "iam");
        assert_eq!(req.action, "CreateRole");
        assert!(req.is_iam_write());
        let get = MotoRequest {
            service: "iam".into(),
            action: "GetRole".into(),
        };
        assert!(!get.is_iam_write());
        let emulator = serde_json::json!({
            "headers": {"User-Agent": "aws-sdk-rust/1.3 os/linux lang/rust/1.95 app/eks-emulator"},
            "method": "POST", "url": "http://127.0.0.1:1/", "body": "Action=GetRole", "body_encoded": false
        })
        .to_string();
        assert_eq!(parse_recorded(&emulator).unwrap(), None);
    }

    #[test]
    fn form_bodies_give_their_parameters() {
        let params = form_params(
            "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx&RoleSessionName=a+b%2",
        );
        assert_eq!(params["Action"], "AssumeRole");
        assert_eq!(params["RoleArn"], "arn:aws:iam::1:role/x");
        assert_eq!(params["RoleSessionName"], "a b%2");
    }
}
