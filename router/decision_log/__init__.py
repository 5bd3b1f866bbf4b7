"""The decision log: every routed decision as a row, for review, feedback and retraining."""
