"""Refuse a SQLite database on a network share: its file locking is unsafe there.

SQLite's own documentation warns that NFS and SMB locks are unreliable; two
workstations writing the same file can corrupt it. Shared use is what the
PostgreSQL backend is for.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NETWORK_FS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "fuse.sshfs",
        "fuse.glusterfs",
        "fuse.rclone",
        "fuse.s3fs",
        "davfs",
        "fuse.davfs",
        "lustre",
        "gpfs",
        "ocfs2",
        "beegfs",
    }
)


def _mount_table(text: str) -> list[tuple[str, str]]:
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            mount_point = parts[1].replace("\\040", " ")
            mounts.append((mount_point, parts[2]))
    return mounts


def filesystem_type(path: Path, mounts_text: str | None = None) -> str | None:
    """Type of the file system holding ``path`` on Linux (from /proc/mounts)."""
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/mounts").read_text()
        except OSError:
            return None
    target = str(path.resolve())
    best, best_type = "", None
    for mount_point, fstype in _mount_table(mounts_text):
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, fstype
    return best_type


def is_network_path(path: Path, mounts_text: str | None = None) -> bool:
    raw = str(path)
    if raw.startswith(("\\\\", "//")):  # UNC path
        return True
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        drive = os.path.splitdrive(str(path.resolve()))[0] + "\\"
        return ctypes.windll.kernel32.GetDriveTypeW(drive) == 4  # DRIVE_REMOTE
    fstype = filesystem_type(path, mounts_text)
    return fstype is not None and fstype.lower() in NETWORK_FS
