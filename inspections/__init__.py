"""Inspection records and rectification orders (plan tasks 21-24). Models arrive with their issue."""
