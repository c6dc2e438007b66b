#!/usr/bin/env bash
# Re-extract the translatable strings into locale/zh_Hans and recompile the catalogue.
#
#   scripts/update_translations.sh          update django.po and django.mo, then report
#   scripts/update_translations.sh --check  also fail if any entry is untranslated or fuzzy
#
# Idempotent: when no msgid has changed, django.po and django.mo are left byte for byte
# as they were (makemessages always rewrites POT-Creation-Date; that alone is undone).
# Needs GNU gettext (msgfmt, xgettext); the compiled .mo is committed so that running
# the platform does not.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
PO=locale/zh_Hans/LC_MESSAGES/django.po

before=$(mktemp)
trap 'rm -f "$before"' EXIT
if [ -f "$PO" ]; then cp -p "$PO" "$before"; fi

"$PY" manage.py makemessages -l zh_Hans \
  --ignore=.venv --ignore=bench --ignore=tests --ignore=staticfiles --ignore=media >/dev/null

if [ -s "$before" ] && cmp -s <(grep -v '^"POT-Creation-Date:' "$before") <(grep -v '^"POT-Creation-Date:' "$PO"); then
  cp -p "$before" "$PO"
fi

"$PY" manage.py compilemessages -l zh_Hans --ignore=.venv >/dev/null

untranslated=$(msgattrib --untranslated --no-obsolete --no-wrap --no-location "$PO" | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete --no-wrap --no-location "$PO" | grep -c '^msgid ' || true)
# msgattrib prints the header entry too when anything else matches; do not count it.
[ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
[ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
total=$(msgattrib --no-obsolete --no-wrap --no-location "$PO" | grep -c '^msgid ')
echo "$PO: $((total - 1)) msgids, $untranslated untranslated, $fuzzy fuzzy"
if [ "$untranslated" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
  echo "Translate these (empty msgstr or #, fuzzy), then run this script again:"
  { msgattrib --untranslated --no-obsolete --no-wrap "$PO"; msgattrib --only-fuzzy --no-obsolete --no-wrap "$PO"; } \
    | grep -E '^(#:|msgid )' | grep -v '^msgid ""$' || true
  if [ "${1:-}" = "--check" ]; then exit 1; fi
fi
