"""Measuring a model: metrics, intervals, baselines, slices, figures, reports and model comparison."""
