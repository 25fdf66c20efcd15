"""Indicator sets, evaluation runs, simulation and personnel points (built on `credit`)."""
