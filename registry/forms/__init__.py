"""Input declarations: one form per record, with which every way in validates it (the admin, the
API, the Excel import, and the services themselves). Each form takes the acting user
(``actor``) and, for a whole file at once, prefetched ``lookups``."""
