//! Link the provider as a position-dependent executable.
//!
//! A position-independent one carries ~25,000 relative relocations (0.6 MB of `.rela.dyn`)
//! that the dynamic loader applies at every start, touching ~400 KB of data pages before
//! `main` runs. Terraform starts the provider once per command and waits for its handshake,
//! so that cost is paid on every plan. Linked at a fixed address, the binary has none of
//! them. Go links Linux/amd64 executables the same way by default, hashicorp/aws included.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
