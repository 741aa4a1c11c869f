"""The documentation says what the program does.

A newcomer reads README.md, copies config.example.toml and follows docs/*.md;
these tests catch the ways such text drifts from the code: a key the models
accept that the example does not explain, a doc nobody links to, a link or a
file name that no longer exists, a README command or `make` target that is not
there, an example that `watchtower check` refuses, a list of restart keys that
lost one.
"""

from __future__ import annotations

import argparse
import re
import shlex
import tomllib
import typing
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from tests.conftest import ROOT
from watchtower.adapters.registry import REGISTRY
from watchtower.cli import build_parser
from watchtower.config import load_config
from watchtower.config_models import Config
from watchtower.reload import RESTART_KEYS

README = ROOT / "README.md"
EXAMPLE = ROOT / "config.example.toml"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKDOWN = [README, *DOCS]


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# ------------------------------------------------------------------ config keys


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> Iterator[tuple[str, str]]:
    """(table, key) for every field of ``model`` and of the models it nests."""
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        nested = [t for t in _types(field.annotation) if _is_model(t)]
        if not nested:  # a table ([slack], [[rules]]) is documented by its keys
            yield model.__name__, field.alias or name
        for inner in nested:
            yield from _models(inner, seen)


def _types(annotation: object) -> Iterator[object]:
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _types(arg)


