"""Teaching notebooks (notebooks/teaching/): exercise checkers and handouts.

Every exercise of a teaching notebook has a student cell tagged ``answer`` that assigns
named variables (``...`` until answered), a ``solution`` cell, and a ``check`` cell that
calls a checker of this package on the answer variables. A checker recomputes the
answer from the exercise's givens (objects the handout builds before the exercise) or
from the simulation truth, and raises :class:`~sqlib.report.teaching.grading.WrongAnswer`
with a hint when an answer is off, or
:class:`~sqlib.report.teaching.grading.NotAnsweredYet` while a variable is still ``...``.

Modules: ``grading`` (the shared comparison rules), one checker module per notebook
(``gaps``, ``simulation``, ``reliability``, ``model_fit``, ``mediation``,
``invariance``, ``real_data``), and ``handouts`` (the notebooks without solutions).
"""
