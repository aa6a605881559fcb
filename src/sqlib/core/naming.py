"""Names that can stand in model syntax, shared by the syntax parser and the codebook checks.

lavaan takes R names: letters (any alphabet, so ``réceptie`` and ``qualité1``
work), digits, ``_`` and ``.``, starting with a letter, ``_`` or ``.``. A hyphen or a
space cannot stand in a model (``prijs-kwaliteit`` reads as a subtraction).

>>> is_model_name("qualité1"), is_model_name("prijs-kwaliteit"), is_model_name("2nd")
(True, False, False)
"""

from __future__ import annotations

import re

#: A name model syntax accepts (Unicode letters included).
MODEL_NAME = re.compile(r"^(?:[^\W\d]|\.)[\w.]*$")


def is_model_name(name: str) -> bool:
    """Whether ``name`` can be a variable or construct name in lavaan model syntax."""
    return bool(MODEL_NAME.match(name))


def suggest_model_name(name: str) -> str:
    """``name`` with every character a model name cannot hold replaced by ``_``."""
    fixed = re.sub(r"[^\w.]", "_", name.strip())
    return fixed if is_model_name(fixed) else f"x_{fixed}"


__all__ = ["MODEL_NAME", "is_model_name", "suggest_model_name"]
