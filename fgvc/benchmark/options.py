"""What ``tools/benchmark.py`` measures, and at which size.

The defaults are the matcher comparison at a size that finishes in a few
minutes on two idle CPU cores; the heavy workloads are opt-in (each option
says what it costs there).
"""

import math
from dataclasses import dataclass, field, fields
from typing import Dict, List, Optional, Sequence

from fgvc.propagation import PropagationConfig
from fgvc.registry import MATCHERS, MEMORIES
from fgvc.utils.config import accepted_arguments

#: The matcher modes, dense last: it leaves the most freed memory.
ORDER = ('local', 'coarse_to_fine', 'dense')
#: The modes of the memory-growth check (``scaling_sizes``).
SCALING_MODES = ('local', 'dense')


@dataclass
class BenchmarkOptions:
    """The options of ``tools/benchmark.py`` (its ``--help`` says the rest).

    Attributes:
        size, frames, points: the matcher comparison's video (size x size).
        late_queries: query some points after frame 0.
        checkpoint, trust_pickle: encoder weights, as a tool's ``--checkpoint``
            (:mod:`fgvc.apis.weights`; default untrained); the training
            config stored with them sets the encoder's width and depth.
        modes: matchers compared (:data:`ORDER`).
        scaling_sizes, scaling_frames: peak memory against grid size (two or
            more sizes; none skips it).
        correlation_radius: radius of the correlation timing (< 0 skips it).
        peak_gflops: the device's fp32 peak, for the roofline.
        cfg_options: propagation options, and ``MODE.NAME`` options of one
            mode's matcher (:func:`check_options`); not with the Predictor
            and VOS workloads, which run the config's task settings.
        profile_frames, predictor_frames, spread_frames, vos_frames: frames
            of those workloads (0 skips one).
        memory: the memory policy (config dict) of the spread workload's
            spread queries (its frame-0 queries stay exact); None: exact.
        under_load: a second process keeps one core busy meanwhile.
        device: 'auto', 'cpu' or 'cuda'.
        json: also write every measurement there.
        seed: of the generated videos and the untrained encoder.
    """

    size: int = 192
    frames: int = 20
    points: int = 100
    late_queries: bool = False
    checkpoint: Optional[str] = None
    trust_pickle: bool = False
    modes: List[str] = field(default_factory=lambda: list(ORDER))
    scaling_sizes: List[int] = field(default_factory=list)
    scaling_frames: int = 8
    correlation_radius: int = -1
    peak_gflops: Optional[float] = None
    cfg_options: Dict[str, object] = field(default_factory=dict)
    profile_frames: int = 8
    predictor_frames: int = 0
    spread_frames: int = 0
    vos_frames: int = 0
    memory: Optional[dict] = None
    under_load: bool = False
    device: str = 'auto'
    json: Optional[str] = None
    seed: int = 0


#: The propagation options ``--cfg-options`` may set (the matcher is each mode's).
PROPAGATION_OPTIONS = tuple(f.name for f in fields(PropagationConfig) if f.name != 'matcher')


def check_options(options: BenchmarkOptions, matchers: Dict[str, dict]) -> None:
    """Refuse, before any work, what the run would ignore: a ``cfg_options``
    key that is neither a propagation option (:data:`PROPAGATION_OPTIONS`)
    nor ``MODE.NAME`` of a compared mode whose matcher (``matchers[MODE]``)
    takes NAME, and ``cfg_options`` with the Predictor or VOS workloads."""
    if options.cfg_options and (options.predictor_frames > 0 or options.vos_frames > 0):
        raise ValueError(
            '--cfg-options applies to the matcher comparison and the workloads on its '
            "features, not to --predictor-frames or --vos-frames (they run the config's task "
            'settings); run those without --cfg-options'
        )
    compared = [*options.modes, *(SCALING_MODES if len(options.scaling_sizes) >= 2 else ())]
    for key in options.cfg_options:
        mode, _, name = key.rpartition('.')
        if mode not in ORDER:
            if mode or key not in PROPAGATION_OPTIONS:
                raise ValueError(
                    f'--cfg-options {key}: not a propagation option; they are '
                    f"{', '.join(PROPAGATION_OPTIONS)}, and a mode's matcher options are "
                    f'MODE.NAME with MODE one of {", ".join(ORDER)}'
                )
            continue
        if mode not in compared:
            raise ValueError(
                f"--cfg-options {key}: mode '{mode}' is not run (--modes "
                f'{" ".join(options.modes)}), so the option would be ignored'
            )
        matcher = matchers[mode]['type']
        takes = accepted_arguments(MATCHERS.get(matcher))
        if takes is not None and name not in takes:
            raise ValueError(
                f'--cfg-options {key}: {matcher} takes no option {name!r}; it takes '
                f'{", ".join(sorted(takes))}'
            )


def memory_option(words: Optional[Sequence[str]]) -> Optional[dict]:
    """The config dict of ``--memory TYPE [KEY=VALUE ...]`` (numbers, 'inf'),
    e.g. ``KeyframeMemory horizon=15 interval=5``; None for none."""
    if not words:
        return None
    memory = dict(type=words[0])
    for word in words[1:]:
        key, sep, value = word.partition('=')
        if not sep or not key:
            raise ValueError(f'--memory options are KEY=VALUE, got {word!r}')
        try:
            number = float(value)
        except ValueError:
            raise ValueError(
                f'--memory option {key} must be a number or inf, got {value!r}'
            ) from None
        memory[key] = int(number) if number.is_integer() else number
        if number == math.inf:
            memory[key] = math.inf
    MEMORIES.build(memory)  # an unknown type or option fails here, before any work
    return memory
