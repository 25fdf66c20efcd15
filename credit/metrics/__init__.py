"""Periodic per-subject metrics (discharges, costs, refusal and suspect rates)."""
