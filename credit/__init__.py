"""Credit files: subjects, records, policy, audit, accounts, and the shared kernel."""
