"""Who is logged in at this workstation, and the signing state of the session.

Part 11 asks that the first signature of a session uses both components (user
name and password) and later ones at least the password; an inactivity lock
ends the session, so after unlocking the next signature again asks for both.
The password itself is never kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from cart_chain.domain.roles import role_name

if TYPE_CHECKING:
    from cart_chain.services.accounts import UserInfo
    from cart_chain.services.workstation import OpenedDatabase


@dataclass
class SessionState:
    """Plain state, kept apart from Qt so it is obvious what a session holds."""

    user: UserInfo
    first_signature_pending: bool = True
    printed_labels: set[tuple[str, str]] = field(default_factory=set)


class Session(QObject):
    """The open database plus the logged-in user; emits when records change."""

    #: Something was written (a step, a correction, a user change): views reload.
    changed = Signal()
    #: The user may no longer work (deactivated, role changed elsewhere): log out, saying why.
    ended = Signal(str)

    def __init__(self, opened: OpenedDatabase, user: UserInfo) -> None:
        super().__init__()
        self.opened = opened
        self.state = SessionState(user)

    @property
    def db(self) -> Any:
        """The `Database` handle, passed through to service calls only."""
        return self.opened.db

    @property
    def user(self) -> UserInfo:
        return self.state.user

    @property
    def is_admin(self) -> bool:
        return self.user.role == "administrator"

    @property
    def first_signature_pending(self) -> bool:
        return self.state.first_signature_pending

    def signed(self) -> None:
        """A signature by the logged-in user succeeded: later ones need only the password."""
        self.state.first_signature_pending = False

    def unlocked(self) -> None:
        """After a lock the session restarts: the next signature asks for both components."""
        self.state.first_signature_pending = True

    def still_allowed(self) -> bool:
        """Re-read the user before an action: deactivated or given another role on any
        workstation, the session ends (`ended`) instead of acting with stale rights."""
        from cart_chain.services.accounts import current_user

        try:
            now = current_user(self.db, self.user.username)
        except Exception:  # the database itself: the action will report it
            return True
        if now is None or not now.active:
            reason = "Your account has been deactivated; you were logged out."
        elif now.role != self.user.role:
            reason = (
                f"Your role was changed to {role_name(now.role)}; you were logged "
                "out. Log in again to continue."
            )
        else:
            return True
        self.ended.emit(reason)
        return False

    def describe_user(self) -> str:
        return f"{self.user.full_name} ({self.user.username}, {role_name(self.user.role)})"
