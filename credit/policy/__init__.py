"""Policy packs: versioned, effective-dated rules a regulator changes without code."""
