//! The kernel side of a container: namespaces, rootfs, capabilities, cgroups, process, pty, monitor.

/// The hidden first argument that turns the binary into a container monitor.
pub const MONITOR_VERB: &str = "__monitor";

/// Entry point of the monitor process (re-executed binary). Returns its exit status.
pub fn monitor_main(_args: &[String]) -> i32 {
    1
}
