"""Errors a person can act on.

Anything that raises ``UserError`` (or a subclass) is printed by the CLI as one line,
``error: <message>``, with exit code 2 and no traceback (``--debug`` shows it). The message says
what is wrong and what to do. Bugs are any other exception: they keep their traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A bad argument, a missing file or knowledge base, nothing left to ingest, …"""
