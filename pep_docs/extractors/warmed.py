"""Imported by the readers' fork server (`sandbox`): warms the readers once, in that server.

A fork server ignores a preload module's ImportError but dies of any other error, so a failure
here is logged and costs only speed: each child then does its own first-use work.
"""

import logging

from pep_docs.extractors.sandbox import warm

try:
    warm()
except Exception:
    logging.getLogger(__name__).exception("warming the readers failed; reading still works")
