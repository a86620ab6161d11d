"""The ``llmobs`` console script: a help page from the cache (:mod:`llmobs.cli.pages`), otherwise the app.

Its own module, importing no Typer at the top, so a cached ``llmobs --help`` never loads it (issue 16).
"""

from __future__ import annotations

import sys

from llmobs.cli import pages


def main() -> None:
    """Console-script entry point."""
    page = pages.help_page(sys.argv[1:])
    if pages.replay(page):
        return
    from llmobs.cli.app import main as run

    pages.draw_and_keep(page, run)
