"""``python -m journeylens``."""

from journeylens.cli.app import main

main()
