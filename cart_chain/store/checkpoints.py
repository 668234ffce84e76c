"""`verify`'s check of the checkpoints the ledger records.

Each ``checkpoint`` entry signs the tree of every entry before it. Re-checking its
signature against the ledger's ``site_key`` entry, and its root against the tree
recomputed up to it, makes a rewrite of history that leaves recorded checkpoints in
place fail even with nothing kept outside: the rewriter cannot sign for the site.
"""

from __future__ import annotations

import base64

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.merkle import TreeHead
from cart_chain.domain.signed_note import (
    CHECKPOINT_KIND,
    SITE_KEY_KIND,
    SITE_KEY_ROTATED_KIND,
    note_text,
    open_note,
    rotation_signed,
    verifier_key,
)
from cart_chain.store.ledger import Entry


class CheckpointCheck:
    """The site key seen so far, and the check of each checkpoint entry."""

    def __init__(self) -> None:
        self.site: tuple[str, bytes] | None = None

    def check(self, entry: Entry, root_before: bytes | None) -> str | None:
        """Why ``entry`` is a bad site key or checkpoint, or None. ``root_before`` is the
        root of the tree of the entries before it (needed for checkpoints only)."""
        p = entry.payload
        try:
            if entry.kind == SITE_KEY_KIND and self.site is None:
                public = bytes.fromhex(p["public_key"])
                if p.get("vkey") != verifier_key(p["origin"], public):
                    return "site_key entry's verifier key does not match its public key"
                self.site = (p["origin"], public)
            elif entry.kind == SITE_KEY_ROTATED_KIND:
                return self._rotated(entry)
            elif entry.kind == CHECKPOINT_KIND:
                return self._checkpoint(entry, root_before)
        except (KeyError, TypeError, ValueError) as exc:
            return f"{entry.kind} entry is malformed ({exc!r})"
        return None

    def _rotated(self, entry: Entry) -> str | None:
        """A new site key is taken only when the key it replaces signed the hand-over:
        someone with the database but not the old key cannot slip in a key of theirs."""
        if self.site is None:
            return "site key rotated before the ledger has a site key"
        p = entry.payload
        origin, old = self.site
        new = bytes.fromhex(p["public_key"])
        if p["origin"] != origin or p.get("vkey") != verifier_key(origin, new):
            return "site_key_rotated entry's origin or verifier key does not match its key"
        if p.get("previous_vkey") != verifier_key(origin, old):
            return "site_key_rotated entry does not name the key it replaces"
        if not rotation_signed(origin, old, new, p["old_key_signature"]):
            return "site_key_rotated entry is not signed by the key it replaces"
        self.site = (origin, new)
        return None

    def _checkpoint(self, entry: Entry, root_before: bytes | None) -> str | None:
        if self.site is None:
            return "checkpoint recorded before the ledger has a site key"
        p = entry.payload
        origin, public = self.site
        head = TreeHead(int(p["size"]), base64.b64decode(p["root"], validate=True))
        if head.size != entry.seq - 1 or p["origin"] != origin:
            return f"checkpoint names tree {p['origin']}/{head.size}, not the one before it"
        try:
            open_note(note_text(origin, head, p["signature"]), origin, public)
        except InvalidValue as err:
            return f"recorded {err}"
        if head.root != root_before:
            return "recorded checkpoint's root is not the tree before it: history was rewritten"
        return None
