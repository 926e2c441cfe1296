"""What test-time adaptation may change: BatchNorm statistics, which
parameters, and how far the affinities move (the anchor)."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_adaptation_options import OPTIONS, small_tracker

from fgvc.engine.adaptation import adapt_encoder, affinity_anchor
from fgvc.fileio.video_reader import ArrayVideo

VIDEO = ArrayVideo(np.random.default_rng(0).integers(0, 256, (4, 24, 24, 3), np.uint8))


def changed(before: dict, after: dict, suffix: str) -> set:
    return {k for k in before if k.endswith(suffix) and not torch.equal(before[k], after[k])}


def test_frozen_bn_statistics_stay_and_batch_statistics_move():
    model = small_tracker()
    before = model.backbone.state_dict()
    frozen = adapt_encoder(model, VIDEO, 2, dict(OPTIONS, bn_stats='frozen')).backbone
    batch = adapt_encoder(model, VIDEO, 2, dict(OPTIONS, bn_stats='batch')).backbone
    running = [k for k in before if k.endswith(('running_mean', 'running_var'))]
    assert running and not changed(before, frozen.state_dict(), 'running_mean')
    assert not changed(before, frozen.state_dict(), 'running_var')
    assert changed(before, batch.state_dict(), 'running_mean')
    assert changed(before, frozen.state_dict(), 'conv1.weight')  # the weights still adapt
    assert not frozen.training  # returned in eval mode either way


def test_only_the_trainable_prefixes_change():
    model = small_tracker()
    before = model.backbone.state_dict()
    cfg = dict(OPTIONS, bn_stats='frozen', trainable=('layer1.',))
    adapted = adapt_encoder(model, VIDEO, 2, cfg).backbone
    moved = changed(before, adapted.state_dict(), '')
    assert moved and all(k.startswith('layer1.') for k in moved)
    assert all(p.requires_grad for p in adapted.parameters())  # restored afterwards
    with pytest.raises(ValueError, match=r"trainable \('head\.',\) names no parameter"):
        adapt_encoder(model, VIDEO, 1, dict(OPTIONS, trainable=('head.',)))


def brute_force_anchor(adapted, frozen, radius, temperature):
    """KL(frozen || adapted) per target cell, displacement by displacement."""
    total, cells = 0.0, 0
    b, _, h, w = adapted[0].shape
    unit = [[F.normalize(t, dim=1).double() for t in pair] for pair in (adapted, frozen)]
    for n, y, x in itertools.product(range(b), range(h), range(w)):
        logits = []
        for ref, tgt in unit:
            row = []
            for dy, dx in itertools.product(range(-radius, radius + 1), repeat=2):
                if 0 <= y + dy < h and 0 <= x + dx < w:
                    row.append(float(tgt[n, :, y, x] @ ref[n, :, y + dy, x + dx]) / temperature)
            logits.append(torch.tensor(row, dtype=torch.float64).log_softmax(0))
        log_q, log_p = logits
        total += float((log_p.exp() * (log_p - log_q)).sum())
        cells += 1
    return total / cells


def test_affinity_anchor_is_the_mean_kl_over_cells_inside_the_map():
    gen = torch.Generator().manual_seed(3)
    adapted = tuple(torch.randn(2, 5, 4, 6, generator=gen) for _ in range(2))
    frozen = tuple(torch.randn(2, 5, 4, 6, generator=gen) for _ in range(2))
    got = affinity_anchor(adapted, frozen, radius=2, temperature=0.5)
    assert float(got) == pytest.approx(brute_force_anchor(adapted, frozen, 2, 0.5), rel=1e-5)
    assert float(affinity_anchor(frozen, frozen, 2, 0.5)) == pytest.approx(0.0, abs=1e-6)


def test_the_anchor_keeps_the_affinities_near_the_unadapted_ones():
    model = small_tracker()
    fast = dict(OPTIONS, lr=1e-2, bn_stats='frozen')
    free = adapt_encoder(model, VIDEO, 4, fast).backbone
    held = adapt_encoder(model, VIDEO, 4, dict(fast, anchor=dict(weight=50.0, temperature=0.07)))
    frames = torch.from_numpy(VIDEO.read(0, 2)).permute(0, 3, 1, 2).float()
    with torch.no_grad():
        start = model.backbone(frames)[-1].split(1)
        drift = {
            name: float(affinity_anchor(enc(frames)[-1].split(1), start, 2, 0.07))
            for name, enc in (('free', free), ('held', held.backbone))
        }
    assert drift['held'] < 0.5 * drift['free'], drift
