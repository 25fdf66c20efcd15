"""The file side of bulk imports: streaming parsers, import batches and rejected-row reports."""
