"""Blacklist, focus list and red list with their legal procedure (DESIGN 5)."""
