"""Objections, credit repair and working-day deadlines (built on `credit` and `indicators`)."""
