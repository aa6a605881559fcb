"""Layer 0, used by every other layer: errors, configuration, compute engines, naming rules,
number formatting and numerical differentiation. Imports nothing from sqlib."""
