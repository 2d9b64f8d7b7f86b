"""Fuzz harness for issue 10 ("No silent wrong answers").

Every public callable of ``toymodels`` and of ``toymodels.models.*`` is a *target* (``targets``):
a valid, small and fast call plus, for each parameter, strategies of *bad* values for it
(``strategies``). A case replaces one argument of the valid call by one bad value and is classified
(``runner``) as

* ``clear``: a ValueError/TypeError whose message names the parameter (or a declared alias);
* ``unclear``: any other exception, or a ValueError/TypeError that names no alias;
* ``silent``: the call returned although the input is invalid;
* ``lenient``: the call returned and the parameter declares this input lenient by design, with a
  written reason (e.g. the integer-valued float 3.0 for a count);
* ``slow``: the case ran past the time bound (interrupted by an alarm);
* ``warned``: a warning escaped (warnings are recorded, not filtered).

``tests/core/test_fuzz.py`` asserts that every case is ``clear`` or ``lenient``;
``python -m tests.fuzz.report`` counts the outcomes (for the issue's closing note and the README).
"""
