//! Build script: links the `docklab` binary as a non-PIE executable.
//!
//! Every container start executes this binary twice (the client and the monitor). As a PIE
//! it carries ~700 KB of RELRO data that the dynamic loader relocates at every start, about
//! a millisecond and that many dirty pages in each long-lived monitor. Linked non-PIE, the
//! linker resolves those relocations once, at build time.
fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
    println!("cargo:rerun-if-changed=build.rs");
}
