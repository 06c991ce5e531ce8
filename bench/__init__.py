"""Benchmarks: measurements too long for the tests, with their results in bench/results/.

Run each as a module from the repository root, e.g. ``.venv/bin/python -m bench.retrieval``
(bench/README.md lists them); they import the project's packages and each other as
``bench.<name>``, with no ``sys.path`` edits.
"""
