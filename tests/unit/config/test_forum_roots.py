"""A forum's base_url that is a page, not the forum's root (``…/index.php``,
``…/viewforum.php?f=3``, Discourse's ``…/latest``): refused with the root to
write when it is surely a page, a warning when it may be the install folder
(XenForo's ``…/forums/``), left alone for a root, a sub-folder install too."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from watchtower.adapters.forum_roots import NotARoot, forum_root
from watchtower.cli import main
from watchtower.config import parse_config
from watchtower.errors import ConfigError

BRAND = '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n'


@pytest.mark.parametrize(
    ("engine", "base_url", "expected"),
    [
        # Surely a page: the root to write, and what to drop.
        ("phpbb", "https://forum.acme.test/index.php", ("https://forum.acme.test/", "index.php")),
        (
            "phpbb",
            "https://forum.acme.test/viewforum.php?f=3",
            ("https://forum.acme.test/", "viewforum.php?f=3"),
        ),
        (
            "phpbb",
            "https://forum.acme.test/index.php?sid=0a1b2c",
            ("https://forum.acme.test/", "index.php?sid=0a1b2c"),
        ),
        ("phpbb", "https://forum.acme.test/feed.php", ("https://forum.acme.test/", "feed.php")),
        ("phpbb", "https://acme.test/forum/Index.PHP", ("https://acme.test/forum/", "Index.PHP")),
        ("phpbb", "https://forum.acme.test/?sid=1", ("https://forum.acme.test/", "?sid=1")),
        ("phpbb", "https://forum.acme.test/#top", ("https://forum.acme.test/", "#top")),
        (
            "vbulletin",
            "https://acme.test/forum/forumdisplay.php?f=3",
            ("https://acme.test/forum/", "forumdisplay.php?f=3"),
        ),
        (
            "vbulletin",
            "https://acme.test/forum/external.php?type=RSS2",
            ("https://acme.test/forum/", "external.php?type=RSS2"),
        ),
        ("xenforo", "https://forum.acme.test/index.php", ("https://forum.acme.test/", "index.php")),
        (
            "xenforo",
            "https://forum.acme.test/forums/general.3/",
            ("https://forum.acme.test/", "forums/general.3"),
        ),
        (
            "xenforo",
            "https://forum.acme.test/threads/panne-de-carte.1234/",
            ("https://forum.acme.test/", "threads/panne-de-carte.1234"),
        ),
        (
            "xenforo",
            "https://forum.acme.test/forums/-/index.rss",
            ("https://forum.acme.test/", "forums/-/index.rss"),
        ),
        # XenForo installed in /forums/: its own pages follow the folder.
        (
            "xenforo",
            "https://acme.test/forums/forums/general.3/",
            ("https://acme.test/forums/", "forums/general.3"),
        ),
        (
            "xenforo",
            "https://acme.test/forums/?order=new",
            ("https://acme.test/forums/", "?order=new"),
        ),
        (
            "discourse",
            "https://communaute.acme.test/latest",
            ("https://communaute.acme.test/", "latest"),
        ),
        (
            "discourse",
            "https://communaute.acme.test/latest.json",
            ("https://communaute.acme.test/", "latest.json"),
        ),
        (
            "discourse",
            "https://communaute.acme.test/c/some-category/12",
            ("https://communaute.acme.test/", "c/some-category/12"),
        ),
        (
            "discourse",
            "https://acme.test/community/t/new/345",
            ("https://acme.test/community/", "t/new/345"),
        ),
        (
            "discourse",
            "https://acme.test/community/categories",
            ("https://acme.test/community/", "categories"),
        ),
    ],
)
def test_a_page_is_not_a_root(engine: str, base_url: str, expected: tuple[str, str]) -> None:
    assert forum_root(engine, base_url) == NotARoot(*expected, certain=True)


@pytest.mark.parametrize(
    ("engine", "base_url"),
    [
        ("phpbb", "https://forum.acme.test"),
        ("phpbb", "https://forum.acme.test/"),
        ("phpbb", "https://acme.test/forum/"),  # a sub-folder install
        ("phpbb", "https://acme.test/phpBB3"),
        ("vbulletin", "https://acme.test/forum"),
        ("xenforo", "https://acme.test/community/"),
        ("xenforo", "https://forum.acme.test:8443/"),
        ("discourse", "https://communaute.acme.test"),
        ("discourse", "https://acme.test/forum/"),
        ("discourse", "https://acme.test/discuss"),
        # Not an http(s) address: the kind's own check refuses it.
        ("phpbb", "ftp://forum.acme.test/index.php"),
        ("phpbb", "forum.acme.test/index.php"),
    ],
)
def test_a_root_is_left_alone(engine: str, base_url: str) -> None:
    assert forum_root(engine, base_url) is None


@pytest.mark.parametrize(
    ("engine", "base_url", "root"),
    [
        # XenForo's list of forums, or the folder XenForo is installed in.
        ("xenforo", "https://forum.acme.test/forums/", "https://forum.acme.test/"),
        ("xenforo", "https://acme.test/forums/forums", "https://acme.test/forums/"),
    ],
)
def test_a_page_that_may_be_the_install_folder(engine: str, base_url: str, root: str) -> None:
    found = forum_root(engine, base_url)
    assert found is not None and not found.certain and found.root == root


def load(text: str, tmp_path: Path) -> list[str]:
    """The problems of a config holding ``text``, as ``check`` prints them."""
    with pytest.raises(ConfigError) as caught:
        parse_config(BRAND + text, tmp_path / "w.toml")
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (
            'preset = "phpbb"\nbase_url = "https://forum.acme.test/index.php"',
            """base_url should be the forum's root, e.g. base_url = "https://forum.acme.test/": """
            "drop 'index.php' (the phpbb preset adds feed.php itself)",
        ),
        (
            'preset = "phpbb"\nbase_url = "https://forum.acme.test/viewforum.php?f=3"',
            "drop 'viewforum.php?f=3'",
        ),
        (
            'preset = "xenforo"\nbase_url = "https://forum.acme.test/forums/general.3/"',
            "drop 'forums/general.3' (the xenforo preset adds forums/-/index.rss itself)",
        ),
        (
            'preset = "vbulletin"\nbase_url = "https://acme.test/forum/index.php"',
            "base_url = \"https://acme.test/forum/\": drop 'index.php'",
        ),
        (
            'preset = "discourse"\nbase_url = "https://communaute.acme.test/latest"',
            """e.g. base_url = "https://communaute.acme.test/": drop 'latest' """
            "(the discourse preset reads latest.json itself)",
        ),
        (
            'preset = "discourse"\nbase_url = "https://communaute.acme.test/c/banque/12"',
            "drop 'c/banque/12'",
        ),
    ],
)
def test_a_preset_on_a_page_is_refused_with_its_line(
    tmp_path: Path, source: str, words: str
) -> None:
    [refused] = load(f'[[sources]]\nname = "forum"\n{source}\n', tmp_path)
    # The base_url's line, the key to edit (the preset's is the line above).
    assert refused.startswith(f"{tmp_path / 'w.toml'}:7: sources[0].base_url: ")
    assert words in refused


