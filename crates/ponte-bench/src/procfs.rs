//! What Linux says of a process (/proc): CPU time, memory, descendants. The benchmarks measure
//! the processes they start with it.

use std::collections::HashMap;
use std::path::PathBuf;

/// Clock ticks per second, the unit of [`cpu_ticks`].
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf reads a constant of the system.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64
}

/// A value of /proc/PID/status in KiB (`VmRSS`, `VmHWM`: the peak resident size).
pub fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0)
}

/// `root` and every process descending from it.
pub fn tree(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(parent) = stat_fields(pid).and_then(|f| f.get(1)?.parse().ok()) {
                children.entry(parent).or_default().push(pid);
            }
        }
    }
    let mut family = vec![root];
    let mut at = 0;
    while at < family.len() {
        family.extend(children.get(&family[at]).cloned().unwrap_or_default());
        at += 1;
    }
    family
}

/// The fields of /proc/PID/stat after the command name: state, ppid, … (utime is index 11).
pub fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(PathBuf::from(format!("/proc/{pid}/stat"))).ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    Some(after_name.split_whitespace().map(str::to_string).collect())
}

/// User and system CPU time of one process, in clock ticks.
pub fn cpu_ticks(pid: u32) -> u64 {
    stat_fields(pid)
        .map(|f| {
            let at = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            at(11) + at(12)
        })
        .unwrap_or(0)
}

/// Proportional set size of the whole tree: shared libraries counted once between them.
pub fn tree_pss_kib(root: u32) -> u64 {
    tree(root).into_iter().map(pss_kib).sum()
}

pub fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|rollup| {
            rollup
                .lines()
                .find(|l| l.starts_with("Pss:"))?
                .split_whitespace()
                .nth(1)?
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0)
}

/// A process's proportional memory by what is mapped (a library's file, `[anon]`, `[heap]`),
/// largest first, in KiB: where a process's memory goes, for `--verbose`.
pub fn pss_by_mapping(pid: u32) -> Vec<(String, u64)> {
    let Ok(smaps) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else {
        return Vec::new();
    };
    let mut by: std::collections::HashMap<String, u64> = Default::default();
    let mut current = String::new();
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            // `start-end perms offset dev inode [name]`
            current = fields.nth(4).unwrap_or("[anon]").to_string();
        } else if first == "Pss:" {
            let kib = fields
                .next()
                .and_then(|k| k.parse::<u64>().ok())
                .unwrap_or(0);
            *by.entry(current.clone()).or_default() += kib;
        }
    }
    let mut by: Vec<(String, u64)> = by.into_iter().collect();
    by.sort_by_key(|(_, kib)| std::cmp::Reverse(*kib));
    by
}
