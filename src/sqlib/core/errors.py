"""Exceptions and warnings raised by sqlib.

Every error says what is wrong, where (column, row, item, parameter) and what to do.
"""

from __future__ import annotations


class SqlibError(Exception):
    """Base class for every error sqlib raises on purpose."""


class SurveyDataError(SqlibError, ValueError):
    """The survey data do not match the codebook (columns, values, ids...).

    ``problems`` holds one human-readable line per problem found, so a caller can
    show all of them at once instead of fixing one error per run.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        self.problems = list(problems or [])
        super().__init__(message)


class CodebookError(SqlibError, ValueError):
    """The codebook (YAML) is malformed or inconsistent."""


class ModelSpecificationError(SqlibError, ValueError):
    """The lavaan model syntax cannot be parsed or names unknown variables."""


class IdentificationError(SqlibError, ValueError):
    """The model is not identified (too many free parameters, or no scale for a factor)."""


class EstimationError(SqlibError, RuntimeError):
    """Estimation failed in a way that leaves no usable result."""


class ConvergenceWarning(UserWarning):
    """The optimizer stopped before reaching a solution; results are not trustworthy."""


class ReportError(SqlibError, RuntimeError):
    """A report run failed (a notebook raised); the run folder keeps partial output."""
