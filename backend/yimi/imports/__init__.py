"""Import of a county's own files (registers, ledgers, team lists, township outlines) and export.

``service.run_import`` reads a file row by row (``readers``), maps its headers (``headers``), parses
and checks each value (``values``, ``coords``) and hands the rows to the module of their kind
(``enterprises``, ``issues``, ``teams``, ``townships``), which validates them against the database
and writes them in batches, all in one transaction. ``export`` writes the same kinds back out.
"""
