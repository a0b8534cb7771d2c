"""How much memory the machine has free, and sizes said in words.

Used to refuse, with an estimate, a network or a batch that could not fit:
without it a width of 10^8 was found out by the kernel's out-of-memory killer
(exit 137, no message) rather than by mlpkit.
"""

from __future__ import annotations

import os


class NotEnoughMemoryError(MemoryError, ValueError):
    """What was asked for would not fit in the free memory (said before allocating).

    A ``ValueError`` too: the cause is a setting the user chose, so the command
    line exits 2 with the message, as for any bad input.
    """


def available_bytes() -> int | None:
    """The memory free for a new allocation (Linux's MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:  # other Unixes: physical memory, an upper bound
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def in_words(n_bytes: float) -> str:
    """``1.5 GiB``, ``12 MiB``: a size as a reader takes it in."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n_bytes < 1024 or unit == "TiB":
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    raise AssertionError("unreachable")
