//! `make demo`: the blue/green upgrade story of examples/blue-green against a local AWS stack.

use std::process::ExitCode;

fn main() -> ExitCode {
    // Terraform and harness failures arrive as panics with the command's output: show them as
    // the demo's failure, not as a Rust crash report.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("unknown failure");
        eprintln!("demo failed: {msg}");
    }));
    match std::panic::catch_unwind(acceptance::story::demo) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(err)) => {
            eprintln!("demo failed: {err:#}");
            ExitCode::FAILURE
        }
        Err(_) => ExitCode::FAILURE,
    }
}
