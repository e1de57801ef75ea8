"""One module per command group; each defines ``register(subparsers)``.

Modules are discovered, so adding a command group never edits a shared list.
"""
