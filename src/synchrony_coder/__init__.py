"""synchrony-coder: code caregiver-infant interaction video, measure contingency, synchrony, repair
and inter-rater reliability.

The core is a plain library (no Qt): ``read_events``/``write_events`` for the tidy coded-events table,
``load_scheme`` for coding schemes, ``simulate`` for sessions with known ground truth.
"""

from __future__ import annotations

from .errors import DataError
from .events import EventsFileError, Problem, read_events, write_events
from .scheme import Scheme, SchemeError, load_scheme

__version__ = "0.1.0"
__all__ = [
    "DataError",
    "EventsFileError",
    "Problem",
    "Scheme",
    "SchemeError",
    "load_scheme",
    "read_events",
    "write_events",
]
