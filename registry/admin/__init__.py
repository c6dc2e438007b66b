"""Django admin for bureau staff, one module per entity. Scoping and write rules come from the
registry's services, selectors and permissions, not from here."""

from . import filings, institutions, policies, registrations, signups, streets  # noqa: F401  (registers each admin)