def _is_model(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def config_keys() -> list[tuple[str, str]]:
    seen: set[type[BaseModel]] = set()
    keys = list(_models(Config, seen))
    for source in REGISTRY.values():
        keys += _models(source.settings_model, seen)
    return sorted(set(keys))


def test_every_key_the_config_accepts_is_in_the_example() -> None:
    # Written as a setting (`key = …`, maybe commented out) or named in a
    # comment as `key = …` in backquotes (the keys every source shares).
    example = text(EXAMPLE)
    missing = [
        f"{table}.{key}"
        for table, key in config_keys()
        if not re.search(rf"^#?\s*{re.escape(key)}\s*=", example, re.M)
        and f"`{key} = " not in example
    ]
    assert config_keys(), "no key found: the walk over the models is broken"
    assert not missing, f"keys missing from config.example.toml: {missing}"


def test_every_table_of_the_config_is_in_the_example() -> None:
    example = text(EXAMPLE)
    for name, field in Config.model_fields.items():
        if any(_is_model(t) for t in _types(field.annotation)):
            assert re.search(rf"^#?\s*\[\[?{name}\]\]?\s*$", example, re.M), name
    for kind in REGISTRY:
        assert f'kind = "{kind}"' in example, f"source kind {kind!r} has no example"


def test_every_preset_is_in_the_example_and_the_readme() -> None:
    example, readme = text(EXAMPLE), text(README)
    for preset in sorted((ROOT / "sources").glob("*.toml")):
        assert f"#   {preset.stem} " in example, preset.stem
        assert f'"{preset.stem}"' in readme, preset.stem


@pytest.mark.parametrize("preset", sorted((ROOT / "sources").glob("*.toml")), ids=lambda p: p.stem)
def test_the_example_in_each_preset_checks(preset: Path, tmp_path: Path) -> None:
    lines = [m.group(1) for m in re.finditer(r"^#   (.*)$", text(preset), re.M)]
    start = lines.index("[[sources]]")
    config = tmp_path / "watchtower.toml"
    config.write_text(
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n\n' + "\n".join(lines[start:]) + "\n",
        encoding="utf-8",
    )
    [source] = load_config(config).sources
    assert source.kind == tomllib.loads(text(preset))["kind"]


def test_the_readme_lists_the_keys_that_wait_for_a_restart() -> None:
    readme = text(README)
    found = re.search(r"(\w+) keys of `\[watchtower\]` wait for a restart.*?:(.*?)\.", readme, re.S)
    assert found, "README: the list of keys that wait for a restart is gone"
    listed = re.findall(r"`(\w+)`", found.group(2))
    assert sorted(listed) == sorted(RESTART_KEYS)
    number = {"Six": 6, "Seven": 7, "Eight": 8, "Nine": 9}[found.group(1)]
    assert number == len(RESTART_KEYS)
    # config.example.toml marks each of them "restart" in the comment above it.
    example = text(EXAMPLE).split("\n[slack]")[0]
    for key in RESTART_KEYS:
        comment = re.search(rf"((?:^#.*\n)+)(?:\w+ = .*\n)*?#?\s*{key} = ", example, re.M)
        assert comment and "restart" in comment.group(1), key


def test_the_example_shows_the_defaults_where_it_says_so() -> None:
    # "In [watchtower], [slack], [dedup], [email] and [spikes] the values shown
    # are the defaults, unless a comment gives another one."
    from watchtower.config_models import (
        DedupSection,
        EmailSection,
        SlackSection,
        SpikesSection,
        WatchtowerSection,
    )

    example = text(EXAMPLE)
    data = tomllib.loads(example)
    commented = re.search(r"^# \[spikes\]\n((?:# .*\n?)*)", example, re.M)
    assert commented, "the [spikes] example is gone"
    spikes = tomllib.loads("\n".join(line[2:] for line in commented.group(1).splitlines()))
    sections: list[tuple[str, type[BaseModel], dict[str, object]]] = [
        ("watchtower", WatchtowerSection, data["watchtower"]),
        ("slack", SlackSection, data["slack"]),
        ("dedup", DedupSection, data["dedup"]),
        ("email", EmailSection, data["email"]),
        ("spikes", SpikesSection, spikes),
    ]
    differ = set()
    for name, model, values in sections:
        default = model()
        for key, value in values.items():
            attr = "from_" if key == "from" else key
            if getattr(model.model_validate({key: value}), attr) != getattr(default, attr):
                differ.add(f"{name}.{key}")
    # Each of these has a comment giving its default ("default none", "default
    # \"watchtower@localhost\""): an example address is more use than an empty list.
    assert differ == {
        "email.from",
        "spikes.notify",
        "spikes.escalate_to",
        "spikes.escalate_notify",
    }


# ------------------------------------------------------------------ examples


def _toml_blocks(markdown: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", markdown, re.S)


def test_the_readme_configuration_examples_check(tmp_path: Path) -> None:
    # The brand, source and rule of "Configuration (for marketing)" together,
    # plus the [email] section their e-mail target needs.
    blocks = [b for b in _toml_blocks(text(README)) if re.match(r"\s*\[\[", b)]
    assert len(blocks) >= 3
    config = tmp_path / "watchtower.toml"
    config.write_text(
        "\n".join(blocks) + '\n[email]\nfrom = "veille@example.fr"\n', encoding="utf-8"
    )
    loaded = load_config(config)
    assert [r.name for r in loaded.config.rules] == ["crise"]


def test_every_toml_example_in_the_docs_is_valid_toml() -> None:
    for path in MARKDOWN:
        for block in _toml_blocks(text(path)):
            if block.startswith("#:schema"):
                continue
            tomllib.loads(block)


def test_the_readme_typo_example_is_what_check_says(tmp_path: Path) -> None:
    readme = text(README)
    shown = re.search(r"`watchtower\.toml:\d+: (rules\[0\]\.sevrity: [^`]*)`", readme)
    assert shown
    config = tmp_path / "watchtower.toml"
    config.write_text(
        '[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n\n'
        '[[rules]]\nname = "crise"\nsevrity = "critical"\n',
        encoding="utf-8",
    )
    from watchtower.errors import ConfigError

    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert f"watchtower.toml:7: {shown.group(1)}" in str(error.value)


#: Texts of notifications that the docs quote, with the key of the French
#: template that writes them (``watchtower/notify/_strings.py``).
QUOTED_TEXTS = [
    (README, "Aussi vu sur lemonde.fr", "also_seen"),
    (README, "Vu sur 3 sites", "seen_on"),
    (README, "Vu sur 30 sites", "seen_on"),
    (README, "Pic de mentions : Acmé · crise", "spike_title"),
    (README, "Retour au calme : Acmé", "calm_title"),
    (README, "CRITIQUE", "severity.critical"),
    (EXAMPLE, "Vu sur N sites", "seen_on"),
    (ROOT / "docs" / "email.md", "… et N de plus", "more"),
]


@pytest.mark.parametrize(("path", "quoted", "key"), QUOTED_TEXTS, ids=lambda v: str(v)[:30])
def test_notification_texts_quoted_in_the_docs_are_the_real_ones(
    path: Path, quoted: str, key: str
) -> None:
    from watchtower.notify._strings import STRINGS

    template = STRINGS["fr"][key]
    pattern = "".join(
        ".+" if part.startswith("{") else re.escape(part)
        for part in re.split(r"(\{\w+\})", template)
        if part
    )
    assert re.fullmatch(pattern, quoted), f"{template!r} does not write {quoted!r}"
    # The docs quote it whole, or (a calm-down, a spike) its words before the name.
    shown = quoted if quoted in text(path) else quoted.split(" : ")[0]
    assert shown in text(path), f"{path.name} no longer quotes {quoted!r}"


# ------------------------------------------------------------------ links and paths


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    heading = re.sub(r"[`*_]", "", heading.strip().lower())
    heading = "".join(c for c in heading if c in " -" or unicodedata.category(c)[0] in "LN")
    return heading.replace(" ", "-")


def _anchors(markdown: str) -> set[str]:
    outside_code = re.sub(r"```.*?```", "", markdown, flags=re.S)
    return {_slug(h) for h in re.findall(r"^#{1,6} (.*)$", outside_code, re.M)}


def _links(markdown: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", markdown)


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: p.name)
def test_links_and_anchors_resolve(path: Path) -> None:
    for link in _links(text(path)):
        if re.match(r"[a-z]+:", link):
            continue  # https://, mailto:
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        assert file.exists(), f"{path.name}: broken link {link}"
        if anchor and file.suffix == ".md":
            assert anchor in _anchors(text(file)), f"{path.name}: no heading for {link}"


def test_every_doc_is_linked_from_the_readme_or_another_doc() -> None:
    linked = set()
    for path in MARKDOWN:
        for link in _links(text(path)):
            target = link.partition("#")[0]
            if target and not re.match(r"[a-z]+:", target):
                linked.add((path.parent / target).resolve())
    orphans = [d.name for d in DOCS if d.resolve() not in linked]
    assert not orphans, f"docs linked from nowhere: {orphans}"


#: Repository paths named in backquotes: `watchtower/adapters/_http.py`, `docs/dedup.md`.
REPO_PATH = re.compile(
    r"`((?:watchtower|tests|docs|scripts|deploy|benchmarks|migrations|sources|rules)"
    r"/[\w./-]*[\w/])`"
)


@pytest.mark.parametrize("path", [*MARKDOWN, EXAMPLE], ids=lambda p: p.name)
def test_files_named_in_the_docs_exist(path: Path) -> None:
    missing = []
    for name in REPO_PATH.findall(text(path)):
        if "NAME" in name or "DOMAIN" in name:
            continue  # a pattern: sources/NAME.toml
        found = (ROOT / name).exists() or (ROOT / "watchtower" / name).exists()
        if not found:
            missing.append(name)
    assert not missing, f"{path.name} names files that do not exist: {missing}"


# ------------------------------------------------------------------ commands


def _makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z][\w-]*):", text(ROOT / "Makefile"), re.M))


