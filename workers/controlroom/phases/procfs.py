"""Sampling a process group through /proc: who is alive, CPU used, memory held.

Linux only (executors run in Linux containers). Without /proc the samples are empty and only the
kernel rlimits and the wall clock enforce caps; docs/caps.md says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class ProcStat:
    pid: int
    state: str
    pgrp: int
    start_ticks: int  # with pid, identifies the process across pid reuse
    cpu_seconds: float  # this process's own user+system, all threads; children excluded
    rss_bytes: int
    vsize_bytes: int

    @property
    def alive(self) -> bool:
        return self.state not in ("Z", "X", "x")


def read_stat(pid: int) -> ProcStat | None:
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:  # gone between listing and reading
        return None
    # comm (field 2) is in parentheses and may itself contain spaces and parentheses.
    rest = raw[raw.rindex(")") + 2 :].split()
    return ProcStat(
        pid=pid,
        state=rest[0],
        pgrp=int(rest[2]),
        start_ticks=int(rest[19]),
        cpu_seconds=(int(rest[11]) + int(rest[12])) / _TICKS,
        rss_bytes=int(rest[21]) * _PAGE,
        vsize_bytes=int(rest[20]),
    )


def group_members(pgid: int) -> list[ProcStat]:
    """Live (non-zombie) processes whose process group is pgid."""
    members = []
    try:
        entries = list(os.scandir(_PROC))
    except OSError:
        return []
    for entry in entries:
        if entry.name.isdigit():
            stat = read_stat(int(entry.name))
            if stat is not None and stat.pgrp == pgid and stat.alive:
                members.append(stat)
    return members


@dataclass
class GroupUsage:
    """Running totals for one phase's process group.

    CPU is the sum over every process ever seen of its last observed own time, so a member that
    exits between two samples keeps what it used up to the last one. Processes that live less
    than one poll interval are invisible here; the leader's wait4 rusage (which includes the
    descendants it reaped) covers most of those, and the runner takes the larger of the two.
    """

    pgid: int
    cpu_by_process: dict[tuple[int, int], float] = field(default_factory=dict)
    peak_rss_bytes: int = 0
    peak_vsize_bytes: int = 0
    live: int = 0

    def sample(self) -> int:
        """Take one sample; returns the group's resident memory right now."""
        members = group_members(self.pgid)
        self.live = len(members)
        for m in members:
            key = (m.pid, m.start_ticks)
            self.cpu_by_process[key] = max(self.cpu_by_process.get(key, 0.0), m.cpu_seconds)
            self.peak_vsize_bytes = max(self.peak_vsize_bytes, m.vsize_bytes)
        rss = sum(m.rss_bytes for m in members)
        self.peak_rss_bytes = max(self.peak_rss_bytes, rss)
        return rss

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu_by_process.values())
