//! A process's memory, from /proc.

use anyhow::Context;

/// A process's memory, in KiB: resident (`VmRSS`), its anonymous part (`RssAnon`: the heap,
/// not the mapped binary), and its proportional share (`Pss`, from `smaps_rollup`).
pub struct Memory {
    pub vm_rss: u64,
    pub rss_anon: u64,
    pub pss: u64,
}

impl Memory {
    pub fn of(pid: u32) -> anyhow::Result<Self> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).context("the server's /proc status")?;
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).context("smaps_rollup")?;
        let field = |text: &str, name: &str| -> anyhow::Result<u64> {
            let line = text.lines().find(|l| l.starts_with(name)).with_context(|| format!("no {name}"))?;
            Ok(line[name.len()..].trim().trim_end_matches("kB").trim().parse()?)
        };
        Ok(Memory {
            vm_rss: field(&status, "VmRSS:")?,
            rss_anon: field(&status, "RssAnon:")?,
            pss: field(&rollup, "Pss:")?,
        })
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mib = |kib: u64| kib as f64 / 1024.0;
        write!(
            f,
            "VmRSS {:.1} MiB, RssAnon {:.1} MiB, Pss {:.1} MiB",
            mib(self.vm_rss),
            mib(self.rss_anon),
            mib(self.pss)
        )
    }
}
