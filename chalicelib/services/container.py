"""Moved: the composition root is ``chalicelib/wiring.py``, beside the entry points.

Kept importable (a re-export) so code written against the old place still runs;
import ``chalicelib.wiring`` in new code. The one module of ``chalicelib/services``
that may name the wiring (``tests/unit/test_architecture.py``).
"""

from __future__ import annotations

from chalicelib.wiring import (
    Services,
    _user_tokens,
    build_services,
    get_services,
    read_model_file,
)

__all__ = ["Services", "_user_tokens", "build_services", "get_services", "read_model_file"]
