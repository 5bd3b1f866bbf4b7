"""Fitting a model: classifier selection, calibration, threshold and band, criteria head, description, saving."""
