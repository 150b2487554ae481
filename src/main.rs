//! `terraform-provider-podidentity`: the binary Terraform starts as a plugin.

use std::process::ExitCode;

/// go-plugin's handshake cookie for Terraform providers: Terraform sets it in the plugin's
/// environment, a person running the binary by hand does not.
const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version" || a == "-version") {
        println!(
            "terraform-provider-podidentity {}",
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::SUCCESS;
    }
    if std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) {
        eprint!("{}", podidentity::USAGE);
        return ExitCode::from(1);
    }

    // tf-provider's gRPC server (ring) and the AWS SDK's HTTPS client both use rustls 0.23,
    // which refuses to pick a crypto provider by itself once more than one could be linked in.
    // The server's is ring's with its key loaded in the background (see `server_tls`); the SDK
    // names ring's itself.
    if podidentity::server_tls::crypto_provider()
        .install_default()
        .is_err()
    {
        eprintln!("terraform-provider-podidentity: a TLS crypto provider was already installed");
    }
    podidentity::logging::init();

    // One thread serves every request: the provider waits on AWS far more than it computes,
    // Terraform runs on the same cores, and worker threads would cost their start-up before
    // the handshake and a malloc arena each for the rest of the run. Nothing in the provider
    // blocks its thread; the two small files read at configuration time (a CA bundle, a web
    // identity token) are read once.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("terraform-provider-podidentity: cannot start the async runtime: {err}");
            return ExitCode::from(1);
        }
    };
    let served = runtime.block_on(async {
        podidentity::lifecycle::watch_signals();
        podidentity::lifecycle::watch_parent();
        podidentity::serve().await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(target: "podidentity", "plugin server stopped: {err:#}");
            eprintln!("terraform-provider-podidentity: {err:#}");
            ExitCode::from(1)
        }
    }
}
