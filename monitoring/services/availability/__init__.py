"""Availability (SLA) reports from the checks ' points."""
