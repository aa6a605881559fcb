"""Layer 2, service-quality analyses built on the engine and the survey: the study design,
reliability and validity, measurement invariance, diagnostics, EFA, gap analysis, IPA,
wave tracking, power, and alternative models."""
