"""Procedures: deploying models, checking models, forms and templates together, and the
rules the office configures for the models."""
