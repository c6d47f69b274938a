"""The one part of the build pyproject.toml cannot say: ship the repository's `schemas/` inside
the package, as `pep_docs/_schemas/`, so an installed wheel finds them (`pep_docs.schema`).

The schemas stay at the root of the checkout, where people and other tools look for them; the
package data patterns are in pyproject.toml. `tests/test_wheel.py` builds and installs a wheel.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["pep_docs*"]), "pep_docs._schemas"],
    package_dir={"pep_docs._schemas": "schemas"},
)
