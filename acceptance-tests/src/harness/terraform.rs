//! Drive the real `terraform` CLI against the freshly built provider, in a temp dir per test.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

use super::hcl::REQUIRED_PROVIDERS;
use super::{workspace_root, Stack};

/// The provider's source address in test configurations.
pub const PROVIDER_SOURCE: &str = "podidentity/podidentity";

/// How long one terraform command may take before the test fails.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// The `terraform` executable: `$TERRAFORM`, else `terraform` on PATH. Missing is a hard error:
/// these tests never skip.
pub fn terraform_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("TERRAFORM") {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        bail!(
            "TERRAFORM is set to {}, which does not exist",
            path.display()
        );
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join("terraform");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "the terraform CLI was not found on PATH. The acceptance tests drive the real terraform \
         (1.11 or later): install it (https://developer.hashicorp.com/terraform/install) or set \
         TERRAFORM=/path/to/terraform"
    )
}

/// The provider binary under test: `$PODIDENTITY_PROVIDER_BIN` (the Makefile sets it after
/// building), else built here once per test process with cargo.
pub fn provider_binary() -> Result<PathBuf> {
    static BIN: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| locate_or_build_provider().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(|e| anyhow!(e))
}

fn locate_or_build_provider() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("PODIDENTITY_PROVIDER_BIN") {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!("PODIDENTITY_PROVIDER_BIN={} does not exist", path.display());
        }
        return Ok(path);
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "build",
            "--quiet",
            "-p",
            "terraform-provider-podidentity",
            "--bin",
            "terraform-provider-podidentity",
            "--message-format=json",
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build for the provider")?;
    if !output.status.success() {
        bail!("cargo build of the provider failed");
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| anyhow!("cargo build did not report the provider executable"))
}

/// The result of one terraform command.
#[derive(Debug, Clone)]
pub struct TfRun {
    pub args: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl TfRun {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// stdout and stderr together, as a person would see them.
    pub fn output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// The output with Terraform's box drawing and line wrapping removed, so messages can be
    /// matched as single lines.
    pub fn flat_output(&self) -> String {
        flatten(&self.output())
    }
}

/// Every resource of a plan's JSON: its actions (`["update"]`, `["no-op"]`, ...) and its change,
/// by address.
pub fn resource_changes(plan: &Value) -> BTreeMap<String, (Vec<String>, Value)> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|rc| {
            let actions: Vec<String> = rc["change"]["actions"]
                .as_array()?
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect();
            Some((
                rc["address"].as_str()?.to_string(),
                (actions, rc["change"].clone()),
            ))
        })
        .collect()
}

/// The change of `address` in a plan's JSON (`resource_changes[].change`), if it has one.
pub fn change_of<'a>(plan: &'a Value, address: &str) -> Option<&'a Value> {
    plan["resource_changes"]
        .as_array()?
        .iter()
        .find(|rc| rc["address"] == address)
        .map(|rc| &rc["change"])
}

/// The attributes a change changes (or leaves unknown), sorted by name.
pub fn changed_attributes(change: &Value) -> Vec<String> {
    let mut names: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for side in ["before", "after", "after_unknown"] {
        if let Some(map) = change[side].as_object() {
            names.extend(map.keys().cloned());
        }
    }
    names
        .into_iter()
        .filter(|n| change["before"][n] != change["after"][n] || change["after_unknown"][n] == true)
        .collect()
}

