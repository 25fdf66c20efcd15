"""The shared kernel: database plumbing, clock, errors, pagination and the acting party."""
