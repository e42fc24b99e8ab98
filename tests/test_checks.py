import pytest
import torch

import gan_helpers as gh
from gan_helpers.checks import Result, run_check


def _ref(x):
    return (x ** 2).mean()


def _cases():
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(5, generator=g),), (torch.randn(3, 2, generator=g),)]


def _check(fn):
    return run_check("square mean", fn, _ref, _cases, hint="average the squares",
                     known_wrong={"sum": (lambda x: (x ** 2).sum(), "take the mean, not the sum")})


def test_run_check_correct(capsys):
    assert _check(lambda x: x.pow(2).mean()) is Result.CORRECT
    assert "✅ square mean: correct" in capsys.readouterr().out


def test_run_check_not_attempted(capsys):
    def todo(x):
        raise NotImplementedError()
    assert _check(todo) is Result.NOT_ATTEMPTED
    assert "not attempted yet" in capsys.readouterr().out


def test_run_check_known_wrong_gives_targeted_hint(capsys):
    assert _check(lambda x: (x ** 2).sum()) is Result.WRONG
    assert "take the mean, not the sum" in capsys.readouterr().out


def test_run_check_generic_hint_and_exceptions_never_raise(capsys):
    assert _check(lambda x: x.mean()) is Result.WRONG
    assert "average the squares" in capsys.readouterr().out
    assert _check(lambda x: x.undefined_attribute) is Result.WRONG
    assert "AttributeError" in capsys.readouterr().out
    assert _check(lambda x: "text") is Result.WRONG


def test_run_check_compares_nested_structures():
    ref = lambda x: (x, [x * 2])  # noqa: E731
    assert run_check("nested", lambda x: (x, [x * 2]), ref, _cases, "", verbose=False) is Result.CORRECT
    assert run_check("nested", lambda x: (x, [x * 3]), ref, _cases, "", verbose=False) is Result.WRONG
    assert run_check("nested", lambda x: (x,), ref, _cases, "", verbose=False) is Result.WRONG


def test_expect_raises_unless_smoke(monkeypatch, capsys):
    monkeypatch.delenv(gh.utils.SMOKE_ENV, raising=False)
    gh.checks.expect(True, "it holds")
    assert "✔ it holds" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="claim failed: nope"):
        gh.checks.expect(False, "nope")
    monkeypatch.setenv(gh.utils.SMOKE_ENV, "1")
    gh.checks.expect(False, "nope")
    assert "(smoke mode) not met: nope" in capsys.readouterr().out


def test_expect_records_claims_and_does_not_raise(monkeypatch, tmp_path, capsys):
    import json

    record = tmp_path / "claims.jsonl"
    monkeypatch.delenv(gh.utils.SMOKE_ENV, raising=False)
    monkeypatch.setenv(gh.checks.core.CLAIMS_ENV, str(record))
    assert gh.checks.core.CLAIMS_ENV == "GAN_COURSE_CLAIMS"
    assert gh.checks.expect(True, "it holds") is True
    assert gh.checks.expect(False, "nope") is False  # recorded, printed, not raised
    assert gh.checks.expect(0.5 > 1, 'a "quoted" claim') is False
    out = capsys.readouterr().out
    assert "✔ it holds" in out and "claim failed: nope" in out
    lines = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    assert lines == [{"claim": "it holds", "held": True}, {"claim": "nope", "held": False},
                     {"claim": 'a "quoted" claim', "held": False}]


def test_expect_without_recording_raises_and_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.delenv(gh.utils.SMOKE_ENV, raising=False)
    monkeypatch.delenv(gh.checks.core.CLAIMS_ENV, raising=False)
    assert gh.checks.expect(True, "fine") is True
    with pytest.raises(AssertionError, match="claim failed: false claim"):
        gh.checks.expect(False, "false claim")
    monkeypatch.setenv(gh.checks.core.CLAIMS_ENV, "  ")  # blank: not recording
    with pytest.raises(AssertionError):
        gh.checks.expect(False, "false claim")
    assert list(tmp_path.iterdir()) == []
