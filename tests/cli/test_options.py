"""fgvc/cli/options.py: a TypeError that a config caused (a key a class
built from it does not take, a required one it lacks) ends a tool in one
line naming the class and the key; any other TypeError keeps its traceback."""

import pytest
from mmengine.registry import Registry

from fgvc.cli.options import one_line_errors

THINGS = Registry('test things')


def helper(b: int) -> int:
    return b


@THINGS.register_module()
class Thing:
    def __init__(self, a: int):
        self.a = a


@THINGS.register_module()
class Forwarding(Thing):
    """Takes any keys and hands them on, as the datasets hand theirs to BaseDataset."""

    def __init__(self, **options):
        super().__init__(**options)


@THINGS.register_module()
class Broken:
    """A constructor with a bug of its own: it calls a function with a wrong key."""

    def __init__(self, a: int):
        helper(c=a)


def refusal(cfg: dict) -> str:
    with pytest.raises(SystemExit) as error, one_line_errors():
        THINGS.build(cfg)
    message = error.value.code
    assert isinstance(message, str) and '\n' not in message
    return message


def test_config_keys_a_class_does_not_take_are_one_line_errors():
    assert refusal(dict(type='Thing', a=1, z=2)) == (
        "error: the config gives Thing the key 'z', which it does not take (Thing.__init__() "
        "got an unexpected keyword argument 'z'): check the config and --cfg-options"
    )
    message = refusal(dict(type='Forwarding', a=1, z=2))
    assert "gives Forwarding the key 'z'" in message
    message = refusal(dict(type='Thing'))
    assert message.startswith('error: the config cannot build Thing (Thing.__init__() missing')


def test_other_type_errors_keep_their_traceback():
    with pytest.raises(TypeError, match="helper\\(\\) got an unexpected keyword argument 'c'"):
        with one_line_errors():
            THINGS.build(dict(type='Broken', a=1))
    with pytest.raises(TypeError, match='has no len'):
        with one_line_errors():
            len(3)  # not from a config at all
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        with one_line_errors(traceback=True):  # --verbose
            THINGS.build(dict(type='Thing', a=1, z=2))