@pytest.mark.parametrize(
    ("base_url", "words"),
    [
        (
            "https://communaute.acme.test/latest",
            """base_url should be the forum's root, e.g. base_url = """
            """"https://communaute.acme.test/": drop 'latest' (the discourse kind reads """
            "latest.json itself)",
        ),
        ("https://communaute.acme.test/c/banque/12", "drop 'c/banque/12'"),
        ("https://acme.test/forum/t/panne/345", 'base_url = "https://acme.test/forum/"'),
        ("https://communaute.acme.test/latest.json?page=2", "drop 'latest.json?page=2'"),
    ],
)
def test_a_discourse_kind_on_a_page_is_refused_as_a_preset_is(
    tmp_path: Path, base_url: str, words: str
) -> None:
    """Without a preset too: the source would read ``…/latest/latest.json``."""
    source = f'kind = "discourse"\nbase_url = "{base_url}"'
    [refused] = load(f'[[sources]]\nname = "forum"\n{source}\n', tmp_path)
    assert refused.startswith(f"{tmp_path / 'w.toml'}:7: sources[0].base_url: ")
    assert words in refused


@pytest.mark.parametrize(
    "source",
    [
        'preset = "phpbb"\nbase_url = "https://acme.test/forum/"',
        'preset = "vbulletin"\nbase_url = "https://acme.test/forum"',
        'preset = "xenforo"\nbase_url = "https://acme.test/community"',
        'preset = "discourse"\nbase_url = "https://acme.test/forum"',
        'kind = "discourse"\nbase_url = "https://acme.test/forum/"',
    ],
)
def test_a_sub_folder_install_loads_without_a_warning(tmp_path: Path, source: str) -> None:
    loaded = parse_config(f'{BRAND}[[sources]]\nname = "forum"\n{source}\n', tmp_path / "w.toml")
    assert not [w for w in loaded.warnings if "base_url" in w.key]
    url = getattr(loaded.sources[0], "url", None) or getattr(loaded.sources[0], "base_url", "")
    assert url.startswith("https://acme.test/")
    assert "//" not in url.removeprefix("https://")


