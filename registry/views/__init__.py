"""The registry's server-rendered pages (the institution portal's), one module per entity."""
