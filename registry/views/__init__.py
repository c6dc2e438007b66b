"""Server-rendered pages of the registry (the institution portal\x27s), one module per entity."""
