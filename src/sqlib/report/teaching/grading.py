"""Comparison rules shared by the exercise checkers.

A checker passes its answers through :func:`require_answers` first, then compares each
with :func:`expect_close`, :func:`expect_equal` or :func:`expect_values`. A failed
comparison raises :class:`WrongAnswer` naming the variable, whether it is too high or too
low, and a hint about the likely mistake, without giving the right value away (a student
could otherwise copy it into the answer cell); a checker that passes returns a
:class:`Feedback` whose text says what was confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sqlib.core.errors import SqlibError


class NotAnsweredYet(SqlibError, AssertionError):
    """An answer variable is still the ``...`` placeholder of the handout."""


class WrongAnswer(SqlibError, AssertionError):
    """An answer differs from the checker's own computation by more than its tolerance."""


@dataclass(frozen=True)
class Feedback:
    """What a passed check confirmed; shows as its text in a notebook."""

    exercise: str
    text: str

    def __repr__(self) -> str:
        return f"{self.exercise}: correct. {self.text}"

    def _repr_markdown_(self) -> str:
        return f"**{self.exercise}: correct.** {self.text}"


def require_answers(exercise: str, **answers) -> None:
    """Raise :class:`NotAnsweredYet` naming every answer still set to ``...``.

    >>> require_answers("Exercise 1", alpha=0.8)
    >>> try:
    ...     require_answers("Exercise 1", alpha=...)
    ... except NotAnsweredYet as error:
    ...     print(error)
    Exercise 1 is not answered yet: replace the ... after alpha in the answer cell with your answer.
    """
    missing = [name for name, value in answers.items() if value is Ellipsis]
    if missing:
        names = ", ".join(missing)
        raise NotAnsweredYet(f"{exercise} is not answered yet: replace the ... after {names} in the answer cell "
                             "with your answer.")


def as_float(exercise: str, name: str, value) -> float:
    """The answer as one number, or :class:`WrongAnswer` saying it is not one."""
    try:
        number = float(np.asarray(value, dtype=float).item())
    except (TypeError, ValueError):
        raise WrongAnswer(f"{exercise}: {name} should be a single number, got {type(value).__name__} "
                          f"{str(value)[:60]!r}.") from None
    return number


def rounded_digits(number: float, expected: float, tolerance: float) -> int | None:
    """The number of decimals (1 to 5) to which ``number`` is ``expected`` rounded, when it is off by more than
    ``tolerance`` only because of that rounding (a value copied from a displayed table); else None."""
    for digits in range(1, 6):
        if abs(expected - round(expected, digits)) > tolerance and abs(number - round(expected, digits)) < 1e-12:
            return digits
    return None


def expect_close(exercise: str, name: str, value, expected: float, tolerance: float, hint: str = "",
                 known_mistakes: dict | None = None, mistake_rtol: float = 0.0) -> None:
    """``value`` is within ``tolerance`` of ``expected``; otherwise :class:`WrongAnswer`.

    ``known_mistakes`` maps a description to the value that mistake would give; when
    the answer matches one (within ``tolerance``, or ``mistake_rtol`` relative to the
    wrong value when that is wider), the error names it instead of the general ``hint``.
    Known mistakes are tested before the correct value, so a mistake that happens to lie
    near the truth is still named; a match never reaches halfway to the truth. An answer
    that equals the truth rounded to a few decimals is told to use the unrounded value.
    """
    number = as_float(exercise, name, value)
    for mistake, wrong in (known_mistakes or {}).items():
        window = min(max(tolerance, mistake_rtol * abs(wrong)), abs(wrong - expected) / 2)
        if abs(wrong - expected) > tolerance / 10 and abs(number - wrong) <= window:
            raise WrongAnswer(f"{exercise}: {name} = {number:.4g} looks like {mistake}. {hint}".strip())
    digits = rounded_digits(number, expected, tolerance) if np.isfinite(number) else None
    if digits is not None:
        raise WrongAnswer(f"{exercise}: {name} = {number} equals the right answer rounded to {digits} decimals: use "
                          f"the unrounded value from the result (a displayed table shows only a few digits), not "
                          "a number typed from it.")
    if not np.isfinite(number) or abs(number - expected) > tolerance:
        raise WrongAnswer(f"{exercise}: {name} = {number:.4g} is {direction(number, expected)} (the check allows "
                          f"{tolerance:.2g} either way). {hint}".strip())


def direction(number: float, expected: float) -> str:
    """'too high', 'too low' or 'not a number': what a wrong answer is, without the right value."""
    if not np.isfinite(number):
        return "not a number"
    return "too high" if number > expected else "too low"


def expect_equal(exercise: str, name: str, value, expected, hint: str = "") -> None:
    """``value == expected`` (names, counts, yes/no answers); otherwise :class:`WrongAnswer`."""
    if isinstance(expected, (bool, np.bool_)):
        if not isinstance(value, (bool, np.bool_)):
            raise WrongAnswer(f"{exercise}: {name} = {value!r} should be True or False. {hint}".strip())
        if bool(value) != bool(expected):
            raise WrongAnswer(f"{exercise}: {name} = {value!r} is not right. {hint}".strip())
        return
    if value != expected:
        raise WrongAnswer(f"{exercise}: {name} = {value!r} is not right. {hint}".strip())


def expect_values(exercise: str, name: str, value, expected: pd.Series, tolerance: float, hint: str = "",
                  known_mistakes: dict | None = None, mistake_rtol: float = 0.0) -> None:
    """A Series or dict answer with the same labels as ``expected`` and every value within ``tolerance``.

    ``known_mistakes`` maps a description to the Series that mistake would give; an answer matches
    it within ``tolerance``, or ``mistake_rtol`` relative to each wrong value when that is wider.
    """
    try:
        answer = pd.Series(value, dtype=float) if isinstance(value, dict) else pd.Series(value).astype(float)
    except (TypeError, ValueError):
        raise WrongAnswer(f"{exercise}: {name} should be a pandas Series of numbers labelled "
                          f"{list(expected.index)}.") from None
    if set(answer.index) != set(expected.index):
        raise WrongAnswer(f"{exercise}: {name} should have one value for each of {list(expected.index)}, "
                          f"but it is labelled {list(answer.index)[:8]}. {hint}".strip())
    answer = answer[expected.index]
    for mistake, wrong in (known_mistakes or {}).items():
        wrong = pd.Series(wrong).astype(float)[expected.index]
        window = np.maximum(tolerance, np.minimum(mistake_rtol * wrong.abs(), (wrong - expected).abs() / 2))
        if (wrong - expected).abs().max() > tolerance and ((answer - wrong).abs() <= window).all():
            raise WrongAnswer(f"{exercise}: {name} looks like {mistake}. {hint}".strip())
    off = (answer - expected).abs()
    if np.isfinite(answer).all() and (off > tolerance).any():
        for digits in range(1, 6):
            if ((answer - expected.round(digits)).abs() < 1e-12).all():
                raise WrongAnswer(f"{exercise}: {name} equals the right values rounded to {digits} decimals: use "
                                  "the unrounded values from the result, not a rounded copy.")
    if not np.isfinite(answer).all() or (off > tolerance).any():
        label = off.fillna(np.inf).idxmax()
        raise WrongAnswer(f"{exercise}: {name}[{label!r}] = {answer[label]:.4g} is "
                          f"{direction(answer[label], expected[label])} (the check allows {tolerance:.2g} "
                          f"either way). {hint}".strip())
