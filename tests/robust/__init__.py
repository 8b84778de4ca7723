"""Robustness tests: fault matrix, properties, fuzzing, power loss, hostile serial verbs.

Evidence for the safety case in docs/safety.md. The default run samples each matrix; the
whole of each is marked ``slow`` (``make test-full`` runs it).
"""

import hal_sim  # noqa: E402,F401  (installs the micropython shim so `cushion` imports on CPython)
