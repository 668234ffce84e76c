"""Files the app writes for people (reports, audit exports, labels): private, whole, never
silently over another.

A report names patients, so it is created readable by its owner only (0600);
it is written to a temporary file in the target's folder, flushed to disk and
only then given its name, so a reader never sees half a file; and an existing
file of that name is replaced only when the user said so (``--overwrite``, or a
save dialog that asked), since an export is itself a record somebody may rely on.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from cart_chain.domain.errors import AlreadyExists, InvalidValue, StorageFull

PRIVATE = 0o600
_FULL = (errno.ENOSPC, errno.EDQUOT)


def target(out: Path, *, overwrite: bool = False) -> Path:
    """The absolute path ``out`` will be written to; refused before any work is done
    when its folder is missing, or when it exists and ``overwrite`` was not given."""
    final = out.expanduser().resolve()
    if not final.parent.is_dir():
        raise InvalidValue(f"folder {final.parent} does not exist")
    if final.is_dir():
        raise InvalidValue(f"{final} is a folder; give a file name inside it")
    if final.exists() and not overwrite:
        raise AlreadyExists(
            f"{final} already exists; choose another file name (or replace it: --overwrite)"
        )
    return final


def stage(out: Path) -> Path:
    """A new, empty temporary file beside ``out``, readable by the user only."""
    final = out.expanduser().resolve()
    tmp = final.parent / f".{final.name}.{secrets.token_hex(4)}.part"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except OSError as err:
        raise storage_error(err, final) from err
    os.close(fd)
    return tmp


def publish(tmp: Path, out: Path, *, overwrite: bool = False) -> Path:
    """Flush ``tmp`` to disk and give it the name ``out``; ``tmp`` is gone afterwards.

    Without ``overwrite`` the name is taken with a hard link, which fails if a
    file of that name appeared meanwhile (no check-then-write race); file
    systems without hard links fall back to a check and a rename.
    """
    final = out.expanduser().resolve()
    try:
        os.chmod(tmp, PRIVATE)  # whatever the renderer did to the file
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, final)
        else:
            _link_new(tmp, final)
        _fsync_folder(final.parent)
    except FileExistsError:
        raise AlreadyExists(
            f"{final} already exists; choose another file name (or replace it: --overwrite)"
        ) from None
    except OSError as err:
        raise storage_error(err, final) from err
    return final


def write_export(
    out: Path, content: bytes | Callable[[Path], None], *, overwrite: bool = False
) -> Path:
    """Write ``content`` (bytes, or a function writing the file it is given) to ``out``."""
    final = target(out, overwrite=overwrite)
    tmp = stage(final)
    try:
        if isinstance(content, bytes):
            try:
                tmp.write_bytes(content)
            except OSError as err:
                raise storage_error(err, final) from err
        else:
            content(tmp)
        return publish(tmp, final, overwrite=overwrite)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def storage_error(err: OSError, out: Path) -> Exception:
    """A full disk as `StorageFull` naming the file; other OS errors pass unchanged."""
    if err.errno in _FULL:
        return StorageFull(f"the disk holding {out} is full; {out.name} was not written")
    return err


def _link_new(tmp: Path, final: Path) -> None:
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise
    except OSError as err:
        if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if final.exists():  # no hard links here (FAT, some shares): check, then rename
            raise FileExistsError(str(final)) from None
        os.replace(tmp, final)
        return
    tmp.unlink()


def _fsync_folder(folder: Path) -> None:
    """Make the new name itself durable (POSIX); Windows cannot open folders, skip."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
