"""Layer 1, the estimation engine (lavaan's ``lav_partable_*``, ``lav_model_*``,
``lav_test_*``, ``lav_fit_*``): syntax, parameter table, model matrices, data blocks,
objectives, optimizer, covariance of the estimates, test statistics, fit measures,
standardized solutions, modification indices, effects, bootstrap and comparison.
:func:`sqlib.fit` is :func:`sqlib.sem.pipeline.fit`. Imports only :mod:`sqlib.core`;
never the survey, analysis or report layers."""
