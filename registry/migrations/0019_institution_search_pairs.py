"""An index for searching institutions by any part of their name, credit code or address.

``icontains`` (``UPPER(col) LIKE UPPER('%term%')``) can use no B-tree index: every search read
every institution of the scope, three columns each, twice (the count and the page). Chinese
search terms are mostly two characters (爱贝, 七彩), too short for pg_trgm's trigrams, so the index
holds pairs of characters: ``registry_institution_grams(name, credit_code, address)`` is the set of
upper-cased character pairs of the three, and a GIN index over it finds the rows that hold every
pair of a term (``registry_term_grams``). The ``icontains`` conditions still decide
(``registry.selectors.institutions.institution_search_narrowed``).

PostgreSQL only; the embedded default (SQLite) searches by scanning, as before.
"""

from django.db import migrations

# Each function calls built-ins only (pg_catalog's, on every search path): pg_restore builds the index
# with an empty search path, where one of these functions calling the other would not be found.
FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION registry_term_grams(term text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(u, i, 2)), '{}')
    FROM (SELECT upper(term)) AS t(u), generate_series(1, length(u) - 1) AS i
$$;
CREATE OR REPLACE FUNCTION registry_institution_grams(name text, credit_code text, address text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(u, i, 2)), '{}')
    FROM (SELECT upper(coalesce(name, '') || E'\n' || coalesce(credit_code, '') || E'\n' || coalesce(address, '')))
        AS t(u), generate_series(1, length(u) - 1) AS i
$$;
CREATE INDEX registry_inst_grams_idx ON registry_institution
    USING gin (registry_institution_grams(name, credit_code, address));
-- The planner knows how many rows hold a pair only once the index expression has statistics.
ANALYZE registry_institution;
"""

DROP = """
DROP INDEX IF EXISTS registry_inst_grams_idx;
DROP FUNCTION IF EXISTS registry_institution_grams(text, text, text);
DROP FUNCTION IF EXISTS registry_term_grams(text);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("registry", "0018_institution_registered_on_index")]

    operations = [migrations.RunPython(create, drop)]
