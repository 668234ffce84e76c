"""Did every signer hold the authority to sign, at the moment they signed?

`verify` feeds each ledger entry, in order, to `SignerCheck`. It folds users'
roles and active flags from the ledger's own ``user_created`` / ``user_changed``
payloads (never from the ``users`` table: that table is what an attacker edits,
and an edit put back after signing leaves no trace there), and checks every
signature against the authority table in `cart_chain.domain.authority`. The cost
is a dictionary look-up per signature; nothing is queried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cart_chain.domain.authority import (
    ADMIN_KINDS,
    AUTHORITY,
    RECOVERY_KIND,
    SELF_CHANGES,
    SIGNED_KINDS,
    USER_KINDS,
    Slot,
    correction_signers,
    signature_problem,
    variant_of,
)
from cart_chain.domain.roles import Role
from cart_chain.store.ledger import Entry


@dataclass(slots=True)
class _Signer:
    full_name: str
    role: Role
    active: bool = True


class SignerCheck:
    """The users and correctable entries seen so far, and the check of the next entry."""

    def __init__(self, earlier: Callable[[int], Entry | None] | None = None) -> None:
        self.users: dict[str, _Signer] = {}
        self.targets: dict[int, tuple[str, str | None]] = {}  # correctable entries by seq
        #: A resumed check (`verify` from a checkpoint) folds only users; an entry from
        #: before the checkpoint that a later correction names is read when named.
        self.earlier = earlier

    def check(self, entry: Entry) -> tuple[str, str] | None:
        """(table, message) of what is wrong with ``entry``, or None; then fold it in."""
        try:
            wrong = self._actor(entry)
            if wrong is None and (entry.kind in SIGNED_KINDS or "signatures" in entry.payload):
                wrong = self._signatures(entry)
            if wrong is None:
                self._fold(entry)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            return "ledger_entries", f"{entry.kind} entry is malformed ({exc!r})"
        return wrong

    # -- actors of administration entries ------------------------------------------------

    def _actor(self, e: Entry) -> tuple[str, str] | None:
        if e.actor is None:
            if e.kind == "user_created" and not self.users:
                return None  # the first administrator, created by `init`
            return "ledger_entries", f"{e.kind} entry has no actor"
        actor = self.users.get(e.actor)
        if actor is None:
            return "ledger_entries", f"actor {e.actor!r} was not a user at that time"
        if e.kind == RECOVERY_KIND:
            return self._recovered(e)
        if e.kind in USER_KINDS and not actor.active:
            return "ledger_entries", f"{e.kind} written by {e.actor}, whose account was deactivated"
        if e.kind not in ADMIN_KINDS:
            return None
        p = e.payload
        own = e.kind == "user_changed" and p.get("change") in SELF_CHANGES
        if own and e.actor == p.get("username"):
            return None
        if actor.role is not Role.ADMINISTRATOR or not actor.active:
            state = actor.role.value if actor.active else f"deactivated {actor.role.value}"
            return (
                "ledger_entries",
                f"{e.kind} written by {e.actor} ({state}); only an active administrator "
                "manages users and settings",
            )
        if e.kind == "user_changed" and p.get("username") not in self.users:
            return "ledger_entries", f"user_changed names unknown user {p.get('username')!r}"
        return None

    def _recovered(self, e: Entry) -> tuple[str, str] | None:
        """A break-glass recovery names an administrator active at that time (its two
        signatures are checked against the authority table like any other)."""
        target = self.users.get(e.payload.get("username"))  # type: ignore[arg-type]
        if target is None or target.role is not Role.ADMINISTRATOR or not target.active:
            return (
                "ledger_entries",
                f"{e.kind} entry recovers {e.payload.get('username')!r}, who was not an "
                "active administrator at that time",
            )
        return None

    # -- signatures --------------------------------------------------------------------

    def _slots(self, e: Entry) -> tuple[Slot, ...] | str:
        if e.kind == "correction":
            target = self._target(e.payload.get("target_seq"))
            if target is None:
                return f"corrects entry {e.payload.get('target_seq')}, which cannot be corrected"
            rule = AUTHORITY[target]
            fields = [c.get("field") for c in e.payload.get("changes", ())]
            bad = [f for f in fields if f not in rule.corrections]
            if bad:
                return f"corrects {', '.join(map(str, bad))} of a {target[0]} entry"
            return correction_signers(rule, fields)  # type: ignore[arg-type]
        rule = AUTHORITY.get((e.kind, variant_of(e.kind, e.payload)))
        if rule is None:
            return f"no signing rule for a {e.kind} entry of {variant_of(e.kind, e.payload)}"
        return rule.signers

    def _signatures(self, e: Entry) -> tuple[str, str] | None:
        slots = self._slots(e)
        if isinstance(slots, str):
            return "signatures", slots
        signed: list[tuple[str, str, Role]] = []
        for sig in e.payload.get("signatures") or ():
            username = sig.get("username")
            user = self.users.get(username)  # type: ignore[arg-type]
            if user is None:
                return "signatures", f"signed by {username!r}, who was not a user at that time"
            if not user.active:
                return "signatures", f"signed by {username}, whose account was deactivated"
            if sig.get("printed_name") != user.full_name:
                return "signatures", f"printed name {sig.get('printed_name')!r} is not {username}'s"
            signed.append((username, str(sig.get("meaning")), user.role))  # type: ignore[arg-type]
        why = signature_problem(slots, signed)
        return None if why is None else ("signatures", why)

    def _target(self, seq: Any) -> tuple[str, str | None] | None:
        found = self.targets.get(seq)
        if found is None and self.earlier is not None and isinstance(seq, int):
            entry = self.earlier(seq)
            if entry is not None:
                self._fold_target(entry)
                found = self.targets.get(seq)
        return found

    # -- folding -----------------------------------------------------------------------

    def _fold(self, e: Entry) -> None:
        p: dict[str, Any] = e.payload
        if e.kind == "user_created":
            self.users[p["username"]] = _Signer(p["full_name"], Role(p["role"]))
        elif e.kind == "user_changed":
            user = self.users.get(p["username"])
            if user is None:
                return
            if p["change"] == "role":
                user.role = Role(p["value"])
            elif p["change"] == "active":
                user.active = p["value"] == "1"
        else:
            self._fold_target(e)

    def _fold_target(self, e: Entry) -> None:
        key = (e.kind, variant_of(e.kind, e.payload))
        if e.kind != "correction" and key in AUTHORITY and AUTHORITY[key].corrections:
            self.targets[e.seq] = key
