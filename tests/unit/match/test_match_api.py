"""The matcher's public interface, which the rest of the daemon imports."""

from __future__ import annotations

import watchtower.pipeline.match as match


def test_exported_members() -> None:
    assert sorted(match.__all__) == ["Matcher", "Query", "QuerySyntaxError", "parse_query"]
    for name in match.__all__:
        assert getattr(match, name) is not None
    assert issubclass(match.QuerySyntaxError, ValueError)