def test_the_readme_make_commands_exist() -> None:
    readme = text(README)
    targets = _makefile_targets()
    variables = set(re.findall(r"^(\w+) \?=", text(ROOT / "Makefile"), re.M))
    for line in re.findall(r"^make .*$|`make [^`]*`", readme, re.M):
        words = shlex.split(line.strip("`").split("#")[0])[1:]
        for word in words:
            name, eq, _ = word.partition("=")
            if eq:
                assert name in variables, f"README: make variable {name} is not in the Makefile"
            elif re.fullmatch(r"[a-z][\w-]*", word):
                assert word in targets, f"README: `make {word}` is not a Makefile target"


def test_the_readme_test_command_is_what_ci_runs() -> None:
    # README's one test command is `make test`; CI runs the same; it runs pytest.
    readme = text(README)
    quick_start = readme.split("## Quick start")[1].split("\n## ")[0]
    assert re.search(r"^make test\b", quick_start, re.M)
    ci = [line for line in text(ROOT / ".ci" / "run").splitlines() if line.strip()]
    assert ci[-1].strip() == "make test"
    recipe = text(ROOT / "Makefile").split("\ntest:")[1].split("\n\n")[0]
    assert "-m pytest $(PYTEST_ARGS)" in recipe
    assert "scripts/install-test-deps.sh" in recipe and "install-test-deps.sh" in quick_start


def test_make_run_without_a_config_is_the_demo() -> None:
    # README: `make run` runs the offline demo (never the example's real websites).
    recipe = text(ROOT / "Makefile").split("\nrun:")[1].split("\n\n")[0]
    assert re.search(r"ifeq \(\$\(CONFIG\),\)\n\t\$\(BIN\)/watchtower demo\n", recipe)
    assert "config.example" not in recipe


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    found = {}
    for name, command in sub.choices.items():
        inner = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        for choice, action in inner[0].choices.items() if inner else []:
            found[f"{name} {choice}"] = action
        if not inner:
            found[name] = command
    return found


def test_the_readme_command_table_lists_every_command_and_its_options() -> None:
    readme = text(README)
    table = readme.split("## Commands\n\n")[1].split("\n\n")[0]
    rows = re.findall(r"^\| `watchtower ([^`]*)` \|", table, re.M)
    commands = _commands()
    named = {}
    for row in rows:
        words = row.split()
        command = " ".join(w for w in words[:2] if re.fullmatch(r"[a-z][\w-]*", w))
        named[command] = row
    assert sorted(named) == sorted(commands)
    for command, row in named.items():
        options = {o for a in commands[command]._actions for o in a.option_strings}
        for option in re.findall(r"(?:^|[\s\[])(-{1,2}[a-z][\w-]*)", row):
            assert option in options, f"README: `watchtower {command} {option}` does not exist"


