"""The browser view of synack: the simulator page, its JSON API (``server``) and the one-file export (``export``).

Imported lazily by the CLI, so ``synack run`` never pays for Starlette.
"""
