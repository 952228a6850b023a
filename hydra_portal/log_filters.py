"""Logging filters: a refused request is one line in the log, not a traceback."""

import logging


class RefusalsWithoutTraceback(logging.Filter):
    """Drop the traceback Django attaches to a 4xx answer (a 403 for a missing role, a 404).

    The line itself ("Forbidden (Permission denied): /briefs/new") stays; a traceback there only
    hides the real errors, which keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
