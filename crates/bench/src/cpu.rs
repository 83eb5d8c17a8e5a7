//! Where the CPU went during a measurement, read from /proc (Linux): each named process
//! group's user+system time and the whole machine's busy time, in cores (1.0 = one core
//! busy for the whole window). Whatever the machine did outside the named groups (another
//! build, the kernel's own work) is the remainder.

use std::time::Instant;

/// `name=pid` (the process and its direct children) or `name=pid/text` (the process, and
/// those of its children whose command line contains `text` or names no client, which for
/// PostgreSQL means this database's backends and the server's own background processes).
#[derive(Clone)]
pub struct Group {
    name: String,
    pid: u32,
    filter: Option<String>,
}

impl std::str::FromStr for Group {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (name, rest) = s.split_once('=').ok_or("expected name=pid[/filter]")?;
        let (pid, filter) = match rest.split_once('/') {
            Some((pid, filter)) => (pid, Some(filter.to_owned())),
            None => (rest, None),
        };
        Ok(Group { name: name.to_owned(), pid: pid.parse().map_err(|_| format!("not a pid: {pid}"))?, filter })
    }
}

pub struct Snapshot {
    at: Instant,
    groups: Vec<u64>,
    own: u64,
    machine_busy: u64,
    machine_total: u64,
}

/// Clock ticks per second of /proc's times: 100 on every mainstream Linux configuration.
const TICKS: f64 = 100.0;

pub fn snapshot(groups: &[Group]) -> Snapshot {
    let (machine_busy, machine_total) = machine();
    Snapshot {
        at: Instant::now(),
        groups: groups.iter().map(group_ticks).collect(),
        own: ticks(std::process::id()).unwrap_or(0),
        machine_busy,
        machine_total,
    }
}

/// `cpu_<name>=<cores> … cpu_loadgen=… cpu_machine=… cpu_other=…`, and a readable report.
pub fn report(groups: &[Group], before: &Snapshot, after: &Snapshot) -> (String, String) {
    let secs = after.at.duration_since(before.at).as_secs_f64();
    let cores = |ticks: u64| ticks as f64 / TICKS / secs;
    let mut fields = Vec::new();
    let mut named = 0;
    for (i, group) in groups.iter().enumerate() {
        let used = after.groups[i].saturating_sub(before.groups[i]);
        named += used;
        fields.push((group.name.clone(), cores(used)));
    }
    let own = after.own.saturating_sub(before.own);
    named += own;
    fields.push(("loadgen".into(), cores(own)));
    let busy = after.machine_busy.saturating_sub(before.machine_busy);
    let total = after.machine_total.saturating_sub(before.machine_total);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    // The machine's busy time, from its own share of all ticks (every CPU counts in /proc/stat).
    let machine = if total == 0 { 0.0 } else { busy as f64 / total as f64 * cpus };
    fields.push(("machine".into(), machine));
    fields.push(("other".into(), (machine - cores(named)).max(0.0)));
    let line = fields.iter().map(|(name, c)| format!("cpu_{name}={c:.2}")).collect::<Vec<_>>().join(" ");
    let text = fields.iter().map(|(name, c)| format!("{name} {c:.2}")).collect::<Vec<_>>().join(", ");
    (line, format!("CPU (cores of {cpus}) over {secs:.1} s: {text}"))
}

fn group_ticks(group: &Group) -> u64 {
    let mut sum = ticks(group.pid).unwrap_or(0);
    for child in children(group.pid) {
        let keep = match &group.filter {
            None => true,
            Some(text) => {
                let cmdline = std::fs::read_to_string(format!("/proc/{child}/cmdline")).unwrap_or_default();
                cmdline.contains(text.as_str()) || !cmdline.contains('(')
            }
        };
        if keep {
            sum += ticks(child).unwrap_or(0);
        }
    }
    sum
}

/// utime + stime of a process (all its threads), in clock ticks.
fn ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields are counted after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 14 and 15 of proc(5); the first after ')' is field 3.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&child| parent(child) == Some(pid))
        .collect()
}

fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// (busy, total) ticks of all CPUs since boot, from the first line of /proc/stat.
fn machine() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let values: Vec<u64> =
        stat.lines().next().unwrap_or("").split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    (total - idle, total)
}
