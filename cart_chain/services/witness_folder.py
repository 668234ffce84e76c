"""A folder witness: checkpoints appended to a folder the ledger's writer cannot rewrite.

The folder is on another machine or removable media. Each checkpoint is a file
of its own, ``ORIGIN/SIZE.checkpoint`` (SIZE zero-padded so names sort), created
with O_EXCL and never overwritten, and one line is appended to
``ORIGIN/checkpoints.log`` (opened in append mode). A checkpoint smaller than the
latest one there is refused: that is a rolled-back ledger (an old backup
restored), and writing it would let the evidence follow the rollback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cart_chain.domain.errors import EnvironmentProblem, WitnessRefused

_SUFFIX = ".checkpoint"
_LOG = "checkpoints.log"


@dataclass(frozen=True, slots=True)
class Held:
    """The latest checkpoint a witness holds for a log: its size and signed note."""

    size: int
    note: str


def _dir(folder: Path, origin: str) -> Path:
    return folder / origin.replace(os.sep, "_")


def latest(folder: Path, origin: str) -> Held | None:
    """The largest checkpoint the folder holds for ``origin``; `EnvironmentProblem` when
    the folder cannot be read (unplugged media, a machine that is down)."""
    if not folder.is_dir():
        raise EnvironmentProblem(f"the witness folder {folder} is not reachable")
    where = _dir(folder, origin)
    try:
        sizes = [
            int(p.name[: -len(_SUFFIX)])
            for p in where.iterdir()
            if p.name.endswith(_SUFFIX) and p.name[: -len(_SUFFIX)].isdigit()
        ]
    except FileNotFoundError:
        return None
    except OSError as err:
        raise EnvironmentProblem(
            f"cannot read the witness folder {where} ({err.strerror})"
        ) from err
    if not sizes:
        return None
    size = max(sizes)
    try:
        note = (where / f"{size:020d}{_SUFFIX}").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise EnvironmentProblem(f"cannot read the witness folder {where} ({err})") from err
    return Held(size, note)


def append(folder: Path, origin: str, size: int, note: str) -> bool:
    """Add the checkpoint of ``size`` entries; False when it was already there.

    `WitnessRefused` for a size below the latest held or another note of the same
    size; `EnvironmentProblem` when the folder cannot be written.
    """
    held = latest(folder, origin)
    if held is not None and size < held.size:
        raise WitnessRefused(
            f"the witness folder {folder} holds a checkpoint of {held.size} entries; one of "
            f"{size} is a rollback of the ledger and is not written"
        )
    if held is not None and size == held.size:
        if held.note == note:
            return False
        raise WitnessRefused(
            f"the witness folder {folder} holds another checkpoint of {size} entries: "
            "the ledger's history differs from the one it witnessed"
        )
    where = _dir(folder, origin)
    target = where / f"{size:020d}{_SUFFIX}"
    try:
        where.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        with os.fdopen(fd, "wb") as f:
            f.write(note.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        with (where / _LOG).open("a", encoding="utf-8") as log:
            log.write(f"{size} {note.splitlines()[2]} {target.name}\n")
            log.flush()
            os.fsync(log.fileno())
    except FileExistsError:
        # Another workstation of the site delivered it a moment ago: the same note is
        # no conflict; another one is.
        if target.read_text(encoding="utf-8") == note:
            return False
        raise WitnessRefused(f"{target} already exists and is never overwritten") from None
    except OSError as err:
        raise EnvironmentProblem(
            f"cannot write to the witness folder {folder} ({err.strerror})"
        ) from err
    return True
