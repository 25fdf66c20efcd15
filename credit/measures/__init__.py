"""Joint incentive and discipline measures (DESIGN 6): catalog, derived assignments, feedback."""
