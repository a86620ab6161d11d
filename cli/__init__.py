"""The ``llmobs`` command line (thin Typer commands over the library)."""
