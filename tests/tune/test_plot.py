from tune.plot import draw


def test_plot_is_a_png_with_the_points(tmp_path):
    points = [{"name": "b0.5", "store_tokens": 500, "f1": 0.4},
              {"name": "b1", "store_tokens": 1000, "f1": 0.45},
              {"name": "empty", "store_tokens": 0, "units": 0, "skipped": "no unit left"}]
    path = draw(points, [0, 1], 1, 0.01, tmp_path / "tuning.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
