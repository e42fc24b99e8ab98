"""Repository-wide pytest settings (tests/conftest.py holds the unit tests' fixtures)."""
from __future__ import annotations

# nbval waits a hard-coded 5 s for each message of a cell's output after the cell has finished
# (computationalmodelling/nbval issues 136, 231); a long training cell on a loaded 2-core CI machine
# can need longer to flush its widget messages.
NBVAL_OUTPUT_TIMEOUT = 60


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if type(item).__name__ == "IPyNbCell" and hasattr(item, "output_timeout"):
            item.output_timeout = NBVAL_OUTPUT_TIMEOUT
