"""Text that a spreadsheet must show, not run: the one formula neutraliser
of every file crossmap writes (exports, error files, the audit trail)."""

#: Characters that make Excel (or LibreOffice) read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value):
    """Make text safe to open in a spreadsheet: a leading ``=``, ``+``,
    ``-`` or ``@`` gets an apostrophe in front, so it is shown, not run.

    >>> neutralize("=HYPERLINK(\\"http://x\\")"), neutralize("B2"), neutralize(3)
    ('\\'=HYPERLINK("http://x")', 'B2', 3)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
