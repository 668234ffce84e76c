"""Typed errors raised by the core and turned into messages at the edge.

Two families are kept apart on purpose (as qutebrowser does): a `RuleViolation`
is the user's input breaking a rule of the chain (wrong step, wrong password,
wrong patient), an `EnvironmentProblem` is the machine (disk full, database
locked or corrupt). Anything else escaping the core is a bug in cart-chain.
"""

from __future__ import annotations


class CartChainError(Exception):
    """Base of every error the core raises deliberately."""

    #: CLI exit status for this error family.
    exit_code = 1


class RuleViolation(CartChainError):
    """Input was understood but a rule of the chain refuses it."""


class IdentifierError(RuleViolation):
    """A typed or scanned identifier is malformed or fails its check character."""


class StepOrderError(RuleViolation):
    """A custody step was recorded out of order."""


class SignatureError(RuleViolation):
    """The signatures offered for a record do not satisfy the signing rules."""


class AuthenticationError(RuleViolation):
    """Wrong user name or password."""


class AccountLocked(AuthenticationError):
    """The account is locked after repeated failures; an administrator must unlock it."""


class PermissionDenied(RuleViolation):
    """The user's role does not allow this action."""


class NotFound(RuleViolation):
    """A case, unit, user or ledger entry that was named does not exist."""


class AlreadyExists(RuleViolation):
    """Something that must be unique already exists."""


class InvalidValue(RuleViolation):
    """A field value is out of range or malformed (a date, a temperature, a password)."""


class MissingStartTime(InvalidValue):
    """A thaw or infusion without the start time its product's time limits count from.

    Without it the limit cannot be checked: the core refuses the step rather than
    leave the gap to be found at the bedside.
    """


class MissingCondition(InvalidValue):
    """A receipt, thaw or infusion without the bag's condition (`steps.CONDITION_STEPS`).

    The one handling the bag must say what they saw of it: a damaged bag recorded
    as handed on without a word is how it reaches the patient.
    """


class GateClosed(RuleViolation):
    """Infusion is refused: the patient or the product is not ready."""


class DeviationOpen(RuleViolation):
    """The unit has a deviation QA has not accepted; it may not go on."""


class VerificationFailed(CartChainError):
    """The ledger or its projections do not match: records were altered."""


class MalformedEntry(CartChainError):
    """A ledger entry of a kind nobody declared, or a payload its kind does not declare.

    Never the user's input: a service built a wrong payload (a bug). `ledger.append`
    refuses it before anything is written (see `cart_chain.store.kinds`).
    """


class EnvironmentProblem(CartChainError):
    """The machine, not the user or the code, stopped the operation."""


class DatabaseLocked(EnvironmentProblem):
    """Another process held the database for longer than the busy timeout."""


class StorageFull(EnvironmentProblem):
    """The disk holding the database or an output file is full."""


class DatabaseUnavailable(EnvironmentProblem):
    """The database cannot be opened, is corrupt, or sits where it must not."""


class SchemaMismatch(DatabaseUnavailable):
    """The schema version row is not one this code can trust as it stands.

    It does not match the tables (changed by hand, or a broken upgrade), or names
    a revision this code does not know. Nothing is upgraded; `verify` reports it.
    """


class SchemaTooNew(SchemaMismatch):
    """The database was written by a newer cart-chain than this one."""


class ClockBehind(EnvironmentProblem):
    """The clock stamping a new entry is well behind the ledger head: time would go back."""


class UsageError(CartChainError):
    """The command was called wrongly (a missing option, a conflicting pair)."""

    exit_code = 2


# -- scan refusals (labels issue) ----------------------------------------------------
# One class per refusal so the CLI and the GUI can tell them apart without parsing
# messages; each keeps the family it belongs to (an identifier problem, a missing
# record, a rule of the chain).


class MalformedScan(IdentifierError):
    """The scanned or typed text is not a label payload, a COI or a unit id."""


class CheckFailed(IdentifierError):
    """The text has the right shape but its check character does not match: a misread."""


class UnknownUnit(NotFound):
    """A well-formed unit id (or COI) that this database does not know."""


class UnknownLabel(NotFound):
    """A well-formed label payload whose print serial this database never issued."""


class WrongPatient(RuleViolation):
    """The scanned unit belongs to another case than the one expected: stop."""


class StepNotAllowed(StepOrderError):
    """The step about to be recorded is not allowed next for the scanned unit."""


class VoidedLabel(RuleViolation):
    """The scanned label was voided by a reprint or as destroyed; use the live label."""


class WitnessRefused(VerificationFailed):
    """A witness refused a checkpoint: smaller than one it holds (a rollback), or not
    consistent with it (a rewritten history). Never retried: it is evidence."""
