# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""Damaged DBC files and random frames: a clear refusal, never a
traceback."""
import pytest
from cantools.database import DecodeError
from hypothesis import given, settings
from hypothesis import strategies as st

from marcier_wire import dbc, mapping

from .conftest import TYPES, dbc_bytes


@st.composite
def damaged(draw, kind):
    "A shipped DBC with a few lines deleted, repeated or cut short"
    lines = dbc_bytes(kind).decode().splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        n = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(['delete', 'repeat', 'cut', 'insert']))
        if edit == 'delete':
            del lines[n]
        elif edit == 'repeat':
            lines.insert(n, lines[n])
        elif edit == 'cut':
            lines[n] = lines[n][:draw(st.integers(0, len(lines[n])))]
        else:
            lines.insert(n, draw(st.text(
                st.sampled_from(list('BO_SG_VAL :|@+-()[]";0123456789 \n')),
                max_size=30)))
    return ''.join(lines)


@pytest.mark.parametrize('kind', TYPES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_damaged_dbc_loads_or_names_its_problem(kind, data):
    text = data.draw(damaged(kind))
    try:
        result = dbc.load(text)
    except dbc.DbcError as error:
        assert str(error) and '\n' not in str(error)
        return
    for problem in result.warnings:
        assert '\n' not in str(problem)
    mapping.propose(result.database)


@pytest.mark.parametrize('kind', TYPES)
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_random_frames_decode_or_raise_known_errors(decoders, loaded, kind,
        data):
    database = loaded[kind].database
    message = data.draw(st.sampled_from(database.messages))
    payload = data.draw(st.binary(max_size=64))
    try:
        decoded = decoders[kind].decode(message.frame_id, payload,
            message.is_extended_frame)
    except DecodeError:
        return
    assert set(decoded.values).isdisjoint(decoded.out_of_range)