/// Join wrapped diagnostic lines into one line of words.
pub fn flatten(text: &str) -> String {
    text.lines()
        .map(|l| l.trim_start_matches(['│', '╷', '╵', ' ']).trim())
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A terraform working directory wired to a [`Stack`].
pub struct Terraform {
    dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
    bin: PathBuf,
}

impl Terraform {
    /// A new working directory whose terraform talks to `stack` and loads the provider under test.
    pub fn new(stack: &Stack) -> Terraform {
        Self::try_new(stack).unwrap_or_else(|e| panic!("cannot prepare terraform: {e:#}"))
    }

    pub fn try_new(stack: &Stack) -> Result<Terraform> {
        let bin = terraform_binary()?;
        let provider = provider_binary()?;
        let provider_dir = provider
            .parent()
            .ok_or_else(|| anyhow!("provider binary has no directory"))?;
        let dir = tempfile::Builder::new()
            .prefix("podidentity-tf-")
            .tempdir()?;
        let cli_config = dir.path().join(".terraformrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider_dir.display()
            ),
        )?;
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home)?;
        let mut env = BTreeMap::new();
        for key in ["PATH", "TMPDIR", "LANG"] {
            if let Ok(v) = std::env::var(key) {
                env.insert(key.to_string(), v);
            }
        }
        env.insert("HOME".into(), home.display().to_string());
        env.insert(
            "TF_CLI_CONFIG_FILE".into(),
            cli_config.display().to_string(),
        );
        env.insert("TF_IN_AUTOMATION".into(), "1".into());
        env.insert("TF_INPUT".into(), "0".into());
        env.insert("CHECKPOINT_DISABLE".into(), "1".into());
        for (k, v) in stack.aws_env(&home) {
            env.insert(k, v);
        }
        Ok(Terraform { dir, env, bin })
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn set_env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.insert(key.to_string(), value.to_string());
        self
    }

    pub fn unset_env(&mut self, key: &str) -> &mut Self {
        self.env.remove(key);
        self
    }

    pub fn env(&self, key: &str) -> Option<&str> {
        self.env.get(key).map(String::as_str)
    }

    /// Write `main.tf`: the required_providers block followed by `body`.
    pub fn write_config(&self, body: &str) {
        self.write_file("main.tf", &format!("{REQUIRED_PROVIDERS}\n{body}"));
    }

    pub fn write_file(&self, name: &str, content: &str) {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create config dir");
        }
        std::fs::write(&path, content)
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    /// Copy every `*.tf` file of `dir` into the working directory.
    pub fn copy_config_from(&self, dir: &Path) {
        let entries =
            std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "tf") {
                let name = entry.file_name();
                std::fs::copy(&path, self.dir.path().join(name)).expect("copy .tf file");
            }
        }
    }

    /// Run terraform with `args` (plus -no-color) and capture what it prints.
    pub fn run(&self, args: &[&str]) -> TfRun {
        self.try_run(args)
            .unwrap_or_else(|e| panic!("terraform {}: {e:#}", args.join(" ")))
    }

    fn try_run(&self, args: &[&str]) -> Result<TfRun> {
        self.try_start(args, None)?.try_wait_for_exit()
    }

    /// Like [`Self::run`], for a command known to take longer than [`COMMAND_TIMEOUT`] (the
    /// benchmark's apply of thousands of resources): it may take up to `timeout`.
    pub fn run_for_up_to(&self, timeout: Duration, args: &[&str]) -> TfRun {
        self.try_start(args, None)
            .and_then(|running| running.try_wait_for_exit_within(timeout))
            .unwrap_or_else(|e| panic!("terraform {}: {e:#}", args.join(" ")))
    }

    /// `terraform console` fed `input` (one expression per line), as a person types it.
    pub fn console(&self, input: &str) -> TfRun {
        self.try_start(&["console"], Some(input))
            .and_then(Running::try_wait_for_exit)
            .unwrap_or_else(|e| panic!("terraform console: {e:#}"))
    }

    /// Start terraform with `args` (plus -no-color) without waiting for it, in a process group
    /// of its own, as a terminal runs it: [`Running::ctrl_c`] then reaches it and its plugins.
    pub fn start(&self, args: &[&str]) -> Running {
        self.try_start(args, None)
            .unwrap_or_else(|e| panic!("terraform {}: {e:#}", args.join(" ")))
    }

    fn try_start(&self, args: &[&str], input: Option<&str>) -> Result<Running> {
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(self.dir.path())
            .env_clear()
            .envs(&self.env)
            .args(args)
            .arg("-no-color")
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd.spawn().context("starting terraform")?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            // Closing stdin afterwards ends the console session.
            stdin
                .write_all(input.as_bytes())
                .context("writing to terraform's stdin")?;
        }
        let mut stdout = child.stdout.take().ok_or_else(|| anyhow!("stdout"))?;
        let mut stderr = child.stderr.take().ok_or_else(|| anyhow!("stderr"))?;
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Ok(Running {
            args: args.join(" "),
            child,
            out_reader,
            err_reader,
        })
    }

    fn expect_success(&self, args: &[&str]) -> TfRun {
        let run = self.run(args);
        assert!(
            run.success(),
            "terraform {} failed (exit {:?}):\n{}",
            run.args,
            run.code,
            run.output()
        );
        run
    }

    fn expect_failure(&self, args: &[&str]) -> TfRun {
        let run = self.run(args);
        assert!(
            !run.success(),
            "terraform {} was expected to fail but succeeded:\n{}",
            run.args,
            run.output()
        );
        run
    }

    pub fn apply(&self) -> TfRun {
        self.expect_success(&["apply", "-auto-approve", "-input=false"])
    }

    /// Apply, expecting failure; returns the flattened output.
    pub fn apply_fails(&self) -> String {
        self.expect_failure(&["apply", "-auto-approve", "-input=false"])
            .flat_output()
    }

    pub fn plan(&self) -> TfRun {
        self.expect_success(&["plan", "-input=false"])
    }

    /// Plan, expecting failure; returns the flattened output.
    pub fn plan_fails(&self) -> String {
        self.expect_failure(&["plan", "-input=false"]).flat_output()
    }

    /// Plans each configuration, which must fail with the error `summary` and the words
    /// `detail` in its output; fails the test naming every case that did not.
    pub fn assert_plans_fail<'a>(
        &self,
        cases: impl IntoIterator<Item = (String, &'a str, &'a str)>,
    ) {
        let mut failures = Vec::new();
        for (config, summary, detail) in cases {
            self.write_config(&config);
            let run = self.run(&["plan", "-input=false"]);
            let out = run.flat_output();
            if run.success() || !out.contains(summary) || !out.contains(detail) {
                failures.push(format!(
                    "{config}\nexpected {summary:?} / {detail:?}, got (exit {:?}): {out}",
                    run.code
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    pub fn validate(&self) -> TfRun {
        self.run(&["validate"])
    }

    pub fn destroy(&self) -> TfRun {
        self.expect_success(&["destroy", "-auto-approve", "-input=false"])
    }

    pub fn destroy_fails(&self) -> String {
        self.expect_failure(&["destroy", "-auto-approve", "-input=false"])
            .flat_output()
    }

    pub fn import(&self, address: &str, id: &str) -> TfRun {
        self.expect_success(&["import", "-input=false", address, id])
    }

    pub fn import_fails(&self, address: &str, id: &str) -> String {
        self.expect_failure(&["import", "-input=false", address, id])
            .flat_output()
    }

    pub fn refresh(&self) -> TfRun {
        self.expect_success(&["apply", "-refresh-only", "-auto-approve", "-input=false"])
    }

    /// `terraform state rm`.
    pub fn state_rm(&self, address: &str) -> TfRun {
        self.expect_success(&["state", "rm", address])
    }

    /// The saved plan as `terraform show -json` prints it.
    pub fn plan_json(&self) -> Value {
        self.expect_success(&["plan", "-input=false", "-out=tfplan"]);
        let shown = self.expect_success(&["show", "-json", "tfplan"]);
        serde_json::from_str(&shown.stdout)
            .unwrap_or_else(|e| panic!("plan JSON: {e}\n{}", shown.stdout))
    }

    /// The planned actions per resource address, e.g. `{"aws_x.y": ["update"]}`, skipping no-ops.
    pub fn planned_actions(&self) -> BTreeMap<String, Vec<String>> {
        resource_changes(&self.plan_json())
            .into_iter()
            .filter(|(_, (actions, _))| actions != &["no-op"] && actions != &["read"])
            .map(|(address, (actions, _))| (address, actions))
            .collect()
    }

    /// True when `terraform plan -detailed-exitcode` reports no changes.
    pub fn plan_is_empty(&self) -> bool {
        let run = self.run(&["plan", "-input=false", "-detailed-exitcode"]);
        match run.code {
            Some(0) => true,
            Some(2) => false,
            _ => panic!("terraform plan failed:\n{}", run.output()),
        }
    }

    pub fn assert_plan_empty(&self) {
        let run = self.run(&["plan", "-input=false", "-detailed-exitcode"]);
        assert!(
            run.code == Some(0),
            "expected an empty plan, terraform plan exited {:?}:\n{}",
            run.code,
            run.output()
        );
    }

    /// The state as `terraform show -json` prints it.
    pub fn state_json(&self) -> Value {
        let shown = self.expect_success(&["show", "-json"]);
        serde_json::from_str(&shown.stdout)
            .unwrap_or_else(|e| panic!("state JSON: {e}\n{}", shown.stdout))
    }

    /// The attribute values of one resource or data source in the state (`Value::Null` if absent).
    pub fn resource(&self, address: &str) -> Value {
        let state = self.state_json();
        find_resource(&state["values"]["root_module"], address).unwrap_or(Value::Null)
    }

    /// Root module outputs as `terraform output -json` prints them (name → value).
    pub fn outputs(&self) -> BTreeMap<String, Value> {
        let run = self.expect_success(&["output", "-json"]);
        let parsed: BTreeMap<String, Value> = serde_json::from_str(&run.stdout).unwrap_or_default();
        parsed
            .into_iter()
            .map(|(k, v)| (k, v["value"].clone()))
            .collect()
    }
}

fn find_resource(module: &Value, address: &str) -> Option<Value> {
    for r in module["resources"].as_array().into_iter().flatten() {
        if r["address"] == address {
            return Some(r["values"].clone());
        }
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        if let Some(found) = find_resource(child, address) {
            return Some(found);
        }
    }
    None
}

/// A terraform command started with [`Terraform::start`].
pub struct Running {
    args: String,
    child: Child,
    out_reader: JoinHandle<String>,
    err_reader: JoinHandle<String>,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Ctrl-C as a terminal sends it: SIGINT to terraform and the plugins it started (its
    /// process group).
    pub fn ctrl_c(&self) {
        signal("INT", &format!("-{}", self.pid()));
    }

    /// SIGINT to terraform alone (a wrapper that forwards only to its child): terraform asks
    /// its plugins to stop through the plugin protocol.
    pub fn interrupt(&self) {
        signal("INT", &self.pid().to_string());
    }

    /// SIGKILL to terraform alone: it cannot stop its plugins.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
    }

    /// The processes terraform started that are still running.
    pub fn plugin_processes(&self) -> Vec<u32> {
        children_of(self.pid())
    }

    /// Wait for terraform to exit (failing the test after [`COMMAND_TIMEOUT`]).
    pub fn wait(self) -> TfRun {
        let args = self.args.clone();
        self.try_wait_for_exit()
            .unwrap_or_else(|e| panic!("terraform {args}: {e:#}"))
    }

    fn try_wait_for_exit(self) -> Result<TfRun> {
        self.try_wait_for_exit_within(COMMAND_TIMEOUT)
    }

    fn try_wait_for_exit_within(mut self, timeout: Duration) -> Result<TfRun> {
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait()? {
                break status;
            }
            if started.elapsed() > timeout {
                let _ = self.child.kill();
                let _ = self.child.wait();
                bail!("timed out after {timeout:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ok(TfRun {
            args: self.args,
            code: status.code(),
            stdout: self.out_reader.join().unwrap_or_default(),
            stderr: self.err_reader.join().unwrap_or_default(),
        })
    }
}

/// `kill -SIGNAL TARGET`, where a negative target is a process group.
fn signal(name: &str, target: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), "--", target])
        .status();
    assert!(
        sent.is_ok_and(|s| s.success()),
        "kill -{name} {target} failed"
    );
}

/// The running processes whose parent is `pid` (from /proc).
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| parent_of(*child) == Some(pid))
        .collect()
}

/// The parent of a running process, from `/proc/PID/stat` (`pid (comm) state ppid ...`; comm
/// may contain spaces and parentheses, so read after the last ')').
pub fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_comm.split_whitespace();
    let state = fields.next()?;
    if state == "Z" {
        return None;
    }
    fields.next()?.parse().ok()
}

/// Whether a process is still running (not gone, not a zombie).
pub fn is_running(pid: u32) -> bool {
    parent_of(pid).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_joins_wrapped_diagnostics() {
        let text = "╷\n│ Error: Invalid namespace\n│ \n│   with aws_x.y,\n│ \"Bad\" is not a DNS-1123\n│ label\n╵\n";
        assert_eq!(
            flatten(text),
            "Error: Invalid namespace with aws_x.y, \"Bad\" is not a DNS-1123 label"
        );
    }
}