def test_every_documented_make_target_is_in_the_readme() -> None:
    # A target with a `## what it does` comment is meant for users: `make once`
    # and `make install` existed without the README ever naming them.
    documented = re.findall(r"^([a-z][\w-]*):.*##", text(ROOT / "Makefile"), re.M)
    readme = text(README)
    assert documented
    missing = [t for t in documented if not re.search(rf"`make {t}\b|^make {t}\b", readme, re.M)]
    assert not missing, f"Makefile targets the README never names: {missing}"


def _code_block_after(markdown: str, heading: str) -> str:
    section = markdown.split(f"\n{heading}\n")[1]
    return section.split("```sh\n")[1].split("```")[0]


def test_the_deployment_steps_set_the_database_before_the_service_starts() -> None:
    # Followed as written, the steps used to start the service on the default
    # database_url (next to the config, which the service cannot write): it
    # stopped at once and restarted every 10 s. The folder named must be the
    # one the unit, or the image, lets it write.
    readme = text(README)
    unit = text(ROOT / "deploy" / "watchtower.service")
    systemd = _code_block_after(readme, "### pip + systemd")
    folder = "/var/lib/" + re.search(r"^StateDirectory=(\S+)$", unit, re.M).group(1)
    assert f'database_url = "sqlite:///{folder}/' in systemd
    assert systemd.index("database_url") < systemd.index("systemctl enable --now")
    assert systemd.index("database_url") < systemd.index("watchtower check")

    docker = _code_block_after(readme, "### Docker")
    [volume] = re.findall(r'^VOLUME \["(\S+)"\]$', text(ROOT / "Dockerfile"), re.M)
    assert f'database_url = "sqlite:///{volume}/' in docker
    assert docker.index("database_url") < docker.index("docker run")
    # The image's HEALTHCHECK asks /livez: without `http` it is unhealthy.
    assert re.search(r'http = "127\.0\.0\.1:\d+"', docker)


#: (arguments, exit status) a newcomer meets; each command's --help must list
#: that status in its own table.
EXITS = [
    (["check", "--config", "{broken}"], 2),
    (["status", "--config", "{good}"], 1),  # no database yet
    (["noise", "--config", "{good}"], 1),
    (["test-rule", "--config", "{good}", "nope", "--text", "x"], 2),
    (["db", "downgrade", "9999", "--config", "{good}"], 2),
    (["db", "backup", "{missing}", "--config", "{good}"], 1),  # no database yet
    (["db", "restore", "{missing}", "--config", "{good}"], 2),
    (["db", "vacuum", "--config", "{good}"], 1),  # no database
]


@pytest.mark.parametrize(("argv", "code"), EXITS, ids=[" ".join(a[:2]) for a, _ in EXITS])
def test_each_command_help_gives_the_exit_status_it_returns(
    argv: list[str], code: int, tmp_path: Path
) -> None:
    from watchtower.cli import main

    good = tmp_path / "watchtower.toml"
    good.write_text('[[brands]]\nname = "Acmé"\nterms = ["Acmé"]\n', encoding="utf-8")
    broken = tmp_path / "broken.toml"
    broken.write_text('[[brands]]\nname = "Acmé"\nterms = "Acmé"\n', encoding="utf-8")
    missing = tmp_path / "missing.db"
    argv = [a.format(good=good, broken=broken, missing=missing) for a in argv]
    assert main(argv) == code
    command = _commands()[" ".join(argv[:2]) if argv[0] == "db" else argv[0]]
    table = command.format_help().split("exit status:")[1]
    assert re.search(rf"^  {code}  ", table, re.M), table


# ------------------------------------------------------------------ the demo


def test_the_demo_does_what_the_readme_says() -> None:
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    env.pop("SLACK_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "watchtower", "demo", "--later", "2", "--duration", "9"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    shown = out.split("Stop with Ctrl-C.")[1]
    # "the same article in two feeds is one story (dedup), announced once"
    assert shown.count("Banque Acmé ouvre douze agences en Bretagne") == 1, shown
    # "forum posts saying arnaque or escroquerie about Acmé go to #crise as CRITIQUE"
    for title in ("Arnaque aux frais cachés", "Escroquerie au faux conseiller"):
        [after] = shown.split(title)[1:]
        assert "→ #crise" in after.splitlines()[1], title
    assert "[CRITIQUE] Arnaque" in shown
    # brand mentions go to #veille; the look-alikes are not mentions
    assert "→ #veille" in shown
    assert "Acme Corporation" not in shown and "Acmébis" not in shown
    # "The demo prints its config's path", and how to see its status
    assert re.search(r"config +/\S+/watchtower\.toml", out)
    assert " status --config /" in out
    assert "temporary files are deleted" in out
