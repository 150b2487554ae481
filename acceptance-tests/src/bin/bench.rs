//! `make bench`: what the provider costs, measured on this machine against the local stack, each
//! figure printed with its target (PRODUCT.md §7) and "ok" or "over".
//!
//! - the release binary's size, and plugin start to handshake as Terraform starts it (with a
//!   client certificate, so the provider generates its TLS identity as it does for real);
//! - plan (to create) and refresh of 1 role + 200 and + 5,000 associations: the provider's peak
//!   RSS, and terraform's wall time with its ratio to the same count of `terraform_data`
//!   resources planned and refreshed in the same run (a comparison: §7 sets no target for it);
//!   API calls per association and per role on refresh;
//! - the role's in-use scan over 50 clusters × 100 associations with 50 ms per EKS call, then
//!   again with every 10th EKS call throttled: its time, and that it found every association;
//! - the associations data source over one cluster of 1,000 associations at 50 ms per call;
//! - apply of 200 associations at parallelism 10 and 50, with a latency per create that makes
//!   N × latency ÷ parallelism 3 s: the wall time the latency added, against that ideal.
//!
//! Exits 1 when a figure is over its target.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acceptance::harness::terraform::provider_binary;
use acceptance::harness::{hcl, Stack, Terraform};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;

const STARTUP_RUNS: usize = 100;
/// The latency of one EKS call in the scenarios that have one.
const LATENCY_MS: u64 = 50;
/// The scan's layout: this many clusters of SCAN_PER_CLUSTER associations each.
const SCAN_CLUSTERS: usize = 50;
const SCAN_PER_CLUSTER: usize = 100;
const DATA_SOURCE_ASSOCIATIONS: usize = 1_000;
const APPLY_ASSOCIATIONS: usize = 200;
/// The ideal added time of each apply scenario, in seconds: the latency per create is set so
/// that N × latency ÷ parallelism comes to this at every parallelism. It must stand well above an
/// apply's run-to-run noise (±0.2 s here), which the 0.2 s of 50 ms at parallelism 50 did not.
const APPLY_IDEAL_S: f64 = 3.0;
/// How long the apply that sets up the associations of a scale scenario may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(20 * 60);
/// Each apply is measured this many times; the median counts.
const APPLY_RUNS: usize = 3;

fn main() {
    match run() {
        Ok(report) => {
            report.print();
            if report.all_ok() {
                return;
            }
            eprintln!("bench: some figures are over their targets");
        }
        Err(err) => eprintln!("bench failed: {err:#}"),
    }
    std::process::exit(1);
}

fn run() -> Result<Report> {
    let bin = provider_binary()?;
    println!("terraform-provider-podidentity benchmarks");
    println!("binary: {}", bin.display());
    let mut report = Report::default();

    let size = std::fs::metadata(&bin)?.len() as f64 / 1e6;
    report.at_most("release binary size", size, 10.0, "MB");

    let startup = startup_times(&bin, STARTUP_RUNS)?;
    println!(
        "  start to handshake, {STARTUP_RUNS} runs: p90 {:.2} ms, max {:.2} ms",
        percentile(&startup, 90),
        percentile(&startup, 100)
    );
    report.at_most(
        "start to handshake, median",
        percentile(&startup, 50),
        3.0,
        "ms",
    );

    let stack = Stack::start();
    let clusters: Vec<String> = (0..SCAN_CLUSTERS)
        .map(|i| format!("bench-{i:02}"))
        .collect();
    for cluster in &clusters {
        stack.create_cluster(cluster);
    }

    let small = scale(&stack, &bin, 200, 12.0, &mut report)?;
    succeed(&small.tf.run(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-parallelism=50",
    ]))?;
    let large = scale(
        &stack,
        &bin,
        SCAN_CLUSTERS * SCAN_PER_CLUSTER,
        40.0,
        &mut report,
    )?;
    in_use_scan(&stack, &large, &mut report)?;
    drop(large);

    data_source(&stack, &mut report)?;
    apply_overhead(&stack, &mut report)?;
    Ok(report)
}

// ---------------------------------------------------------------------------------------------
// Figures

struct Row {
    figure: String,
    measured: String,
    target: String,
    ok: bool,
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
}

