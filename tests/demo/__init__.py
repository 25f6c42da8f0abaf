"""``make demo``: a guided tour of the real bot against the local Discord double, no token needed.

``python -m tests.demo [--reader-zone ZONE] [--output PATH]`` plays every scene of
``tests/demo/scenes``, prints what each member saw and writes the same transcript as one HTML page
(default ``data/demo/index.html``). Nothing leaves 127.0.0.1.
"""
