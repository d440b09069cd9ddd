//! The kernel side of a container: namespaces, rootfs, capabilities, cgroups, process, pty, monitor.
//!
//! Each file owns one mechanism, so the steps that turn a process into a container read
//! like the lesson's checklist (see `process::container_init`).

pub mod capabilities;
pub mod cgroups;
pub mod monitor;
pub mod namespaces;
pub mod process;
pub mod pty;
pub mod rootfs;
pub mod sys;

pub use monitor::{MONITOR_VERB, monitor_main};
