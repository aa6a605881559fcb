"""Layer 1, the survey: codebooks and their schema, reading survey files, data screening,
simulated samples and model syntax built from a codebook. Imports only :mod:`sqlib.core`."""
