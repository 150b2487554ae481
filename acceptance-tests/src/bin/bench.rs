//! `make bench`: what the provider costs, measured on this machine against the local stack.
//!
//! - release binary size;
//! - plugin start to handshake line, as Terraform starts it (with a client certificate, so the
//!   provider generates its TLS identity as it does for real);
//! - provider peak RSS while terraform plans 1 role + 200 associations (create), and while it
//!   refreshes them once they exist;
//! - API calls per refresh: per association and per role;
//! - apply of 200 associations with a fixed EKS latency at several parallelism levels, against
//!   the ideal N × latency ÷ parallelism.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acceptance::harness::terraform::provider_binary;
use acceptance::harness::{hcl, Stack, Terraform};
use anyhow::{anyhow, Context, Result};
use serde_json::json;

const ASSOCIATIONS: usize = 200;
const STARTUP_RUNS: usize = 30;
const LATENCY_MS: u64 = 50;

fn main() {
    if let Err(err) = run() {
        eprintln!("bench failed: {err:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let bin = provider_binary()?;
    println!("terraform-provider-podidentity benchmarks");
    println!("binary: {}", bin.display());
    let size = std::fs::metadata(&bin)?.len();
    println!("binary size: {:.1} MB ({size} bytes)", size as f64 / 1e6);

    let startup = startup_times(&bin, STARTUP_RUNS)?;
    println!(
        "start to handshake ({STARTUP_RUNS} runs): median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        percentile(&startup, 50),
        percentile(&startup, 90),
        percentile(&startup, 100)
    );

    let stack = Stack::start();
    stack.create_cluster("bench");
    stack.create_pod_role("bench");
    let tf = Terraform::new(&stack);
    tf.write_config(&many_associations_config(ASSOCIATIONS));

    let (plan_wall, plan_rss) =
        with_peak_rss(&bin, || tf.run(&["plan", "-input=false", "-refresh=false"]))?;
    println!(
        "plan of 1 role + {ASSOCIATIONS} associations (to create): provider peak RSS {:.1} MB, terraform plan {:.2} s",
        plan_rss as f64 / 1e6,
        plan_wall.as_secs_f64()
    );

    let apply = tf.run(&["apply", "-auto-approve", "-input=false", "-parallelism=20"]);
    if !apply.success() {
        return Err(anyhow!("apply failed:\n{}", apply.output()));
    }

    stack.clear_eks_requests();
    stack.moto.clear_requests()?;
    let (refresh_wall, refresh_rss) = with_peak_rss(&bin, || {
        tf.run(&["plan", "-input=false", "-parallelism=20"])
    })?;
    let eks_ops = count(stack.eks_operations());
    let iam_ops = count(stack.moto.actions("iam")?);
    println!(
        "refresh of 1 role + {ASSOCIATIONS} associations: provider peak RSS {:.1} MB, terraform plan {:.2} s",
        refresh_rss as f64 / 1e6,
        refresh_wall.as_secs_f64()
    );
    println!(
        "  EKS calls: {eks_ops:?} = {:.2} per association",
        eks_ops.values().sum::<usize>() as f64 / ASSOCIATIONS as f64
    );
    println!(
        "  IAM calls: {iam_ops:?} = {} (no inline policies): the role's refresh (GetRole, ListAttachedRolePolicies, ListRolePolicies) and one GetRole for the trust check of all {ASSOCIATIONS} associations",
        iam_ops.values().sum::<usize>()
    );
    tf.destroy();

    // Terraform's own cost per resource (plan, state, gRPC), measured without EKS latency at
    // the same parallelism, then the same apply with every create taking LATENCY_MS.
    for parallelism in [10, 20] {
        let baseline = timed_apply(&stack, parallelism, None)?;
        let wall = timed_apply(&stack, parallelism, Some(LATENCY_MS))?;
        let ideal = ASSOCIATIONS as f64 * LATENCY_MS as f64 / 1000.0 / parallelism as f64;
        println!(
            "apply of {ASSOCIATIONS} associations, parallelism {parallelism}: {wall:.2} s with {LATENCY_MS} ms per create, {baseline:.2} s without; the latency added {:.2} s (ideal N x latency / parallelism = {ideal:.2} s)",
            wall - baseline
        );
    }
    Ok(())
}

/// Seconds of `terraform apply` creating ASSOCIATIONS associations, each create delayed by
/// `latency_ms` in EKS (they are destroyed afterwards).
fn timed_apply(stack: &Stack, parallelism: usize, latency_ms: Option<u64>) -> Result<f64> {
    if let Some(ms) = latency_ms {
        stack.inject_fault(json!({
            "kind": "latency",
            "operation": "CreatePodIdentityAssociation",
            "latency_ms": ms,
            "count": null
        }));
    }
    let tf = Terraform::new(stack);
    let role_arn = hcl::quoted(&hcl::role_arn("bench"));
    tf.write_config(&associations_config(ASSOCIATIONS, &role_arn));
    let started = Instant::now();
    let run = tf.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        &format!("-parallelism={parallelism}"),
    ]);
    let wall = started.elapsed().as_secs_f64();
    if !run.success() {
        return Err(anyhow!("apply failed:\n{}", run.output()));
    }
    stack.clear_faults();
    let destroyed = tf.run(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-parallelism=20",
    ]);
    if !destroyed.success() {
        return Err(anyhow!("destroy failed:\n{}", destroyed.output()));
    }
    Ok(wall)
}

