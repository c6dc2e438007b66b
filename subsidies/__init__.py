"""Per-class construction subsidies for livelihood-project institutions (plan task 15).

Models arrive with their issue.
"""
