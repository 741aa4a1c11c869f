"""The Docker image holds the documented example, and the README's command to
get it out works with the image's ENTRYPOINT (Docker has no daemon here: the
files are read as text, as test_deploy.py does)."""

from __future__ import annotations

import re

from tests.conftest import ROOT
from tests.test_packaging import BUILD_INPUTS

DOCKERFILE = ROOT / "Dockerfile"


def build_stage() -> list[str]:
    """The build stage's lines, up to the second FROM."""
    lines = [line.strip() for line in DOCKERFILE.read_text("utf-8").splitlines()]
    froms = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    return lines[froms[0] : froms[1]]


def test_the_build_stage_copies_everything_the_wheel_is_built_from() -> None:
    # A file the build reads but the image lacks is silently left out of the
    # wheel (package data is optional for setuptools): `watchtower init` in the
    # image would have nothing to write.
    stage = build_stage()
    wheel = next(i for i, line in enumerate(stage) if line.startswith("RUN pip wheel"))
    copied = {
        name.rstrip("/")
        for line in stage[:wheel]
        if line.startswith("COPY ")
        for name in line.split()[1:-1]
    }
    assert set(BUILD_INPUTS) <= copied, set(BUILD_INPUTS) - copied


def test_the_readme_gets_the_example_out_of_the_image_as_the_entrypoint_expects() -> None:
    text = DOCKERFILE.read_text("utf-8")
    assert 'ENTRYPOINT ["watchtower"]' in text  # arguments are watchtower's own
    command = "docker run --rm watchtower init - > watchtower.toml"
    docker = ROOT.joinpath("README.md").read_text("utf-8").split("\n### Docker\n")[1]
    block = docker.split("```sh\n")[1].split("```")[0]
    # Before the container is started with it, right after the image is built.
    assert block.index("docker build") < block.index(command) < block.index("docker run -d")
    assert command in text  # the Dockerfile's own usage comment
    # `docker run IMAGE watchtower init` would run `watchtower watchtower init`.
    assert not re.search(r"docker run [^\n]*watchtower watchtower init", docker + text)
