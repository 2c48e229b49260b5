"""`python -m archspec`: the command line, as the `archspec` command runs it."""

from .cli import main

main()
