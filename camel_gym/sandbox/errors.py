"""The two errors of the sandbox: a prior refused at load, and a call over its budget."""

from __future__ import annotations

from camel_gym.sandbox.rules import ALLOWED_IMPORTS

__all__ = ["BudgetExceeded", "PolicyRejected"]


class PolicyRejected(ValueError):
    """A prior policy was refused: it is unsafe, broken, or does not satisfy the contract.

    Attributes:
        reason: what is wrong, in words.
        lineno: the offending line of the policy source, when known.
        filename: the policy file (or ``"<string>"``).
    """

    def __init__(self, reason: str, *, lineno: int | None = None, filename: str = "<string>"):
        self.reason = reason
        self.lineno = lineno
        self.filename = filename
        where = f"{filename}, line {lineno}" if lineno else filename
        super().__init__(
            f"prior policy rejected ({where}): {reason}. A prior must be a module defining "
            f"policy(obs) -> action that imports only {', '.join(ALLOWED_IMPORTS)}."
        )


class BudgetExceeded(RuntimeError):
    """A prior call ran past its budget of loop iterations/function calls or wall-clock time."""
