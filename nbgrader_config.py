"""nbgrader settings: the repo root is the course directory (see autograder/nbgrader_settings.py)."""

import os

try:
    from autograder.nbgrader_settings import configure
except ImportError as error:  # nbgrader run from another Python environment than this repository's
    raise SystemExit(f"nbgrader_config.py: {error}; run nbgrader from this repository's environment "
                     f"(.venv/bin/nbgrader), where the autograder package is installed") from error

c = get_config()  # noqa: F821 (provided by nbgrader)
configure(c, os.path.dirname(os.path.abspath(__file__)))
