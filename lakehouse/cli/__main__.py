from lakehouse.cli import entry

entry()
