"""The latency bench's arithmetic: percentiles per cell and new/old ratios per model and mode."""

from bench.latency import ratios, summary


def rows(seconds):
    return [{"ttft_s": s / 2, "answer_s": s, "prompt_tokens": 1000, "completion_tokens": 40}
            for s in seconds]


def test_a_cell_reports_p50_p95_and_mean_tokens():
    cell = summary(rows([1, 2, 3, 4, 100]))
    assert cell["n"] == 5 and cell["answer_p50"] == 3 and cell["ttft_p50"] == 1.5
    assert 4 < cell["answer_p95"] <= 100
    assert cell["prompt_tokens_mean"] == 1000 and cell["completion_tokens_mean"] == 40


def test_a_missing_first_token_is_left_out_not_counted_as_zero():
    cell = summary([{"ttft_s": None, "answer_s": 2.0, "prompt_tokens": None,
                     "completion_tokens": None}, *rows([4])])
    assert cell["ttft_p50"] == 2.0 and cell["answer_p50"] == 3.0
    assert cell["prompt_tokens_mean"] == 1000


def test_ratios_are_new_over_old_for_the_same_model_and_cell():
    runs = [{"model": "reader", "binding": "vllm", "cells": {"chat x1": summary(rows([10, 10]))}},
            {"model": "reader", "binding": "all", "cells": {"chat x1": summary(rows([4, 4]))}},
            {"model": "large", "binding": "all", "cells": {"chat x1": summary(rows([9]))}}]
    assert ratios(runs, "vllm", "all") == {"reader chat x1": {"answer_p50": 0.4,
                                                              "ttft_p50": 0.4}}
