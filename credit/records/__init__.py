"""Credit records: ingestion, revisions, bitemporal reads, publication windows."""
