"""Report text from result objects: one module per report section.

Every sentence a report prints comes from a function here, built from the tables and
diagnostics it sits beside, and each rule is tested (tests/test_narratives_*.py):
a summary reports the numbers of its own table, never ranks effects the diagnostics
call uninterpretable, and says what a section skipped and why.

Modules: ``screening``, ``measurement``, ``structural``, ``invariance``, ``gaps``,
``waves``, ``power``, ``results_section`` (the APA results paragraph); import them as ``from sqlib.report.narratives import measurement``.
"""
