"""Answers kept between requests never outlive their data version: after
an import, what a process kept for the data before it is let go at once
(a server's memory then stays the size of one version's answers)."""

from webmap.services import cache


def test_a_newer_version_drops_the_older_answers_of_its_database_only():
    computed = []

    def answer(url, words, version):
        return cache.memo(("test", url, words, version), lambda: computed.append(words) or f"{words}@{version}")

    assert answer("sqlite:///a", "q1", 101) == "q1@101"
    assert answer("sqlite:///a", "q2", 101) == "q2@101"
    assert answer("sqlite:///b", "q1", 7) == "q1@7"
    assert answer("sqlite:///a", "q1", 101) == "q1@101" and computed == ["q1", "q2", "q1"]
    # An import raises a's version: its older answers go, b's stay.
    assert answer("sqlite:///a", "q1", 102) == "q1@102"
    kept = [k for k in cache._cache if k[0] == "test"]
    assert ("test", "sqlite:///a", "q2", 101) not in kept and ("test", "sqlite:///a", "q1", 101) not in kept
    assert ("test", "sqlite:///b", "q1", 7) in kept
    # A request that read the older version just before the import still
    # gets its answer (computed again), and it does not undo the newer.
    assert answer("sqlite:///a", "q2", 101) == "q2@101"
    assert answer("sqlite:///a", "q1", 102) == "q1@102" and computed.count("q1") == 3


def test_threads_asking_the_same_question_at_once_compute_it_once():
    import threading
    import time

    computed = []

    def slow():
        computed.append(1)
        time.sleep(0.2)
        return "every report"

    threads = [threading.Thread(target=lambda: cache.latest(("all", "sqlite:///c"), 3, slow)) for _ in range(8)] + [
        threading.Thread(target=lambda: cache.memo(("q", "sqlite:///c", "q", 3), slow)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert computed == [1, 1]
    assert cache.latest(("all", "sqlite:///c"), 3, slow) == "every report" and len(computed) == 2
    assert not cache._gates
