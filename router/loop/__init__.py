"""Learning from feedback: labels appended to the data, the review queue, and gated retraining."""