/// The shared role and `n` associations that use it.
fn many_associations_config(n: usize) -> String {
    let role = hcl::role("shared")
        .string("name", "bench-shared")
        .arg("allowed_clusters", r#"["bench"]"#);
    format!(
        "{role}{}",
        associations_config(n, "aws_eks_pod_identity_role.shared.arn")
    )
}

/// `n` associations of cluster `bench` (of the shared role when `role_arn` is its reference).
fn associations_config(n: usize, role_arn: &str) -> String {
    let many = hcl::association(
        "many",
        "bench",
        "ns-${count.index % 10}",
        "sa-${count.index}",
    )
    .arg("count", n)
    .arg("role_arn", role_arn);
    format!("{}{many}", hcl::provider())
}

fn count(ops: Vec<String>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for op in ops {
        *out.entry(op).or_insert(0) += 1;
    }
    out
}

fn percentile(sorted_ms: &[f64], p: usize) -> f64 {
    if sorted_ms.is_empty() {
        return 0.0;
    }
    let idx = ((sorted_ms.len() - 1) * p) / 100;
    sorted_ms[idx]
}

/// Milliseconds from spawn to the go-plugin handshake line, sorted.
fn startup_times(bin: &Path, runs: usize) -> Result<Vec<f64>> {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let client_cert = cert.cert.pem();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let mut child = Command::new(bin)
            .env(
                "TF_PLUGIN_MAGIC_COOKIE",
                "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
            )
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env("PLUGIN_CLIENT_CERT", &client_cert)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the provider")?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let elapsed = started.elapsed();
        let _ = child.kill();
        let _ = child.wait();
        if !line.starts_with("1|6|tcp|") {
            return Err(anyhow!("unexpected handshake line {line:?}"));
        }
        times.push(elapsed.as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times)
}

/// Run `f` while sampling the peak RSS (VmHWM) of every process running `bin`; returns the
/// wall time of `f` and the largest peak seen.
fn with_peak_rss<T>(bin: &Path, f: impl FnOnce() -> T) -> Result<(Duration, u64)> {
    let bin: PathBuf = std::fs::canonicalize(bin)?;
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                for hwm in provider_peaks(&bin) {
                    peak.fetch_max(hwm, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let started = Instant::now();
    let _ = f();
    let wall = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    Ok((wall, peak.load(Ordering::Relaxed)))
}

fn provider_peaks(bin: &Path) -> Vec<u64> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| std::fs::read_link(e.path().join("exe")).is_ok_and(|exe| exe == bin))
        .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|kb| kb * 1024)
        })
        .collect()
}
