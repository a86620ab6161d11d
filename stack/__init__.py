"""llmobs: an LLM-observability stack in a box.

Importing this package must stay cheap (the CLI's ``--help`` and apps that call
``llmobs.init()`` pay for it), so nothing heavy is imported here.
"""

__version__ = "0.1.0"
