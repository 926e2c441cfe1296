"""Matching split into jobs, on single-threaded workers, gives the same bits as inline."""

import pytest
import torch
import torch.nn.functional as F

from fgvc.propagation import CoarseToFineMatcher, LocalMatcher
from fgvc.propagation.workers import run_all


def threads(n):
    """Context: torch intra-op threads of the calling thread set to ``n``."""

    class Threads:
        def __enter__(self):
            self.before = torch.get_num_threads()
            torch.set_num_threads(n)

        def __exit__(self, *exc):
            torch.set_num_threads(self.before)

    return Threads()


# small refinement products, so that coarse-to-fine also makes many jobs
@pytest.mark.parametrize(
    'matcher',
    [LocalMatcher(9, tile=4), CoarseToFineMatcher(2, 3, 2, 4, refine_floats=6 * 6 * 16 * 10)],
)
def test_workers_and_the_calling_thread_give_identical_candidates(matcher):
    gen = torch.Generator().manual_seed(0)
    features = F.normalize(torch.randn(4, 16, 21, 26, generator=gen), dim=1)
    memories = [matcher.prepare(f) for f in features[1:]]
    with threads(1):  # one thread: the jobs run in order in this thread
        inline = matcher.match(features[0], memories, 5)
    with threads(3):
        pooled = matcher.match(features[0], memories, 5)
    for a, b in zip(inline, pooled):
        assert torch.equal(a.values, b.values) and torch.equal(a.index, b.index)


def test_a_jobs_error_reaches_the_caller_and_threads_are_left_alone():
    done = []

    def fails():
        raise ValueError('job 2 failed')

    with threads(2):
        with pytest.raises(ValueError, match='job 2 failed'):
            run_all([lambda: done.append(1), fails, lambda: done.append(3)], torch.device('cpu'))
        assert torch.get_num_threads() == 2
    assert sorted(done) == [1, 3]


def test_memory_frames_matched_a_few_at_a_time_give_identical_candidates():
    gen = torch.Generator().manual_seed(1)
    features = F.normalize(torch.randn(6, 16, 17, 23, generator=gen), dim=1)
    matcher = LocalMatcher(9, tile=4)
    memories = [matcher.prepare(f) for f in features[1:]]
    whole = matcher.match(features[0], memories, 5)
    cells = (4 + 2 * 4) ** 2  # a 4x4 tile's halo square for neighbor_range 9
    two_frames = LocalMatcher(9, tile=4, product_floats=2 * 4 * 4 * cells)  # 2 frames a job
    split = two_frames.match(features[0], memories, 5)
    for a, b in zip(whole, split):
        assert torch.equal(a.values, b.values) and torch.equal(a.index, b.index)
