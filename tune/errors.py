"""The one error of ``smallbatch tune``: a store, a dev set or a grid it cannot tune with."""

from __future__ import annotations

from smallbatch.errors import UserError


class TuneError(UserError):
    """A store not built for tuning, no dev answers, no model to answer with, a bad grid, …"""