impl Report {
    /// A figure whose target is an upper bound; printed as it is measured and again at the end.
    fn at_most(&mut self, figure: impl Into<String>, value: f64, limit: f64, unit: &str) {
        let row = Row {
            figure: figure.into(),
            measured: format!("{} {unit}", round(value)),
            target: format!("≤ {} {unit}", round(limit)),
            ok: value <= limit,
        };
        println!(
            "{}: {} (target {}) {}",
            row.figure,
            row.measured,
            row.target,
            verdict(row.ok)
        );
        self.rows.push(row);
    }

    fn print(&self) {
        let width = self.rows.iter().map(|r| r.figure.len()).max().unwrap_or(0);
        println!();
        println!(
            "{:width$}  {:>12}  {:>12}  verdict",
            "figure", "measured", "target"
        );
        for row in &self.rows {
            println!(
                "{:width$}  {:>12}  {:>12}  {}",
                row.figure,
                row.measured,
                row.target,
                verdict(row.ok)
            );
        }
        let ok = self.rows.iter().filter(|r| r.ok).count();
        println!("{ok} of {} figures ok", self.rows.len());
    }

    fn all_ok(&self) -> bool {
        self.rows.iter().all(|r| r.ok)
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "over"
    }
}

/// Two decimals below 10, one below 100, none above.
fn round(value: f64) -> String {
    match value.abs() {
        v if v < 10.0 => format!("{value:.2}"),
        v if v < 100.0 => format!("{value:.1}"),
        _ => format!("{value:.0}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Plan and refresh at scale

/// A working directory holding 1 role + `n` associations spread over the bench clusters.
struct Scaled {
    tf: Terraform,
    n: usize,
}

/// Plan (to create) and refresh of 1 role + `n` associations, against the same count of
/// `terraform_data` resources; the associations stay for what comes next.
fn scale(
    stack: &Stack,
    bin: &Path,
    n: usize,
    rss_limit_mb: f64,
    report: &mut Report,
) -> Result<Scaled> {
    let baseline = Terraform::new(stack);
    // terraform_data is Terraform's own: the configuration names no provider.
    baseline.write_file("main.tf", &terraform_data_config(n));
    let base_plan = timed(|| baseline.run(&["plan", "-input=false"]))?;
    set_up(&baseline)?;
    let base_refresh = timed(|| baseline.run(&["plan", "-input=false"]))?;

    let tf = Terraform::new(stack);
    tf.write_config(&scaled_config(n));
    let measure = |what: &str, baseline: Duration, report: &mut Report| -> Result<()> {
        let (wall, rss) = with_peak_rss(bin, || tf.run(&["plan", "-input=false"]))?;
        report.at_most(
            format!("{what} of 1 role + {n} associations: provider peak RSS"),
            rss as f64 / 1e6,
            rss_limit_mb,
            "MB",
        );
        println!(
            "  terraform plan {:.2} s, {:.1} x the {:.2} s of {n} terraform_data resources measured in this run",
            wall.as_secs_f64(),
            wall.as_secs_f64() / baseline.as_secs_f64(),
            baseline.as_secs_f64()
        );
        Ok(())
    };
    measure("plan", base_plan, report)?;

    set_up(&tf)?;
    stack.clear_eks_requests();
    stack.moto.clear_requests()?;
    measure("refresh", base_refresh, report)?;

    let eks_ops = count(stack.eks_operations());
    let iam_ops = count(stack.moto.actions("iam")?);
    println!("  EKS calls: {eks_ops:?}");
    println!("  IAM calls: {iam_ops:?}");
    report.at_most(
        format!("refresh of {n} associations: EKS calls per association"),
        eks_ops.values().sum::<usize>() as f64 / n as f64,
        1.0,
        "",
    );
    // The role's own refresh: GetRole, ListAttachedRolePolicies, ListRolePolicies (it has no
    // inline policy); the trust check's one GetRole for all the associations comes on top.
    let iam_calls = iam_ops.values().sum::<usize>() as f64;
    report.at_most(
        format!("refresh of 1 role + {n} associations: IAM calls"),
        iam_calls,
        4.0,
        "",
    );
    Ok(Scaled { tf, n })
}

/// The shared role and `n` associations that use it, spread evenly over the bench clusters.
fn scaled_config(n: usize) -> String {
    let role = shared_role(n);
    let many = hcl::Block::resource("aws_eks_pod_identity_association", "many")
        .arg("count", n)
        .arg(
            "cluster_name",
            format!("format(\"bench-%02d\", count.index % {SCAN_CLUSTERS})"),
        )
        .string("namespace", "ns-${count.index % 10}")
        .string("service_account", "sa-${count.index}")
        .arg("role_arn", "aws_eks_pod_identity_role.shared.arn");
    format!("{}{role}{many}", hcl::provider())
}

/// Apply what a scale scenario refreshes. Terraform itself takes minutes to apply 5,000
/// resources on 2 cores, even `terraform_data`: longer than the harness's usual limit for one
/// command.
fn set_up(tf: &Terraform) -> Result<()> {
    succeed(&tf.run_for_up_to(
        SETUP_TIMEOUT,
        &["apply", "-auto-approve", "-input=false", "-parallelism=50"],
    ))
}

/// The role the `n` associations of [`scaled_config`] share, allowed in the bench clusters.
fn shared_role(n: usize) -> hcl::Block {
    hcl::role("shared")
        .string("name", &format!("bench-shared-{n}"))
        .arg("allowed_clusters", r#"["bench-*"]"#)
}

/// `n` `terraform_data` resources holding what the associations of [`scaled_config`] hold.
fn terraform_data_config(n: usize) -> String {
    let many = hcl::Block::new("resource \"terraform_data\" \"many\"")
        .arg("count", n)
        .arg(
            "input",
            format!(
                "{{ cluster = format(\"bench-%02d\", count.index % {SCAN_CLUSTERS}), namespace = \"ns-${{count.index % 10}}\", service_account = \"sa-${{count.index}}\" }}"
            ),
        );
    many.to_string()
}

// ---------------------------------------------------------------------------------------------
// The role's in-use scan

/// Move the role of `large` into a state of its own (the common environment's, as in the shared
/// role pattern) and plan its destruction there: the plan scans every cluster for associations
/// that use it. Then again with every 10th EKS call throttled.
fn in_use_scan(stack: &Stack, large: &Scaled, report: &mut Report) -> Result<()> {
    let common = Terraform::new(stack);
    let state_out = common.dir().join("terraform.tfstate");
    let moved = large.tf.run(&[
        "state",
        "mv",
        &format!("-state-out={}", state_out.display()),
        "aws_eks_pod_identity_role.shared",
        "aws_eks_pod_identity_role.shared",
    ]);
    succeed(&moved)?;
    let role = shared_role(large.n);
    common.write_config(&format!("{}{role}", hcl::provider()));

    let expected = format!("is in use by {} pod identity association(s)", large.n);
    for (label, throttle) in [("", false), (", every 10th call throttled", true)] {
        stack.clear_faults();
        every_eks_call_takes(stack, LATENCY_MS);
        if throttle {
            stack.inject_fault(json!({"kind": "throttle", "forever": true, "fraction": 0.1}));
        }
        stack.clear_eks_requests();
        let started = Instant::now();
        let plan = common.run(&["plan", "-destroy", "-input=false"]);
        let wall = started.elapsed().as_secs_f64();
        succeed(&plan)?;
        if !plan.flat_output().contains(&expected) {
            bail!(
                "the scan did not find the {} associations:\n{}",
                large.n,
                plan.output()
            );
        }
        println!(
            "  {} EKS calls, {} throttled; the warning names all {} associations",
            stack.eks_requests().len(),
            stack.throttled_eks_requests(),
            large.n
        );
        report.at_most(
            format!("in-use scan, {SCAN_CLUSTERS} clusters x {SCAN_PER_CLUSTER} associations, {LATENCY_MS} ms per call{label}"),
            wall,
            15.0,
            "s",
        );
    }
    stack.clear_faults();
    Ok(())
}

fn every_eks_call_takes(stack: &Stack, ms: u64) {
    stack.inject_fault(json!({"kind": "latency", "latency_ms": ms, "count": null}));
}

// ---------------------------------------------------------------------------------------------
// The associations data source

/// One cluster of DATA_SOURCE_ASSOCIATIONS associations (made through the EKS API), read by
/// the associations data source with every EKS call taking LATENCY_MS.
fn data_source(stack: &Stack, report: &mut Report) -> Result<()> {
    let cluster = "bench-listing";
    stack.create_cluster(cluster);
    let role_arn = stack.create_pod_role("bench-listing");
    stack.create_associations(cluster, &role_arn, "sa", DATA_SOURCE_ASSOCIATIONS);

    let tf = Terraform::new(stack);
    let listing = hcl::associations_data_source("all", cluster);
    let out = hcl::output(
        "listed",
        "length(data.aws_eks_pod_identity_associations.all.associations)",
    );
    tf.write_config(&format!("{}{listing}{out}", hcl::provider()));
    every_eks_call_takes(stack, LATENCY_MS);
    let started = Instant::now();
    let plan = tf.run(&["plan", "-input=false"]);
    let wall = started.elapsed().as_secs_f64();
    stack.clear_faults();
    succeed(&plan)?;
    let expected = format!("listed = {DATA_SOURCE_ASSOCIATIONS}");
    if !plan.flat_output().contains(&expected) {
        bail!(
            "the data source did not list {DATA_SOURCE_ASSOCIATIONS} associations:\n{}",
            plan.output()
        );
    }
    report.at_most(
        format!("associations data source, {DATA_SOURCE_ASSOCIATIONS} associations, {LATENCY_MS} ms per call"),
        wall,
        3.0,
        "s",
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Apply overhead

/// The wall time that a latency per create adds to an apply of APPLY_ASSOCIATIONS associations,
/// against the ideal N × latency ÷ parallelism (APPLY_IDEAL_S): the median of APPLY_RUNS
/// applies with the latency minus the median of as many without it, taken alternately.
fn apply_overhead(stack: &Stack, report: &mut Report) -> Result<()> {
    stack.create_cluster("bench");
    stack.create_pod_role("bench");
    for parallelism in [10, 50] {
        let latency_ms =
            (APPLY_IDEAL_S * 1000.0 * parallelism as f64 / APPLY_ASSOCIATIONS as f64) as u64;
        let (mut with, mut without) = (vec![], vec![]);
        for _ in 0..APPLY_RUNS {
            without.push(timed_apply(stack, parallelism, None)?);
            with.push(timed_apply(stack, parallelism, Some(latency_ms))?);
        }
        let (with, without) = (median(&mut with), median(&mut without));
        let ideal = APPLY_ASSOCIATIONS as f64 * latency_ms as f64 / 1000.0 / parallelism as f64;
        println!(
            "  apply of {APPLY_ASSOCIATIONS} associations at parallelism {parallelism}: {with:.2} s with {latency_ms} ms per create, {without:.2} s without; added {:.2} s, ideal {ideal:.2} s",
            with - without
        );
        report.at_most(
            format!("apply of {APPLY_ASSOCIATIONS} associations, parallelism {parallelism}, {latency_ms} ms per create: added time ÷ N x latency ÷ parallelism"),
            (with - without) / ideal,
            1.2,
            "×",
        );
    }
    Ok(())
}

/// Seconds of `terraform apply` creating APPLY_ASSOCIATIONS associations, each create delayed
/// by `latency_ms` in EKS (they are destroyed afterwards).
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
    let many = hcl::association(
        "many",
        "bench",
        "ns-${count.index % 10}",
        "sa-${count.index}",
    )
    .arg("count", APPLY_ASSOCIATIONS)
    .arg("role_arn", hcl::quoted(&hcl::role_arn("bench")));
    tf.write_config(&format!("{}{many}", hcl::provider()));
    let parallelism = format!("-parallelism={parallelism}");
    let wall = timed(|| tf.run(&["apply", "-auto-approve", "-input=false", &parallelism]))?;
    stack.clear_faults();
    succeed(&tf.run(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-parallelism=50",
    ]))?;
    Ok(wall.as_secs_f64())
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// The wall time of a terraform command that must succeed.
fn timed(f: impl FnOnce() -> acceptance::harness::terraform::TfRun) -> Result<Duration> {
    let started = Instant::now();
    let run = f();
    let wall = started.elapsed();
    succeed(&run)?;
    Ok(wall)
}

fn succeed(run: &acceptance::harness::terraform::TfRun) -> Result<()> {
    if run.success() {
        Ok(())
    } else {
        Err(anyhow!("terraform failed:\n{}", run.output()))
    }
}

fn count(ops: Vec<String>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for op in ops {
        *out.entry(op).or_insert(0) += 1;
    }
    out
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    percentile(values, 50)
}

fn percentile(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) * p) / 100]
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
fn with_peak_rss(
    bin: &Path,
    f: impl FnOnce() -> acceptance::harness::terraform::TfRun,
) -> Result<(Duration, u64)> {
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
    let wall = timed(f);
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    Ok((wall?, peak.load(Ordering::Relaxed)))
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
