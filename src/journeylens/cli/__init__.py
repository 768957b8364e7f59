"""The `journeylens` command line: parse, call the library, render. No analytics here."""
