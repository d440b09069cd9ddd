//! What `top` and `stats` read about a container's processes: /proc for `ps -ef` rows, the
//! cgroup for CPU, memory, block I/O and PIDs, the init's /proc/<pid>/net/dev for network.

use std::fs;

use super::format::{table, units};
use crate::engine::container::Container;

fn clock_ticks() -> u64 {
    // SAFETY: sysconf with a constant.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as u64 } else { 100 }
}

fn boot_time() -> u64 {
    fs::read_to_string("/proc/stat")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("btime ")?.trim().parse().ok())
        .unwrap_or(0)
}

fn user_name(uid: u32) -> String {
    fs::read_to_string("/etc/passwd")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2].parse() == Ok(uid)).then(|| f[0].to_string())
        })
        .unwrap_or_else(|| uid.to_string())
}

/// One row of `ps -ef` for a host PID (what `docker top` shows by default), tab-separated.
pub fn ps_ef_row(pid: i32) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields after the command: state(0) ppid(1) … tty_nr(4) … utime(11) stime(12) … starttime(19).
    let ppid = fields.get(1)?;
    let tty_nr: u64 = fields.get(4)?.parse().ok()?;
    let cpu_ticks: u64 =
        fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    let start_ticks: u64 = fields.get(19)?.parse().ok()?;
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let uid: u32 = status.lines().find_map(|l| {
        l.strip_prefix("Uid:")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })?;
    let ticks = clock_ticks();
    let start_epoch = boot_time() + start_ticks / ticks;
    let now = chrono::Utc::now().timestamp() as u64;
    let elapsed = now.saturating_sub(start_epoch).max(1);
    let cpu_secs = cpu_ticks / ticks;
    let c = (cpu_ticks * 100 / ticks) / elapsed;
    let start =
        chrono::DateTime::from_timestamp(start_epoch as i64, 0)?.with_timezone(&chrono::Local);
    let stime = if now - start_epoch < 24 * 3600 {
        start.format("%H:%M").to_string()
    } else {
        start.format("%b%d").to_string()
    };
    let major = (tty_nr >> 8) & 0xfff;
    let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    let tty = match major {
        0 => "?".to_string(),
        136..=143 => format!("pts/{}", minor + (major - 136) * 256),
        4 => format!("tty{minor}"),
        _ => "?".to_string(),
    };
    let time = format!(
        "{:02}:{:02}:{:02}",
        cpu_secs / 3600,
        cpu_secs / 60 % 60,
        cpu_secs % 60
    );
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmd = if cmdline.is_empty() {
        format!("[{comm}]")
    } else {
        cmdline
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    Some(format!(
        "{}\t{pid}\t{ppid}\t{c}\t{stime}\t{tty}\t{time}\t{cmd}",
        user_name(uid)
    ))
}

fn system_cpu_ns() -> u64 {
    let line = fs::read_to_string("/proc/stat").unwrap_or_default();
    let total: u64 = line
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .take(7)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    total * (1_000_000_000 / clock_ticks())
}

pub fn host_memory() -> u64 {
    fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("MemTotal:")?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0)
        * 1024
}

/// Bytes received and sent on the container's interfaces other than loopback, as Docker
/// counts NET I/O.
fn net_io(pid: i32) -> (u64, u64) {
    let text = fs::read_to_string(format!("/proc/{pid}/net/dev")).unwrap_or_default();
    let mut rx = 0;
    let mut tx = 0;
    for line in text.lines().skip(2) {
        let Some((iface, data)) = line.split_once(':') else {
            continue;
        };
        if iface.trim() == "lo" {
            continue;
        }
        let f: Vec<u64> = data
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        if f.len() >= 9 {
            rx += f[0];
            tx += f[8];
        }
    }
    (rx, tx)
}

/// The `docker stats --no-stream` table. CPU % is measured over a short interval, like the
/// daemon's two samples.
pub fn stats_table(containers: &[Container], no_trunc: bool) -> String {
    let online = std::thread::available_parallelism()
        .map(|n| n.get() as u64)
        .unwrap_or(1);
    let first: Vec<(u64, u64)> = containers
        .iter()
        .map(|c| (c.cgroup().usage().cpu_ns, system_cpu_ns()))
        .collect();
    if !containers.is_empty() {
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let mem_total = host_memory();
    let mut text = String::from(
        "CONTAINER ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tNET I/O\tBLOCK I/O\tPIDS\n",
    );
    for (c, (cpu0, sys0)) in containers.iter().zip(first) {
        let usage = c.cgroup().usage();
        let sys1 = system_cpu_ns();
        let running = c.is_running();
        let cpu_pct = if running && sys1 > sys0 {
            (usage.cpu_ns.saturating_sub(cpu0)) as f64 / (sys1 - sys0) as f64
                * online as f64
                * 100.0
        } else {
            0.0
        };
        let limit = usage
            .memory_limit
            .filter(|&l| l > 0 && l < mem_total)
            .unwrap_or(mem_total);
        let (memory, pids) = if running {
            (usage.memory, usage.pids)
        } else {
            (0, 0)
        };
        let mem_pct = if limit > 0 {
            memory as f64 / limit as f64 * 100.0
        } else {
            0.0
        };
        let (rx, tx) = if running { net_io(c.state.pid) } else { (0, 0) };
        let id = if no_trunc { c.id() } else { c.short_id() };
        text.push_str(&format!(
            "{id}\t{}\t{cpu_pct:.2}%\t{} / {}\t{mem_pct:.2}%\t{} / {}\t{} / {}\t{pids}\n",
            c.name(),
            units::bytes_size(memory),
            units::bytes_size(limit),
            units::human_size(rx),
            units::human_size(tx),
            units::human_size(usage.block_read),
            units::human_size(usage.block_write),
        ));
    }
    table::docker_table(&text)
}
