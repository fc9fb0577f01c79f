"""Knowledge files: documents the assistant searches and cites.

The pieces, each a module: :mod:`.files` finds the files a ``knowledge:`` section names and
checks where they are (no document is read); :mod:`.parsers` turns one document into sections
that know their page or heading; :mod:`.chunker` cuts sections into passages of a token size;
:mod:`.sqlite` and :mod:`.postgres` keep the passages in a full-text index, keyed by content
hash; :mod:`.passages` formats what the model is given, as quoted, untrusted documents.
"""
