"""Job runs: the claim that makes each scheduled sweep run once across scheduler processes."""
