"""Credit files: subjects, records, lists, measures, feeds, audit, accounts and the shared kernel."""
