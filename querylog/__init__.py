"""The query log (``log.py``: PII-masked rows of served questions) and what is read from it:
``smallbatch gaps`` (``gaps.py``). Ingest's query-aware budget reads the same rows."""
