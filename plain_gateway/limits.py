"""Plain's published limits, in one place: the client, the portal's forms and the emulator read
them from here, so a limit Plain changes is changed once.

Sources are Plain's API documentation ("Attachments", "Pagination", "Threads"); where Plain does
not publish a number (the timeline page the portal asks for) the value is the gateway's choice
and says so.
"""

from __future__ import annotations

__all__ = [
    "ATTACHMENT_BANNED_EXTENSIONS",
    "ATTACHMENT_MAX_BYTES",
    "ATTACHMENT_MAX_COUNT",
    "ATTACHMENT_MAX_TOTAL_BYTES",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_PRIORITY",
    "MAX_PAGE_SIZE",
    "PRIORITIES",
    "PRIORITY_MAX",
    "PRIORITY_MIN",
    "TIMELINE_PAGE_SIZE",
]

# Attachments: per message at most 25 files and 6 MB in all (so also 6 MB for one file), and
# never a file of one of these types (compared on the last extension, case-insensitively).
ATTACHMENT_MAX_COUNT = 25
ATTACHMENT_MAX_TOTAL_BYTES = 6 * 1024 * 1024
ATTACHMENT_MAX_BYTES = ATTACHMENT_MAX_TOTAL_BYTES
ATTACHMENT_BANNED_EXTENSIONS: frozenset[str] = frozenset(
    [
        "bat",
        "bin",
        "chm",
        "com",
        "cpl",
        "crt",
        "exe",
        "hlp",
        "hta",
        "inf",
        "ins",
        "isp",
        "jse",
        "lnk",
        "mdb",
        "msc",
        "msi",
        "msp",
        "mst",
        "pcd",
        "pif",
        "reg",
        "scr",
        "sct",
        "shs",
        "vba",
        "vbe",
        "vbs",
        "wsf",
        "wsh",
        "wsl",
    ]
)

# Connections: `first`/`last` between 0 and 100; 25 when neither is given.
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 25
# The gateway's choice: the newest timeline entries fetched with a thread.
TIMELINE_PAGE_SIZE = 50

# Thread priority: 0 urgent, 1 high, 2 normal (Plain's default), 3 low.
PRIORITY_MIN = 0
PRIORITY_MAX = 3
PRIORITIES = range(PRIORITY_MIN, PRIORITY_MAX + 1)
DEFAULT_PRIORITY = 2
