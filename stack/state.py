"""Where a project's bundle lives and how it is stamped."""

from __future__ import annotations

from pathlib import Path

from llmobs import __version__
from llmobs.config import Loaded
from llmobs.settings import Settings

STATE_DIR = ".llmobs"


def bundle_dir(loaded: Loaded) -> Path:
    """``.llmobs/`` beside the config file, or in the working directory without one."""
    return loaded.base_dir / STATE_DIR


def stamp(settings: Settings) -> dict[str, str]:
    """What the bundle marker records besides its file list."""
    return {"generator": f"llmobs {__version__}", "backend": settings.backend}
