"""The plan's 2020/2025/2030 target indicators and dashboards. Models arrive with their issue."""
