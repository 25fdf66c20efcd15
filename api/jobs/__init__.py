"""Scheduled jobs: the registry of sweeps, the runner that claims their slots, the scheduler."""
