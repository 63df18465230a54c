"""The deal card and its actions (see dialog.py for how to start it)."""