@pytest.mark.parametrize(
    ("source", "line", "words"),
    [
        # May be the install folder: loaded, and check says what else it may mean.
        (
            'preset = "xenforo"\nevery = "15m"\nbase_url = "https://forum.acme.test/forums/"',
            8,
            """base_url ends with 'forums': if that is a page of the forum, write """
            """base_url = "https://forum.acme.test/", the forum's root (the xenforo preset """
            "adds forums/-/index.rss itself); if the forum is installed in that folder, "
            "base_url is right",
        ),
        # kind = "discourse" on what may be a folder named "c": check says both.
        (
            'kind = "discourse"\nbase_url = "https://communaute.acme.test/c/"',
            7,
            """base_url ends with 'c': if that is a page of the forum, write base_url = """
            """"https://communaute.acme.test/", the forum's root (the discourse kind reads """
            "latest.json itself); if the forum is installed in that folder, base_url is right",
        ),
    ],
)
def test_check_warns_at_the_base_url_line(
    write_config: Callable[[str], Path],
    capsys: pytest.CaptureFixture[str],
    source: str,
    line: int,
    words: str,
) -> None:
    path = write_config(f'{BRAND}[[sources]]\nname = "forum"\n{source}\n')
    assert main(["check", "--config", str(path)]) == 0
    warnings = [w for w in capsys.readouterr().err.splitlines() if "base_url" in w]
    assert warnings == [f"warning: {path}:{line}: sources[0].base_url: {words}"]


def test_check_refuses_every_page_with_its_line(
    write_config: Callable[[str], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end: `watchtower check` names each source's mistake, and its exit
    status is that of an invalid config."""
    path = write_config(
        BRAND + '[[sources]]\nname = "phpbb"\npreset = "phpbb"\n'
        'base_url = "https://forum.acme.test/index.php"\n'
        '[[sources]]\nname = "ok"\npreset = "phpbb"\nbase_url = "https://acme.test/forum/"\n'
        '[[sources]]\nname = "discourse"\npreset = "discourse"\n'
        'base_url = "https://communaute.acme.test/c/banque/12"\n'
        '[[sources]]\nname = "kind"\nkind = "discourse"\n'
        'base_url = "https://communaute.acme.test/latest"\n'
    )
    assert main(["check", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:7: sources[0].base_url: base_url should be the forum's root" in err
    assert f"{path}:15: sources[2].base_url: base_url should be the forum's root" in err
    assert f"{path}:19: sources[3].base_url: base_url should be the forum's root" in err
    assert "drop 'index.php'" in err and "drop 'c/banque/12'" in err and "drop 'latest'" in err
    assert "sources[1]" not in err
