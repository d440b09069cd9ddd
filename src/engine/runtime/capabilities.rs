//! Linux capabilities: Docker's default set of 14, everything else dropped from the bounding set.
//!
//! Docker keeps CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP,
//! SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL and AUDIT_WRITE (moby `oci/caps/defaults.go`);
//! a root process in the container then shows `CapEff: 00000000a80425fb`. Inheritable and
//! ambient sets stay empty (CVE-2022-24769 was runc leaving them filled).

use std::io;

use super::sys::cvt;

/// Capability numbers from linux/capability.h.
pub const DOCKER_DEFAULT_CAPS: [u32; 14] = [
    0,  // CAP_CHOWN
    1,  // CAP_DAC_OVERRIDE
    3,  // CAP_FOWNER
    4,  // CAP_FSETID
    5,  // CAP_KILL
    6,  // CAP_SETGID
    7,  // CAP_SETUID
    8,  // CAP_SETPCAP
    10, // CAP_NET_BIND_SERVICE
    13, // CAP_NET_RAW
    18, // CAP_SYS_CHROOT
    27, // CAP_MKNOD
    29, // CAP_AUDIT_WRITE
    31, // CAP_SETFCAP
];

/// The mask Docker's default set forms; `CapEff` of a root process in a container.
pub fn default_mask() -> u64 {
    DOCKER_DEFAULT_CAPS.iter().fold(0u64, |m, &c| m | (1 << c))
}

fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40)
}

/// Drops every capability outside Docker's set from the bounding set, clears the ambient
/// set, and empties the inheritable set. After execve(2), a root process gets exactly the
/// bounding set as permitted and effective (capabilities(7), "Capabilities and execution
/// of programs by root"); a non-root one gets none.
pub fn apply_docker_default() -> io::Result<()> {
    let keep = default_mask();
    for cap in 0..=last_cap() {
        if keep & (1 << cap) == 0 {
            // SAFETY: prctl with integer arguments.
            let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
            if rc != 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINVAL) {
                return Err(io::Error::last_os_error());
            }
        }
    }
    // SAFETY: prctl with integer arguments.
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0,
            0,
            0,
        )
    };
    clear_inheritable_and_limit(keep)
}

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

/// capset(2): permitted and effective limited to `keep`, inheritable emptied.
fn clear_inheritable_and_limit(keep: u64) -> io::Result<()> {
    let mut header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and a two-element data array, as capget(2) requires for version 3.
    cvt(unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) as libc::c_int })?;
    for (i, d) in data.iter_mut().enumerate() {
        let keep_half = (keep >> (32 * i)) as u32;
        d.permitted &= keep_half;
        d.effective &= keep_half;
        d.inheritable = 0;
    }
    // SAFETY: as above.
    cvt(unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) as libc::c_int })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_default_mask_matches_observed_capeff() {
        assert_eq!(format!("{:016x}", default_mask()), "00000000a80425fb");
    }
}
