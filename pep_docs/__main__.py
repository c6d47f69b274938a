"""`python -m pep_docs` is the `pep-docs` command."""

from pep_docs.cli import main

main()
