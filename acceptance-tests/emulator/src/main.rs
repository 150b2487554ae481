//! `eks-emulator`: serves the EKS API emulator on 127.0.0.1 until SIGINT/SIGTERM.
//! Prints exactly one line, the base URL, once it is listening.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use eks_emulator::client::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};
use eks_emulator::{serve, Credentials, EmulatorConfig};

const USAGE: &str = "\
Usage: eks-emulator [--port N] [--account-id ID] [--region R]
                    [--access-key-id KEY --secret-access-key SECRET]
                    [--iam-endpoint URL] [--sts-endpoint URL]
                    [--addon-delay-ms N] [--cluster-delay-ms N]

Serves an EKS API emulator (pod identity associations, clusters, add-ons, tags, and the EKS Auth
API's AssumeRoleForPodIdentity) on 127.0.0.1. Prints the base URL (http://127.0.0.1:PORT) on one
line once listening, then serves until SIGINT or SIGTERM. Admin endpoints live under
/_emulator/ (POST /_emulator/service-account-tokens mints the pod tokens AssumeRoleForPodIdentity
takes; GET /_emulator/pod-identity-sessions lists the credentials it issued).

Every request must carry a SigV4 signature for the operation's service (eks; eks-auth for
AssumeRoleForPodIdentity) in an AWS Region, made with credentials the emulator knows:
the access key given here, keys added later with POST /_emulator/credentials, and, with
--sts-endpoint, temporary credentials issued by that STS (moto: point it at moto's URL so that
credentials from sts:AssumeRole work). The emulator keeps one world per region, as the regional
endpoints do: a request works on the clusters of the region it was signed for. Admin calls work
on the region of their x-emulator-region header, else on --region.

With --iam-endpoint (moto's URL), Create/UpdatePodIdentityAssociation check that the role
exists in IAM (InvalidParameterException \"Role provided in the request does not exist\"), and
AssumeRoleForPodIdentity reads the role's trust policy there and evaluates it; it then needs
--sts-endpoint too, for the credentials. Without --iam-endpoint the role check is skipped and
AssumeRoleForPodIdentity answers InternalServerException: the emulator was started without IAM.
The emulator calls IAM and STS with the test credentials (AKIAPODIDENTITYTEST1).

Options:
  --port N                    port to listen on (default 0: the OS picks one)
  --account-id ID             AWS account id of the emulated endpoint (default 123456789012)
  --region R                  region of admin calls without x-emulator-region
                              (default eu-west-1)
  --access-key-id KEY         access key id requests may be signed with
                              (default AKIAPODIDENTITYTEST1, the test harness's key)
  --secret-access-key SECRET  its secret access key (default: the test harness's secret)
  --iam-endpoint URL          check roles in, and read trust policies from, the IAM (moto) at URL
  --sts-endpoint URL          also accept temporary credentials issued by the STS (moto) at URL,
                              and get pod credentials from it
  --addon-delay-ms N          how long an add-on stays CREATING, UPDATING or DELETING
                              (default 0: settled by the next request)
  --cluster-delay-ms N        how long a cluster stays CREATING or DELETING (default 0: none)
                              Both can be changed at runtime with POST /_emulator/delays.
  -h, --help                  print this help";

struct Options {
    port: u16,
    config: EmulatorConfig,
}

/// `Ok(None)` when help was requested.
fn parse_args(args: impl IntoIterator<Item = String>) -> anyhow::Result<Option<Options>> {
    let mut options = Options {
        port: 0,
        config: EmulatorConfig::default(),
    };
    let (mut access_key_id, mut secret) = (ACCESS_KEY_ID.to_owned(), SECRET_ACCESS_KEY.to_owned());
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let mut value = || -> anyhow::Result<String> {
            match inline_value.clone().or_else(|| args.next()) {
                Some(value) if !value.is_empty() => Ok(value),
                Some(_) => bail!("{flag} must not be empty"),
                None => bail!("{flag} needs a value"),
            }
        };
        match flag.as_str() {
            "--port" => {
                let raw = value()?;
                options.port = raw
                    .parse()
                    .with_context(|| format!("--port: {raw:?} is not a port number"))?;
            }
            "--account-id" => {
                let account_id = value()?;
                if account_id.len() != 12 || !account_id.chars().all(|c| c.is_ascii_digit()) {
                    bail!("--account-id: {account_id:?} is not a 12-digit AWS account id");
                }
                options.config.account_id = account_id;
            }
            "--region" => options.config.region = value()?,
            "--access-key-id" => access_key_id = value()?,
            "--secret-access-key" => secret = value()?,
            "--sts-endpoint" => options.config.sts_endpoint = Some(http_url(&flag, value()?)?),
            "--iam-endpoint" => options.config.iam_endpoint = Some(http_url(&flag, value()?)?),
            "--addon-delay-ms" => options.config.delays.set_addons(millis(&flag, value()?)?),
            "--cluster-delay-ms" => options.config.delays.set_clusters(millis(&flag, value()?)?),
            other => bail!("unknown argument {other:?}"),
        }
    }
    options.config.credentials = vec![Credentials::new(&access_key_id, &secret, None)];
    Ok(Some(options))
}

fn millis(flag: &str, raw: String) -> anyhow::Result<Duration> {
    let ms = raw
        .parse::<u64>()
        .with_context(|| format!("{flag}: {raw:?} is not a number of milliseconds"))?;
    Ok(Duration::from_millis(ms))
}

fn http_url(flag: &str, url: String) -> anyhow::Result<String> {
    if !url.starts_with("http://") && !url.starts_with("https://") {
        bail!("{flag}: {url:?} is not an http:// or https:// URL");
    }
    Ok(url)
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn run(options: Options) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", options.port))
        .await
        .with_context(|| format!("binding 127.0.0.1:{}", options.port))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "http://{address}").context("writing the URL to stdout")?;
    stdout.flush().context("flushing stdout")?;
    drop(stdout);
    serve(listener, options.config, shutdown_signal())
        .await
        .context("serving")
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("eks-emulator: {err:#}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("eks-emulator: cannot start the tokio runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("eks-emulator: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> anyhow::Result<Option<Options>> {
        parse_args(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn endpoints_are_urls() {
        let options = parse(&[
            "--iam-endpoint",
            "http://127.0.0.1:5000",
            "--sts-endpoint=http://x",
        ])
        .expect("valid")
        .expect("not help");
        assert_eq!(
            options.config.iam_endpoint.as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(options.config.sts_endpoint.as_deref(), Some("http://x"));
        assert!(parse(&["--iam-endpoint", "127.0.0.1:5000"]).is_err());
        let defaults = parse(&[]).expect("valid").expect("not help");
        assert_eq!(defaults.config.iam_endpoint, None);
        assert!(USAGE.contains("--iam-endpoint"));
    }

    #[test]
    fn delays_are_milliseconds() {
        let options = parse(&["--addon-delay-ms", "250", "--cluster-delay-ms=40"])
            .expect("valid")
            .expect("not help");
        let delays = options.config.delays;
        assert_eq!(delays.addon_updating, Duration::from_millis(250));
        assert_eq!(delays.cluster_deleting, Duration::from_millis(40));
        assert!(parse(&["--addon-delay-ms", "soon"]).is_err());
    }
}
