"""The `smallbatch` console command: `cli/main.py` parses and reports errors; each module of
`cli/groups/` declares one command group's arguments and hands it to that package's
`commands.py`."""
