"""Settings shared by every test module.

Hypothesis's per-example deadline is a timing check, and timing belongs in
``bench/``: on a loaded machine it fails tests whose logic is sound.  Every
property runs without it; the number of examples stays each test's own.
"""

from hypothesis import settings

settings.register_profile("synack", deadline=None)
settings.load_profile("synack")
