"""Messages the project says in its own words, in every face.

``NULL_CHARACTERS`` is Django's own message (``ProhibitNullCharactersValidator``, on every
CharField). Django's zh-hans catalogue renders it as "不允许是用空字符串。" ("an empty string
is not allowed"), which is wrong and sends the user looking for the wrong mistake. Naming the
msgid here puts it in the project's catalogue, which ``LOCALE_PATHS`` reads before Django's,
so the project's translation is the one every field, form and API answer shows.
"""

from django.utils.translation import gettext_lazy

NULL_CHARACTERS = gettext_lazy("Null characters are not allowed.")
