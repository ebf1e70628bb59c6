"""Replay, the plugin form of `oai-conformance replay` (docs/replay.md): `--oai-replay RECORDINGS` makes a test of
each recorded exchange. It sends the recorded request (the model mapped as the command maps it) and fails when the
answer differs from the recorded one by shape, each untolerated difference named; recordings of unclaimed features
are left out, `--oai-replay-sample N` draws N of the rest. Replay decides no catalogue requirement: its verdict is
the tests', and `oai-conformance replay` writes the report with the groups and shares.
"""

import pytest

from conformance.plugin import REPLAY, session_target
from conformance.replay.run import Plan, model_map, plan, replay_one

_PLAN = pytest.StashKey[Plan]()


def replay_plan(config: pytest.Config) -> Plan:
    if _PLAN not in config.stash:
        recordings, sample = config.stash[REPLAY]
        config.stash[_PLAN] = plan(recordings, session_target(config), sample)
    return config.stash[_PLAN]


def pytest_generate_tests(metafunc):
    if "recording" in metafunc.fixturenames:
        chosen = replay_plan(metafunc.config).send
        metafunc.parametrize("recording", chosen, ids=[r.id for r in chosen])


@pytest.fixture(scope="session")
def replay_models(request, oai_target, oai_client):
    return model_map(oai_target, oai_client, replay_plan(request.config))


def test_replay(recording, oai_client, replay_models):
    outcome = replay_one(recording, oai_client, replay_models)
    if outcome.differences:
        lines = "\n".join(f"- {difference}" for difference in outcome.differences)
        pytest.fail(f"{recording.id}: answered differently from the recorded answer:\n{lines}", pytrace=False)
