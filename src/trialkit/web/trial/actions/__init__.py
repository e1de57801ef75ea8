"""Every write to the trial database is one of these actions (see base.py)."""
